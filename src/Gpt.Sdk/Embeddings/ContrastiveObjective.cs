using Gpt.Kernels.Random;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Trains an embedding head (and the trunk the <see cref="Trainer"/> trains: every weight or a LoRA adapter) with symmetric
/// InfoNCE over in-batch negatives and optional hard negatives. A batch of N pairs is embedded with <b>gradient caching</b>
/// (Gao et al. 2021, GradCache) when it has more rows than <see cref="ContrastiveOptions.ChunkSize"/>: (1) every chunk is
/// embedded without the graph, (2) the loss and its gradient with respect to every embedding are computed over the whole
/// batch, (3) each chunk is run again with its graph and those gradients are back-propagated through it, with the same
/// dropout masks as in (1). The loss and every parameter gradient equal one pass over the whole batch; the memory is that
/// of one chunk. Metrics: <c>accuracy</c> (queries whose best document is their positive) and <c>temperature</c>.
/// </summary>
public sealed class ContrastiveObjective : ITrainingObjective
{
    private readonly ITokenizer _tokenizer;
    private readonly ContrastiveDataset _train;
    private readonly ContrastiveDataset? _evaluation;
    private readonly ContrastiveOptions _options;
    private readonly int _pairsPerBatch;
    private readonly ulong _seed;
    private readonly Parameter? _logTemperature;
    private readonly float _fixedLogTemperature;
    private readonly Dictionary<string, double> _trainMetrics = [], _evaluationMetrics = [];
    private EmbeddingEncoder? _encoder;
    private long _tokensPerBatch;

    /// <summary>Trains <paramref name="head"/> on <paramref name="train"/>.</summary>
    /// <param name="head">The embedding head.</param>
    /// <param name="tokenizer">The trunk's tokenizer (with the delimiters for end-token pooling).</param>
    /// <param name="train">Training pairs (at least <paramref name="pairsPerBatch"/>).</param>
    /// <param name="evaluation">Held-out pairs (read in order, the same batches every time), or null.</param>
    /// <param name="options">Temperature, chunking and negatives; validated.</param>
    /// <param name="pairsPerBatch">N, pairs per batch (at least 2: a pair's negatives are the others).</param>
    /// <param name="seed">Seed of the data order.</param>
    public ContrastiveObjective(EmbeddingHead head, ITokenizer tokenizer, ContrastiveDataset train, ContrastiveDataset? evaluation,
        ContrastiveOptions options, int pairsPerBatch, ulong seed)
    {
        Head = head ?? throw new ArgumentNullException(nameof(head));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _train = train ?? throw new ArgumentNullException(nameof(train));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (pairsPerBatch < 2) throw new ArgumentOutOfRangeException(nameof(pairsPerBatch), pairsPerBatch, "a batch needs at least 2 pairs: each pair's in-batch negatives are the others.");
        if (train.Count < pairsPerBatch)
            throw new ArgumentException($"the training data has {train.Count} pairs, fewer than the {pairsPerBatch} of one batch; add pairs or lower the batch size.", nameof(train));
        if (evaluation is { Count: < 2 }) throw new ArgumentException("the held-out data needs at least 2 pairs.", nameof(evaluation));
        _evaluation = evaluation;
        _pairsPerBatch = pairsPerBatch;
        _seed = seed;
        _fixedLogTemperature = MathF.Log(options.Temperature);
        if (options.LearnTemperature)
        {
            TemperatureParameters = new ParameterSegment("head:temperature");
            _logTemperature = TemperatureParameters.Declare("log_temperature", new Shape(1), ParameterInit.Zeros, decays: false);
            TemperatureParameters.Allocate(head.Device);
            TemperatureParameters.CopyValuesFrom([_fixedLogTemperature]);
        }
    }

    /// <summary>The head being trained.</summary>
    public EmbeddingHead Head { get; }

    /// <summary>The learned log-temperature (one element), or null when the temperature is fixed.</summary>
    public ParameterSegment? TemperatureParameters { get; }

    /// <summary>The current temperature τ.</summary>
    public float Temperature => MathF.Exp(LogTemperature);

    /// <inheritdoc />
    public long TokensPerBatch => _tokensPerBatch;

    /// <summary>Batches drawn so far (the data order is a seeded permutation per epoch).</summary>
    public ulong DataPosition { get; set; }

    /// <inheritdoc />
    public IEnumerable<ParameterSegment> Segments =>
        new[] { Head.Parameters, TemperatureParameters }.OfType<ParameterSegment>();

    /// <inheritdoc />
    public bool HasEvaluationData => _evaluation is not null;

    /// <summary>Of the last batch: <c>accuracy</c> (query → document, in-batch) and <c>temperature</c>.</summary>
    public IReadOnlyDictionary<string, double> TrainingMetrics => _trainMetrics;

    /// <summary>Over the last evaluation: <c>accuracy</c>.</summary>
    public IReadOnlyDictionary<string, double> EvaluationMetrics => _evaluationMetrics;

    private float LogTemperature => _logTemperature is null ? _fixedLogTemperature : _logTemperature.Value.ToArray()[0];

    /// <inheritdoc />
    public Tensor TrainingLoss(Tape tape, in TrainingContext context)
    {
        int batchesPerEpoch = _train.Count / _pairsPerBatch;
        ulong batch = DataPosition++;
        int[] order = SftDataset.Permutation(_train.Count, new CounterRng(CounterRng.Hash(_seed, batch / (ulong)batchesPerEpoch)));
        int first = (int)(batch % (ulong)batchesPerEpoch) * _pairsPerBatch;
        var examples = order.AsSpan(first, _pairsPerBatch).ToArray().Select(i => _train.Examples[i]).ToList();
        var (loss, result) = Loss(tape, context, examples, backPropagate: true);
        _trainMetrics["accuracy"] = result.Accuracy;
        _trainMetrics["temperature"] = Temperature;
        return loss!;
    }

    /// <summary>Mean loss over at most <paramref name="maxBatches"/> held-out batches, in order.</summary>
    /// <param name="tape">The tape (in NoGrad).</param>
    /// <param name="context">Model and adapter.</param>
    /// <param name="maxBatches">Upper bound on batches read.</param>
    public float Evaluate(Tape tape, in TrainingContext context, int maxBatches)
    {
        if (_evaluation is null) throw new InvalidOperationException("this objective has no held-out pairs to evaluate on.");
        int size = Math.Min(_pairsPerBatch, _evaluation.Count);
        int batches = Math.Max(1, Math.Min(maxBatches, _evaluation.Count / size));
        double loss = 0, accuracy = 0;
        for (int b = 0; b < batches; b++)
        {
            var (_, result) = Loss(tape, context, _evaluation.Examples.Skip(b * size).Take(size).ToList(), backPropagate: false);
            loss += result.Loss / batches;
            accuracy += result.Accuracy / batches;
        }

        _evaluationMetrics["accuracy"] = accuracy;
        return (float)loss;
    }

    // The batch's rows: the N queries, the N positives, then the hard negatives.
    private (Tensor? Loss, InfoNce.Result Result) Loss(Tape tape, in TrainingContext context, List<ContrastiveExample> examples, bool backPropagate)
    {
        var model = context.Model;
        if (Head.Device != model.Device)
            throw new InvalidOperationException($"the embedding head is on {Head.Device} but the model is on {model.Device}; create the head on the model's device.");
        _encoder ??= new EmbeddingEncoder(_tokenizer, Head.Config, model.Config.ContextLength, model.Config.VocabularySize);
        var rows = new List<int[]>();
        foreach (var e in examples) rows.Add(_encoder.Encode(e.Query, "a query").Sequence);
        foreach (var e in examples) rows.Add(_encoder.Encode(e.Positive, "a positive").Sequence);
        foreach (var e in examples)
            foreach (string negative in _options.MaxNegativesPerPair < 0 ? e.Negatives : e.Negatives.Take(_options.MaxNegativesPerPair))
                rows.Add(_encoder.Encode(negative, "a negative").Sequence);
        _tokensPerBatch = rows.Sum(r => (long)r.Length);

        int n = examples.Count, d = Head.Dimension, total = rows.Count;
        int chunk = _options.ChunkSize == 0 ? total : _options.ChunkSize;
        int chunks = (total + chunk - 1) / chunk;
        List<int[]> Chunk(int k) => rows.GetRange(k * chunk, Math.Min(chunk, total - k * chunk));
        ulong dropoutSeed = context.DropoutSeed;
        ulong Seed(int k) => CounterRng.Hash(dropoutSeed, (ulong)k);
        double theta = LogTemperature;

        if (chunks == 1 && backPropagate)
        {
            var embeddings = Head.Embed(tape, model, rows, context.Adapter, Seed(0));                  // (R, D)
            var values = embeddings.ToArray();
            var single = InfoNce.Compute(values.AsSpan(0, n * d), values.AsSpan(n * d), n, d, theta);
            return (Surrogate(tape, embeddings, Gradient(single), single), single);
        }

        // (1) every chunk without the graph (same dropout masks as (3): same rows, same seeds)
        var all = new float[total * d];
        using (tape.NoGrad())
        {
            for (int k = 0; k < chunks; k++)
            {
                tape.Reset();
                var embeddings = Head.Embed(tape, model, Chunk(k), context.Adapter, Seed(k));
                embeddings.CopyTo(all.AsSpan(k * chunk * d, embeddings.Length));
            }
        }

        // (2) the loss and its gradients over the whole batch
        var result = InfoNce.Compute(all.AsSpan(0, n * d), all.AsSpan(n * d), n, d, theta);
        if (!backPropagate) return (null, result);
        float[] gradient = Gradient(result);

        // (3) each chunk again with its graph, back-propagating its slice of the cached gradient
        for (int k = 0; k < chunks - 1; k++)
        {
            tape.Reset();
            var embeddings = Head.Embed(tape, model, Chunk(k), context.Adapter, Seed(k));
            var slice = gradient.AsSpan(k * chunk * d, embeddings.Length).ToArray();
            for (int i = 0; i < slice.Length; i++) slice[i] *= context.GradientScale;
            if (embeddings.RequiresGrad) tape.Backward(embeddings, slice);
        }

        tape.Reset();
        int last = chunks - 1;
        var lastEmbeddings = Head.Embed(tape, model, Chunk(last), context.Adapter, Seed(last));
        return (Surrogate(tape, lastEmbeddings, gradient.AsSpan(last * chunk * d, lastEmbeddings.Length).ToArray(), result), result);
    }

    private static float[] Gradient(InfoNce.Result result) => [.. result.QueryGradient, .. result.DocumentGradient];

    // A scalar whose value is the batch loss and whose gradient is the cached one: Σ E⊙G (G constant) for the embeddings
    // still on the tape, θ·dL/dθ for a learned temperature, plus a constant that makes the value the loss. The trainer's
    // backward (scaled by 1/accumulation) then sends exactly the cached gradients into the last chunk and θ.
    private Tensor Surrogate(Tape tape, Tensor embeddings, float[] gradient, InfoNce.Result result)
    {
        var perRow = tape.RowSum(embeddings, tape.Constant(gradient, embeddings.Shape));                  // (R)
        var ones = new float[perRow.Length];
        Array.Fill(ones, 1f);
        var sum = tape.RowSum(perRow, tape.Constant(ones, perRow.Shape));                                 // (1)
        if (_logTemperature is not null)
            sum = tape.Add(sum, tape.RowSum(_logTemperature.Value, tape.Constant([(float)result.LogTemperatureGradient], new Shape(1))));
        float value = sum.ToArray()[0];
        return tape.Add(sum, tape.Constant([(float)(result.Loss - value)], new Shape(1)));
    }
}
