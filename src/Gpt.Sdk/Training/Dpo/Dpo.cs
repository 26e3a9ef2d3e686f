using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// The fluent way to align a model on preference pairs with DPO or IPO (<see cref="DpoObjective"/>), as
/// <see cref="FineTune"/> does SFT: from a model (usually the SFT model) to an optional LoRA adapter, to preference data,
/// to a run that saves a PEFT adapter folder (LoRA) or a model folder (full fine-tune), resumes from that folder, and
/// leaves a usable checkpoint and output when cancelled. The reference is the model as given (with LoRA, the base with the
/// adapter off), its log-probabilities computed once before the first step.
/// <code>
/// var result = await Dpo.For(model, tokenizer)
///     .WithLora(new LoraConfig { Rank = 8, Alpha = 16 })
///     .OnPreferenceData("pairs.jsonl")
///     .HoldOut(0.1)
///     .WithLoss(o => o with { Beta = 0.1f })
///     .WithOptions(o => o with { MaxSteps = 300 })
///     .SaveTo("adapters/dpo")
///     .RunAsync(progress, cancellationToken);
/// </code>
/// </summary>
public sealed class Dpo
{
    private readonly GptModel _model;
    private readonly ITokenizer _tokenizer;
    private (LoraConfig Config, string Name, ulong Seed)? _lora;
    private Func<PreferenceDataOptions, CancellationToken, PreferenceDataset>? _data;
    private Func<PreferenceDataOptions, CancellationToken, PreferenceDataset>? _evaluationData;
    private double _heldOut;
    private Func<PreferenceDataOptions, PreferenceDataOptions> _dataOptions = o => o;
    private DpoOptions _loss = new();
    private TrainingOptions _options = DefaultOptions;
    private string? _output;
    private Action<DpoStart>? _starting;

    private Dpo(GptModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>The hyper-parameters a run starts from, before <see cref="WithOptions"/> edits them: <see cref="FineTune"/>'s,
    /// with <see cref="TrainingOptions.BatchSize"/> counting prompts (each brings its pairs, and each pair two sequences).</summary>
    public static TrainingOptions DefaultOptions { get; } = FineTune.DefaultOptions;

    /// <summary>Starts a DPO run of <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The policy's starting point, usually an SFT model; also the reference.</param>
    /// <param name="tokenizer">Its tokenizer (renders the data).</param>
    public static Dpo For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains a new LoRA adapter instead of every weight; the reference is then the base with the adapter off.</summary>
    /// <param name="config">Rank, alpha, dropout and target modules.</param>
    /// <param name="name">The adapter's name on the model.</param>
    /// <param name="seed">Seed of A's initial values.</param>
    public Dpo WithLora(LoraConfig config, string name = "default", ulong seed = 0)
    {
        _lora = ((config ?? throw new ArgumentNullException(nameof(config))).Validate(), name, seed);
        return this;
    }

    /// <summary>Trains on a JSONL file of preferences: <c>{"prompt", "chosen", "rejected"}</c> or
    /// <c>{"prompt", "responses": [best, ..., worst]}</c> per line (<see cref="PreferenceDataset.Load"/>).</summary>
    /// <param name="path">The file.</param>
    public Dpo OnPreferenceData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _data = (o, ct) => PreferenceDataset.Load(path, _tokenizer, o, ct);
        return this;
    }

    /// <summary>Trains on preferences in memory.</summary>
    /// <param name="examples">The examples.</param>
    public Dpo OnPreferenceData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        _data = (o, ct) => PreferenceDataset.FromExamples(list, _tokenizer, o, ct);
        return this;
    }

    /// <summary>Evaluates on a held-out JSONL file of preferences instead of a split of the training data.</summary>
    /// <param name="path">The file.</param>
    public Dpo WithEvaluationData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _evaluationData = (o, ct) => PreferenceDataset.Load(path, _tokenizer, o, ct);
        return this;
    }

    /// <summary>Keeps a seeded fraction of the prompts (with all their pairs) out for periodic evaluation.</summary>
    /// <param name="fraction">In (0, 1).</param>
    public Dpo HoldOut(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the held-out fraction must be in (0, 1), got {fraction}.");
        _heldOut = fraction;
        return this;
    }

    /// <summary>Adjusts how data is read (over-long lines: skip or refuse).</summary>
    /// <param name="configure">Edits the options; the sequence length comes from the training options.</param>
    public Dpo WithDataOptions(Func<PreferenceDataOptions, PreferenceDataOptions> configure)
    {
        _dataOptions = configure ?? throw new ArgumentNullException(nameof(configure));
        return this;
    }

    /// <summary>Adjusts the loss: β, DPO or IPO, label smoothing.</summary>
    /// <param name="configure">Edits the defaults (DPO, β 0.1).</param>
    public Dpo WithLoss(Func<DpoOptions, DpoOptions> configure)
    {
        _loss = (configure ?? throw new ArgumentNullException(nameof(configure)))(_loss);
        return this;
    }

    /// <summary>Adjusts the hyper-parameters (prompts per batch, sequence length, steps, learning rate, seed, ...).</summary>
    /// <param name="configure">Edits the defaults.</param>
    public Dpo WithOptions(Func<TrainingOptions, TrainingOptions> configure)
    {
        _options = (configure ?? throw new ArgumentNullException(nameof(configure)))(_options);
        return this;
    }

    /// <summary>Calls <paramref name="report"/> when the run is ready, before its first step. Throwing from it stops the run
    /// before anything is written.</summary>
    /// <param name="report">Receives the data and the step the run starts from.</param>
    public Dpo OnStarting(Action<DpoStart> report)
    {
        _starting = report ?? throw new ArgumentNullException(nameof(report));
        return this;
    }

    /// <summary>Saves the result to <paramref name="directory"/> and keeps the run's checkpoint and metrics.jsonl there, so
    /// running again resumes: with LoRA a PEFT adapter folder, otherwise a complete model folder with its tokenizer (which
    /// must then be a <see cref="BpeTokenizer"/> or <see cref="CharTokenizer"/>).</summary>
    /// <param name="directory">The output folder.</param>
    public Dpo SaveTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _output = directory;
        return this;
    }

    /// <summary>Loads the data, computes the reference log-probabilities, adds the adapter, and trains: resuming from the
    /// output folder's checkpoint when there is one, saving the result at the end, and on cancellation saving both the
    /// checkpoint and a usable result before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step; its <see cref="TrainingProgress.Metrics"/> hold the reward
    /// metrics (<see cref="DpoObjective.TrainingMetrics"/>).</param>
    /// <param name="cancellationToken">Stops the run while the data loads or between steps.</param>
    /// <exception cref="TrainingDataException">A line of the data is bad (named with its file and line).</exception>
    public async Task<FineTuneResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_data is null) throw new InvalidOperationException("no preference data: call OnPreferenceData first.");
        TrainedOutput.EnsureSavable(_output, _lora is not null, _tokenizer);
        var loss = _loss.Validate();
        var options = SavingRun.Options(_options, _output, _model.Config);
        var dataOptions = _dataOptions(new PreferenceDataOptions { SequenceLength = options.SequenceLength, VocabularySize = _model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);
        // Before the adapter exists and before a checkpoint is restored: the reference is the model as given.
        var objective = await Task.Run(() => DpoObjective.Create(_model, train, heldOut, loss, options.BatchSize, options.Seed, null, cancellationToken),
            cancellationToken).ConfigureAwait(false);

        LoraAdapter? adapter = null;
        if (_lora is { } lora) adapter = _model.AddLoraAdapter(lora.Name, lora.Config, lora.Seed);
        using var trainer = new Trainer(_model, objective, options, adapter);
        bool resumed = trainer.TryResume();
        _starting?.Invoke(new DpoStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options, loss));
        var result = await SavingRun.RunAsync(trainer, () => TrainedOutput.Save(_model, adapter, _tokenizer, _output), progress, cancellationToken)
            .ConfigureAwait(false);
        return new FineTuneResult(result, adapter, _output, skipped.Count);
    }

    // The skipped lines are read before any split: a dataset made by Split no longer knows them.
    private (PreferenceDataset Train, PreferenceDataset? Evaluation, IReadOnlyList<int> Skipped, IReadOnlyList<int> SkippedEvaluation) LoadData(
        PreferenceDataOptions options, ulong seed, CancellationToken cancellationToken)
    {
        var all = _data!(options, cancellationToken);
        if (_evaluationData is not null)
        {
            var evaluation = _evaluationData(options, cancellationToken);
            return (all, evaluation, all.SkippedLines, evaluation.SkippedLines);
        }

        if (_heldOut > 0)
        {
            var (train, heldOut) = all.Split(_heldOut, seed);
            return (train, heldOut, all.SkippedLines, []);
        }

        return (all, null, all.SkippedLines, []);
    }
}
