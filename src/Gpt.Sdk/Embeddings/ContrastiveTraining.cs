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
public sealed class ContrastiveTraining : TrainingRun<ContrastiveTraining, ContrastiveDataset, ContrastiveDataOptions>
{
    private EmbeddingPooling _pooling = EmbeddingPooling.EndToken;
    private int? _projection;
    private ContrastiveOptions _contrastive = new();

    private ContrastiveTraining(GptModel model, ITokenizer tokenizer)
        : base(model, tokenizer, DefaultOptions, Embedder.AdapterName, (data, fraction, seed) => data.Split(fraction, seed), _ => [])
    {
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
        Data = (_, ct) => ContrastiveDataset.Load(path, ct);
        return this;
    }

    /// <summary>Trains on pairs in memory.</summary>
    /// <param name="dataset">The pairs.</param>
    public ContrastiveTraining OnPairs(ContrastiveDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        Data = (_, _) => dataset;
        return this;
    }

    /// <summary>Trains on cpt-text's unsupervised pairs of a plain-text file: neighbouring chunks of
    /// <see cref="ContrastiveDataOptions.TextChunkTokens"/> tokens (<see cref="ContrastiveDataset.FromText"/>; set the
    /// length with <c>WithDataOptions</c>).</summary>
    /// <param name="path">The text file.</param>
    public ContrastiveTraining OnTextPairs(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Data = (o, _) => ContrastiveDataset.FromText(File.ReadAllText(path), Tokenizer, o.TextChunkTokens);
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

    /// <summary>Loads the data, builds the head (and the adapter), and trains: resuming from the output folder's checkpoint
    /// when there is one, saving the embedding model at the end, and on cancellation saving both the checkpoint and a usable
    /// model before the <see cref="OperationCanceledException"/> propagates.</summary>
    /// <param name="progress">Receives a report after every step, with <c>accuracy</c> and <c>temperature</c> in its metrics.</param>
    /// <param name="cancellationToken">Stops the run between steps.</param>
    public async Task<ContrastiveTrainingResult> RunAsync(IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (Data is null) throw new InvalidOperationException("no training data: call OnPairs or OnTextPairs first.");
        var tokenizer = Tokenizer;
        if (_pooling == EmbeddingPooling.EndToken && !HasDelimiters(tokenizer))
        {
            tokenizer = tokenizer is BpeTokenizer bpe
                ? EmbeddingHead.AddDelimiters(bpe)
                : throw new ArgumentException("end-token pooling adds delimiter tokens to the tokenizer, which needs a BPE tokenizer; use mean pooling for this one.");
        }

        if (Output is not null) TokenizerFiles.EnsureSavable(tokenizer, "tokenizer");
        // Texts are cut at the trunk's context (EmbeddingEncoder), not at a training sequence length.
        var options = SavingRun.Options(Options with { SequenceLength = Math.Min(Options.SequenceLength, Model.Config.ContextLength) }, Output, Model.Config);
        var dataOptions = DataOptions(new ContrastiveDataOptions()).Validate();
        var (train, heldOut, _, _) = await Task.Run(() => LoadData(dataOptions, options.Seed, cancellationToken), cancellationToken).ConfigureAwait(false);

        var trunk = Model;
        bool ownsTrunk = false;
        if (tokenizer.VocabularySize > trunk.Config.VocabularySize)
        {
            trunk = TrunkVocabulary.Grow(Model, tokenizer.VocabularySize, options.Seed);
            ownsTrunk = true;
        }

        EmbeddingHead? head = null;
        try
        {
            LoraAdapter? adapter = Lora is { } lora ? trunk.AddLoraAdapter(lora.Name, lora.Config, lora.Seed) : null;
            head = new EmbeddingHead(EmbeddingHead.ConfigFor(_pooling, trunk.Config.EmbeddingSize, tokenizer, _projection), trunk.Device, options.Seed);
            var embedder = new Embedder(trunk, head, tokenizer, adapter, ownsTrunk, removeAdapter: false);
            try
            {
                var objective = new ContrastiveObjective(head, tokenizer, train, heldOut, _contrastive, options.BatchSize, options.Seed);
                using var trainer = new Trainer(trunk, objective, options, adapter, Communicator);
                bool resumed = trainer.TryResume();
                int? resumedFrom = resumed ? trainer.Step : null;
                var result = await SavingRun.RunAsync(trainer, () => { if (Output is not null) embedder.Save(Output); }, progress, cancellationToken).ConfigureAwait(false);
                objective.TemperatureParameters?.Dispose();
                return new ContrastiveTrainingResult(result, trainer.LastEvaluationMetrics, embedder, Output, resumedFrom);
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

    private protected override ContrastiveDataset Load(string path, ContrastiveDataOptions options, CancellationToken cancellationToken) =>
        ContrastiveDataset.Load(path, cancellationToken);
}
