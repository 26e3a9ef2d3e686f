using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// The fluent way to fine-tune a model in process: from a model to an optional LoRA adapter, to SFT data,
/// to a run that saves a PEFT adapter folder (LoRA) or a model folder (full fine-tune), resumes from that
/// folder, and leaves a usable checkpoint and output when cancelled.
/// <code>
/// var result = await FineTune.For(model, tokenizer)
///     .WithLora(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj", "c_fc"] }, "support")
///     .OnSftData("train.jsonl")
///     .HoldOut(0.1)
///     .WithOptions(o => o with { MaxSteps = 300, LearningRate = 2e-4f })
///     .SaveTo("adapters/support")
///     .RunAsync(progress, cancellationToken);
/// </code>
/// </summary>
public sealed class FineTune
{
    private readonly GptModel _model;
    private readonly ITokenizer _tokenizer;
    private (LoraConfig Config, string Name, ulong Seed)? _lora;
    private Func<SftDataOptions, SftDataset>? _data;
    private Func<SftDataOptions, SftDataset>? _evaluationData;
    private double _heldOut;
    private bool _pack;
    private Communicator? _communicator;
    private Func<SftDataOptions, SftDataOptions> _dataOptions = o => o;
    private TrainingOptions _options = DefaultOptions;
    private string? _output;
    private Action<FineTuneStart>? _starting;

    private FineTune(GptModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>The hyper-parameters a run starts from, before <see cref="WithOptions"/> edits them: a short run at a
    /// learning rate suited to adapting a trained model (pretraining's defaults would undo what the model knows).</summary>
    public static TrainingOptions DefaultOptions { get; } =
        new() { MaxSteps = 200, LearningRate = 1e-4f, MinLearningRate = 1e-5f, WarmupSteps = 10, BatchSize = 4, EvalInterval = 50 };

    /// <summary>Starts a fine-tuning run of <paramref name="model"/> (updated in place, or adapted with LoRA).</summary>
    /// <param name="model">The model, new or pretrained.</param>
    /// <param name="tokenizer">Its tokenizer (renders the data).</param>
    public static FineTune For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains a new LoRA adapter instead of every weight (the base is frozen and shared).</summary>
    /// <param name="config">Rank, alpha, dropout and target modules.</param>
    /// <param name="name">The adapter's name on the model.</param>
    /// <param name="seed">Seed of A's initial values.</param>
    public FineTune WithLora(LoraConfig config, string name = "default", ulong seed = 0)
    {
        _lora = ((config ?? throw new ArgumentNullException(nameof(config))).Validate(), name, seed);
        return this;
    }

    /// <summary>Trains on a JSONL file of SFT examples (prompt/completion, messages, or edit).</summary>
    /// <param name="path">The file.</param>
    public FineTune OnSftData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _data = o => SftDataset.Load(path, _tokenizer, o);
        return this;
    }

    /// <summary>Trains on SFT examples in memory.</summary>
    /// <param name="examples">The examples.</param>
    public FineTune OnSftData(IEnumerable<SftExample> examples)
    {
        var list = (examples ?? throw new ArgumentNullException(nameof(examples))).ToList();
        _data = o => SftDataset.FromExamples(list, _tokenizer, o);
        return this;
    }

    /// <summary>Evaluates on a held-out JSONL file instead of a split of the training data.</summary>
    /// <param name="path">The file.</param>
    public FineTune WithEvaluationData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _evaluationData = o => SftDataset.Load(path, _tokenizer, o);
        return this;
    }

    /// <summary>Keeps a seeded fraction of the training examples out for periodic evaluation.</summary>
    /// <param name="fraction">In (0, 1).</param>
    public FineTune HoldOut(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the held-out fraction must be in (0, 1), got {fraction}.");
        _heldOut = fraction;
        return this;
    }

    /// <summary>Packs several examples into each context window (each attends only to itself).</summary>
    /// <param name="pack">True to pack.</param>
    public FineTune Packed(bool pack = true)
    {
        _pack = pack;
        return this;
    }

    /// <summary>Adjusts how data is rendered (loss on all tokens, over-long examples, chat template).</summary>
    /// <param name="configure">Edits the options; the sequence length comes from the training options.</param>
    public FineTune WithDataOptions(Func<SftDataOptions, SftDataOptions> configure)
    {
        _dataOptions = configure ?? throw new ArgumentNullException(nameof(configure));
        return this;
    }

    /// <summary>Adjusts the hyper-parameters (batch size, sequence length, steps, learning rate, seed, ...).</summary>
    /// <param name="configure">Edits the defaults.</param>
    public FineTune WithOptions(Func<TrainingOptions, TrainingOptions> configure)
    {
        _options = (configure ?? throw new ArgumentNullException(nameof(configure)))(_options);
        return this;
    }

    /// <summary>Trains data-parallel over <paramref name="communicator"/>'s ranks (every rank runs the same fine-tune, with
    /// <see cref="TrainingOptions.BatchSize"/> per rank); rank 0 alone writes the checkpoint and the result.</summary>
    /// <param name="communicator">The ranks, e.g. <see cref="Communicator.Mpi"/>.</param>
    public FineTune DataParallel(Communicator communicator)
    {
        _communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        return this;
    }

    /// <summary>Calls <paramref name="report"/> when the run is ready, before its first step: the data is loaded (with the
    /// over-long examples that were left out), the adapter added and the checkpoint, if any, restored. Throwing from it
    /// stops the run before anything is written.</summary>
    /// <param name="report">Receives the data and the step the run starts from.</param>
    public FineTune OnStarting(Action<FineTuneStart> report)
    {
        _starting = report ?? throw new ArgumentNullException(nameof(report));
        return this;
    }

    /// <summary>Saves the result to <paramref name="directory"/> and keeps the run's checkpoint there, so running again resumes:
    /// with LoRA a PEFT adapter folder (<c>PeftAdapterFiles.Save</c>), otherwise a complete model folder with its tokenizer
    /// (<see cref="GptModel.Save(string, ITokenizer)"/>, so the tokenizer must be a <see cref="BpeTokenizer"/> or
    /// <see cref="CharTokenizer"/>), which <c>GptModel.FromPretrained</c>, <c>AddGpt</c> and <c>gpt chat</c> open.</summary>
    /// <param name="directory">The output folder.</param>
    public FineTune SaveTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _output = directory;
        return this;
    }

    /// <summary>Loads the data, adds the adapter, and trains: resuming from the output folder's checkpoint when there is
    /// one, saving the result at the end, and on cancellation saving both the checkpoint and a usable result before the
    /// <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    public async Task<FineTuneResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_data is null) throw new InvalidOperationException("no training data: call OnSftData first.");
        // A full fine-tune saves a model folder with its tokenizer: refuse one that cannot be saved now, not after training.
        if (_output is not null && _lora is null) TokenizerFiles.EnsureSavable(_tokenizer, "tokenizer");
        var options = (_options with { CheckpointDirectory = _output ?? _options.CheckpointDirectory }).Validate();
        if (options.SequenceLength > _model.Config.ContextLength)
            throw new ArgumentException($"sequence length {options.SequenceLength} exceeds the model's context of {_model.Config.ContextLength}.");
        var dataOptions = _dataOptions(new SftDataOptions { SequenceLength = options.SequenceLength, VocabularySize = _model.Config.VocabularySize }).Validate();
        var (train, heldOut, skipped, skippedEvaluation) = await Task.Run(() => LoadData(dataOptions, options.Seed), cancellationToken).ConfigureAwait(false);

        LoraAdapter? adapter = null;
        if (_lora is { } lora) adapter = _model.AddLoraAdapter(lora.Name, lora.Config, lora.Seed);
        var objective = new NextTokenObjective(
            new SftBatchSource(train, options.BatchSize, options.Seed, _pack),
            heldOut is null ? null : new SftBatchSource(heldOut, options.BatchSize, options.Seed, _pack));
        using var trainer = new Trainer(_model, objective, options, adapter, _communicator);
        bool resumed = trainer.TryResume();
        _starting?.Invoke(new FineTuneStart(train, heldOut, skipped, skippedEvaluation, resumed ? trainer.Step : null, options));
        try
        {
            var result = await trainer.RunAsync(progress, cancellationToken).ConfigureAwait(false);
            Save(adapter);
            return new FineTuneResult(result, adapter, _output, skipped.Count);
        }
        catch (OperationCanceledException)
        {
            Save(adapter);
            throw;
        }
    }

    // The skipped lines are read before any split: a dataset made by Split no longer knows them.
    private (SftDataset Train, SftDataset? Evaluation, IReadOnlyList<int> Skipped, IReadOnlyList<int> SkippedEvaluation) LoadData(
        SftDataOptions options, ulong seed)
    {
        var all = _data!(options);
        if (_evaluationData is not null)
        {
            var evaluation = _evaluationData(options);
            return (all, evaluation, all.SkippedLines, evaluation.SkippedLines);
        }

        if (_heldOut > 0)
        {
            var (train, heldOut) = all.Split(_heldOut, seed);
            return (train, heldOut, all.SkippedLines, []);
        }

        return (all, null, all.SkippedLines, []);
    }

    private void Save(LoraAdapter? adapter)
    {
        if (_output is null || _communicator is { Rank: > 0 }) return;
        if (adapter is not null)
        {
            PeftAdapterFiles.Save(adapter, _output);
            return;
        }

        _model.Save(_output, _tokenizer);
    }
}
