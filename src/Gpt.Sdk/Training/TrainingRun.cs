using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// The fluent chain every in-process training run shares (<see cref="FineTune"/>, <see cref="RewardModelTraining"/>,
/// <see cref="Dpo"/>): a model and its tokenizer, an optional LoRA adapter, training data and how it is read, held-out data
/// (a file, or a seeded split of the training data), hyper-parameters, and an output folder that holds the result and the
/// checkpoint, so running again resumes. Each run adds its own data method (<c>OnSftData</c>, <c>OnPreferenceData</c>)
/// and its <c>RunAsync</c>.
/// </summary>
/// <typeparam name="TRun">The run itself, so each step of the chain returns it.</typeparam>
/// <typeparam name="TData">Its dataset (<see cref="SftDataset"/>, <see cref="PreferenceDataset"/>).</typeparam>
/// <typeparam name="TDataOptions">How its data is read.</typeparam>
public abstract class TrainingRun<TRun, TData, TDataOptions>
    where TRun : TrainingRun<TRun, TData, TDataOptions>
    where TData : class
{
    private readonly Func<TData, double, ulong, (TData Train, TData HeldOut)> _split;
    private readonly Func<TData, IReadOnlyList<int>> _skippedLines;
    private readonly string _defaultAdapterName;
    private double _heldOut;

    // Private protected: the runs of this assembly are the only kinds; the delegates say how their dataset splits.
    private protected TrainingRun(GptModel model, ITokenizer tokenizer, TrainingOptions defaults, string defaultAdapterName,
        Func<TData, double, ulong, (TData, TData)> split, Func<TData, IReadOnlyList<int>> skippedLines)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Options = defaults;
        _defaultAdapterName = defaultAdapterName;
        _split = split;
        _skippedLines = skippedLines;
    }

    private protected GptModel Model { get; }

    private protected ITokenizer Tokenizer { get; }

    private protected (LoraConfig Config, string Name, ulong Seed)? Lora { get; private set; }

    private protected Func<TDataOptions, CancellationToken, TData>? Data { get; set; }

    private protected Func<TDataOptions, CancellationToken, TData>? EvaluationData { get; set; }

    private protected Func<TDataOptions, TDataOptions> DataOptions { get; private set; } = o => o;

    private protected TrainingOptions Options { get; private set; }

    private protected string? Output { get; private set; }

    private protected Communicator? Communicator { get; private set; }

    private TRun This => (TRun)this;

    /// <summary>Trains a new LoRA adapter instead of every weight (the base is frozen).</summary>
    /// <param name="config">Rank, alpha, dropout and target modules.</param>
    /// <param name="name">The adapter's name on the model; null for the run's default (<c>default</c>, or <c>reward</c> for a
    /// reward model).</param>
    /// <param name="seed">Seed of A's initial values.</param>
    public TRun WithLora(LoraConfig config, string? name = null, ulong seed = 0)
    {
        Lora = ((config ?? throw new ArgumentNullException(nameof(config))).Validate(), name ?? _defaultAdapterName, seed);
        return This;
    }

    /// <summary>Evaluates on a JSONL file of the same format instead of a split of the training data.</summary>
    /// <param name="path">The file.</param>
    public TRun WithEvaluationData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        EvaluationData = (o, ct) => Load(path, o, ct);
        return This;
    }

    /// <summary>Keeps a seeded fraction of the training data (for preferences: of the prompts, with all their pairs) out
    /// for evaluation.</summary>
    /// <param name="fraction">In (0, 1).</param>
    public TRun HoldOut(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"the held-out fraction must be in (0, 1), got {fraction}.");
        _heldOut = fraction;
        return This;
    }

    /// <summary>Adjusts how data is read (chat template, over-long examples skipped or refused, ...).</summary>
    /// <param name="configure">Edits the options; the sequence length comes from the training options.</param>
    public TRun WithDataOptions(Func<TDataOptions, TDataOptions> configure)
    {
        DataOptions = configure ?? throw new ArgumentNullException(nameof(configure));
        return This;
    }

    /// <summary>Adjusts the hyper-parameters (batch size, sequence length, steps, learning rate, seed, ...).</summary>
    /// <param name="configure">Edits the run's defaults.</param>
    public TRun WithOptions(Func<TrainingOptions, TrainingOptions> configure)
    {
        Options = (configure ?? throw new ArgumentNullException(nameof(configure)))(Options);
        return This;
    }

    /// <summary>Saves the result to <paramref name="directory"/> and keeps the run's checkpoint and metrics.jsonl there, so
    /// running again resumes. A full fine-tune's tokenizer must be a <see cref="BpeTokenizer"/> or <see cref="CharTokenizer"/>.</summary>
    /// <param name="directory">The output folder.</param>
    public TRun SaveTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Output = directory;
        return This;
    }

    /// <summary>Trains data-parallel over <paramref name="communicator"/>'s ranks: every rank runs the same chain, with
    /// <see cref="TrainingOptions.BatchSize"/> per rank; rank 0 alone writes the checkpoint, the metrics and the result.
    /// The run's objective must be able to shard its batches (<see cref="ITrainingObjective.ShardTrainingData"/>).</summary>
    /// <param name="communicator">The ranks, e.g. <see cref="Communicator.Mpi"/>.</param>
    public TRun DataParallel(Communicator communicator)
    {
        Communicator = communicator ?? throw new ArgumentNullException(nameof(communicator));
        return This;
    }

    /// <summary>Reads a JSONL file of the run's format.</summary>
    private protected abstract TData Load(string path, TDataOptions options, CancellationToken cancellationToken);

    /// <summary>Adds the LoRA adapter when one was asked for.</summary>
    private protected LoraAdapter? AddAdapter() => Lora is { } lora ? Model.AddLoraAdapter(lora.Name, lora.Config, lora.Seed) : null;

    /// <summary>The training and held-out data; the skipped lines are read before any split (a split no longer knows them).</summary>
    private protected (TData Train, TData? Evaluation, IReadOnlyList<int> Skipped, IReadOnlyList<int> SkippedEvaluation) LoadData(
        TDataOptions options, ulong seed, CancellationToken cancellationToken)
    {
        if (Data is null) throw new InvalidOperationException("no training data: give it first (OnSftData or OnPreferenceData).");
        var all = Data(options, cancellationToken);
        if (EvaluationData is not null)
        {
            var evaluation = EvaluationData(options, cancellationToken);
            return (all, evaluation, _skippedLines(all), _skippedLines(evaluation));
        }

        if (_heldOut > 0)
        {
            var (train, heldOut) = _split(all, _heldOut, seed);
            return (train, heldOut, _skippedLines(all), []);
        }

        return (all, null, _skippedLines(all), []);
    }
}
