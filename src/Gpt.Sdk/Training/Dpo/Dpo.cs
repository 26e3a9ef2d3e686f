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
public sealed class Dpo : TrainingRun<Dpo, PreferenceDataset, PreferenceDataOptions>
{
    private DpoOptions _loss = new();
    private Action<DpoStart>? _starting;

    private Dpo(GptModel model, ITokenizer tokenizer)
        : base(model, tokenizer, DefaultOptions, "default", (data, fraction, seed) => data.Split(fraction, seed), data => data.SkippedLines)
    {
    }

    /// <summary>The hyper-parameters a run starts from, before <c>WithOptions</c> edits them: <see cref="FineTune"/>'s,
    /// with <see cref="TrainingOptions.BatchSize"/> counting prompts (each brings its pairs, and each pair two sequences).</summary>
    public static TrainingOptions DefaultOptions { get; } = FineTune.DefaultOptions;

    /// <summary>Starts a DPO run of <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The policy's starting point, usually an SFT model; also the reference.</param>
    /// <param name="tokenizer">Its tokenizer (renders the data).</param>
    public static Dpo For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains on a JSONL file of preferences: <c>{"prompt", "chosen", "rejected"}</c> or
    /// <c>{"prompt", "responses": [best, ..., worst]}</c> per line (<see cref="PreferenceDataset.Load"/>).</summary>
    /// <param name="path">The file.</param>
    public Dpo OnPreferenceData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Data = (o, ct) => PreferenceDataset.Load(path, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Trains on preferences in memory.</summary>
    /// <param name="examples">The examples.</param>
    public Dpo OnPreferenceData(IEnumerable<PreferenceExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        Data = (o, ct) => PreferenceDataset.FromExamples(list, Tokenizer, o, ct);
        return this;
    }

    /// <summary>Adjusts the loss: β, DPO or IPO, label smoothing.</summary>
    /// <param name="configure">Edits the defaults (DPO, β 0.1).</param>
    public Dpo WithLoss(Func<DpoOptions, DpoOptions> configure)
    {
        _loss = (configure ?? throw new ArgumentNullException(nameof(configure)))(_loss);
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

    /// <summary>Loads the data, computes the reference log-probabilities, adds the adapter, and trains: resuming from the
    /// output folder's checkpoint when there is one, saving the result at the end, and on cancellation saving both the
    /// checkpoint and a usable result before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step; its <see cref="TrainingProgress.Metrics"/> hold the reward
    /// metrics (<see cref="DpoObjective.TrainingMetrics"/>).</param>
    /// <param name="cancellationToken">Stops the run while the data loads or between steps.</param>
    /// <exception cref="TrainingDataException">A line of the data is bad (named with its file and line).</exception>
    public async Task<FineTuneResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Data is null) throw new InvalidOperationException("no preference data: call OnPreferenceData first.");
        TrainedOutput.EnsureSavable(Output, Lora is not null, Tokenizer);
        var loss = _loss.Validate();
        var options = SavingRun.Options(Options, Output, Model.Config);
        var dataOptions = DataOptions(new PreferenceDataOptions { SequenceLength = options.SequenceLength, VocabularySize = Model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);
        // Before the adapter exists and before a checkpoint is restored: the reference is the model as given.
        var objective = await Task.Run(() => DpoObjective.Create(Model, train, heldOut, loss, options.BatchSize, options.Seed, null, cancellationToken),
            cancellationToken).ConfigureAwait(false);

        var adapter = AddAdapter();
        using var trainer = new Trainer(Model, objective, options, adapter, Communicator);
        bool resumed = trainer.TryResume();
        _starting?.Invoke(new DpoStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options, loss));
        var result = await SavingRun.RunAsync(trainer, () => TrainedOutput.Save(Model, adapter, Tokenizer, Output), progress, cancellationToken)
            .ConfigureAwait(false);
        return new FineTuneResult(result, adapter, Output, skipped.Count);
    }

    private protected override PreferenceDataset Load(string path, PreferenceDataOptions options, CancellationToken cancellationToken) =>
        PreferenceDataset.Load(path, Tokenizer, options, cancellationToken);
}
