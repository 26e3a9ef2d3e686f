using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The fluent way to turn a GPT model into an embedding model (cpt-text): an <see cref="EmbeddingHead"/> on the trunk,
/// symmetric InfoNCE over in-batch (and hard) negatives with gradient caching, every weight or a LoRA adapter trained, and
/// a run that saves a head folder (<see cref="Embedder.Save"/>), resumes from it and leaves a usable result on Ctrl+C.
/// <code>
/// var result = await ContrastiveTraining.For(model, tokenizer)
///     .OnPairs("pairs.jsonl")                      // {"query", "positive", "negatives"?} per line
///     .WithHead(EmbeddingPooling.EndToken, projectionDimension: 256)
///     .WithContrastiveOptions(o => o with { ChunkSize = 16, LearnTemperature = true })
///     .WithLora(new LoraConfig { Rank = 8, Alpha = 16 })
///     .WithOptions(o => o with { BatchSize = 128, MaxSteps = 500 })
///     .SaveTo("models/embed")
///     .RunAsync(progress, cancellationToken);
/// using var embedder = result.Embedder;
/// </code>
/// For end-token pooling the tokenizer gains the delimiters (<see cref="EmbeddingHead.AddDelimiters"/>) and, when the model
/// has no rows for them, the run trains a copy of the model with two more (<see cref="ContrastiveTrainingResult.Embedder"/>
/// holds it; the model given is left as it was). Under LoRA the base, those rows included, stays frozen.
/// </summary>
public sealed class ContrastiveTraining
{
    private readonly GptModel _model;
    private readonly ITokenizer _tokenizer;
    private Func<CancellationToken, ContrastiveDataset>? _data;
    private Func<CancellationToken, ContrastiveDataset>? _evaluationData;
    private double _heldOut;
    private EmbeddingPooling _pooling = EmbeddingPooling.EndToken;
    private int? _projection;
    private ContrastiveOptions _contrastive = new();
    private (LoraConfig Config, string Name, ulong Seed)? _lora;
    private TrainingOptions _options = DefaultOptions;
    private string? _output;

    private ContrastiveTraining(GptModel model, ITokenizer tokenizer)
    {
        _model = model;
        _tokenizer = tokenizer;
    }

    /// <summary>The hyper-parameters a run starts from: <see cref="FineTune.DefaultOptions"/> with 32 pairs per batch.</summary>
    public static TrainingOptions DefaultOptions => FineTune.DefaultOptions with { BatchSize = 32 };

    /// <summary>Starts a run on <paramref name="model"/>.</summary>
    /// <param name="model">The trunk (a pretrained GPT-2, say).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    public static ContrastiveTraining For(GptModel model, ITokenizer tokenizer) =>
        new(model ?? throw new ArgumentNullException(nameof(model)), tokenizer ?? throw new ArgumentNullException(nameof(tokenizer)));

    /// <summary>Trains on a JSONL file of pairs (<see cref="ContrastiveDataset.Load"/>).</summary>
    /// <param name="path">The file.</param>
    public ContrastiveTraining OnPairs(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _data = ct => ContrastiveDataset.Load(path, ct);
        return this;
    }

    /// <summary>Trains on pairs in memory.</summary>
    /// <param name="dataset">The pairs.</param>
    public ContrastiveTraining OnPairs(ContrastiveDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _data = _ => dataset;
        return this;
    }

    /// <summary>Trains on cpt-text's unsupervised pairs of a plain-text file: neighbouring chunks of
    /// <paramref name="chunkTokens"/> tokens (<see cref="ContrastiveDataset.FromText"/>).</summary>
    /// <param name="path">The text file.</param>
    /// <param name="chunkTokens">Tokens per chunk.</param>
    public ContrastiveTraining OnTextPairs(string path, int chunkTokens = 64)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(chunkTokens);
        _data = _ => ContrastiveDataset.FromText(File.ReadAllText(path), _tokenizer, chunkTokens);
        return this;
    }

    /// <summary>Evaluates on a JSONL file of pairs instead of a split of the training data.</summary>
    /// <param name="path">The file.</param>
    public ContrastiveTraining WithEvaluationData(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _evaluationData = ct => ContrastiveDataset.Load(path, ct);
        return this;
    }

    /// <summary>Keeps a seeded fraction of the pairs out for evaluation (its in-batch accuracy is <c>validation_accuracy</c>).</summary>
    /// <param name="fraction">In (0, 1).</param>
    public ContrastiveTraining HoldOut(double fraction)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the held-out fraction must be in (0, 1).");
        _heldOut = fraction;
        return this;
    }

    /// <summary>Chooses the head: pooling (end token by default) and an optional projection.</summary>
    /// <param name="pooling">The pooling.</param>
    /// <param name="projectionDimension">D, or null for the trunk's width without a projection.</param>
    public ContrastiveTraining WithHead(EmbeddingPooling pooling, int? projectionDimension = null)
    {
        if (projectionDimension is <= 0) throw new ArgumentOutOfRangeException(nameof(projectionDimension), projectionDimension, "the projection dimension must be positive.");
        _pooling = pooling;
        _projection = projectionDimension;
        return this;
    }

    /// <summary>Adjusts the loss: temperature (fixed or learned), GradCache chunk size, hard negatives.</summary>
    /// <param name="configure">Edits the options.</param>
    public ContrastiveTraining WithContrastiveOptions(Func<ContrastiveOptions, ContrastiveOptions> configure)
    {
        _contrastive = (configure ?? throw new ArgumentNullException(nameof(configure)))(_contrastive).Validate();
        return this;
    }

    /// <summary>Trains a new LoRA adapter (and the head) instead of every weight; the head folder holds the adapter.</summary>
    /// <param name="config">Rank, alpha, dropout and target modules.</param>
    /// <param name="name">The adapter's name on the model.</param>
    /// <param name="seed">Seed of A's initial values.</param>
    public ContrastiveTraining WithLora(LoraConfig config, string name = Embedder.AdapterName, ulong seed = 0)
    {
        _lora = ((config ?? throw new ArgumentNullException(nameof(config))).Validate(), name, seed);
        return this;
    }

    /// <summary>Adjusts the hyper-parameters (<see cref="TrainingOptions.BatchSize"/> counts pairs).</summary>
    /// <param name="configure">Edits the defaults.</param>
    public ContrastiveTraining WithOptions(Func<TrainingOptions, TrainingOptions> configure)
    {
        _options = (configure ?? throw new ArgumentNullException(nameof(configure)))(_options);
        return this;
    }

    /// <summary>Saves the embedding model to <paramref name="directory"/> (<see cref="Embedder.Save"/>) and keeps the run's
    /// checkpoint there, so running again resumes.</summary>
    /// <param name="directory">The output folder.</param>
    public ContrastiveTraining SaveTo(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _output = directory;
        return this;
    }

    /// <summary>Loads the data, builds the head (and the adapter), and trains: resuming from the output folder's checkpoint
    /// when there is one, saving the embedding model at the end, and on cancellation saving both the checkpoint and a usable
    /// model before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step, with <c>accuracy</c> and <c>temperature</c> in its metrics.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    public async Task<ContrastiveTrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (_data is null) throw new InvalidOperationException("no training data: call OnPairs or OnTextPairs first.");
        var tokenizer = _tokenizer;
        if (_pooling == EmbeddingPooling.EndToken && !HasDelimiters(tokenizer))
        {
            tokenizer = tokenizer is BpeTokenizer bpe
                ? EmbeddingHead.AddDelimiters(bpe)
                : throw new ArgumentException("end-token pooling adds delimiter tokens to the tokenizer, which needs a BPE tokenizer; use mean pooling for this one.");
        }

        if (_output is not null) TokenizerFiles.EnsureSavable(tokenizer, "tokenizer");
        // Texts are cut at the trunk's context (EmbeddingEncoder), not at a training sequence length.
        var options = SavingRun.Options(_options with { SequenceLength = Math.Min(_options.SequenceLength, _model.Config.ContextLength) }, _output, _model.Config);
        var (train, heldOut) = await Task.Run(() => LoadData(options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);

        var trunk = _model;
        bool ownsTrunk = false;
        if (tokenizer.VocabularySize > trunk.Config.VocabularySize)
        {
            trunk = TrunkVocabulary.Grow(_model, tokenizer.VocabularySize, options.Seed);
            ownsTrunk = true;
        }

        EmbeddingHead? head = null;
        try
        {
            LoraAdapter? adapter = _lora is { } lora ? trunk.AddLoraAdapter(lora.Name, lora.Config, lora.Seed) : null;
            head = new EmbeddingHead(EmbeddingHead.ConfigFor(_pooling, trunk.Config.EmbeddingSize, tokenizer, _projection), trunk.Device, options.Seed);
            var embedder = new Embedder(trunk, head, tokenizer, adapter, ownsTrunk, removeAdapter: false);
            try
            {
                var objective = new ContrastiveObjective(head, tokenizer, train, heldOut, _contrastive, options.BatchSize, options.Seed);
                using var trainer = new Trainer(trunk, objective, options, adapter);
                bool resumed = trainer.TryResume();
                int? resumedFrom = resumed ? trainer.Step : null;
                var result = await SavingRun.RunAsync(trainer, () => { if (_output is not null) embedder.Save(_output); }, progress, cancellationToken).ConfigureAwait(false);
                objective.TemperatureParameters?.Dispose();
                return new ContrastiveTrainingResult(result, trainer.LastEvaluationMetrics, embedder, _output, resumedFrom);
            }
            catch
            {
                embedder.Dispose();
                throw;
            }
        }
        catch
        {
            if (ownsTrunk) trunk.Dispose();
            throw;
        }
    }

    private static bool HasDelimiters(ITokenizer tokenizer) =>
        tokenizer is BpeTokenizer bpe && bpe.SpecialTokens.ContainsKey(WellKnownSpecialTokens.EmbedStart) && bpe.SpecialTokens.ContainsKey(WellKnownSpecialTokens.EmbedEnd);

    private (ContrastiveDataset Train, ContrastiveDataset? HeldOut) LoadData(ulong seed, CancellationToken cancellationToken)
    {
        var all = _data!(cancellationToken);
        if (_evaluationData is not null) return (all, _evaluationData(cancellationToken));
        if (_heldOut > 0) return all.Split(_heldOut, seed);
        return (all, null);
    }
}
