using Gpt.Kernels.Devices;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// The embedding head on a GPT trunk (sentence-transformers' transformer → pooling → normalise): pooling of the trunk's
/// hidden states (<see cref="EmbeddingPooling"/>), an optional linear projection C → D (a segment of its own,
/// <c>embedding.proj.weight</c> (D, C) and <c>embedding.proj.bias</c> (D)), and L2 normalisation, which is done on the
/// pooled vectors outside the tape (<see cref="Normalize"/>) because the contrastive loss reads them there too.
/// </summary>
public sealed class EmbeddingHead : IDisposable
{
    /// <summary>The projection's key prefix in the head file.</summary>
    public const string ProjectionName = "embedding.proj";

    /// <summary>A head of <paramref name="config"/> with a new projection (when it has one): weight N(0, 1/C), bias zero.</summary>
    /// <param name="config">Pooling, projection and delimiters; validated.</param>
    /// <param name="device">Where the projection lives.</param>
    /// <param name="seed">Seed of the projection's initial weight.</param>
    public EmbeddingHead(EmbeddingHeadConfig config, Device device, ulong seed = 0)
    {
        Config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        ArgumentNullException.ThrowIfNull(device);
        Device = device;
        if (config.ProjectionDimension is { } dimension)
        {
            Parameters = new ParameterSegment("head:embedding");
            Projection = new Linear(Parameters, ProjectionName, config.TrunkWidth, dimension,
                ParameterInit.Normal(1f / MathF.Sqrt(config.TrunkWidth)), storedTransposed: false);
            Parameters.Allocate(device);
            Parameters.Initialize(seed);
        }
    }

    /// <summary>Pooling, projection and delimiters.</summary>
    public EmbeddingHeadConfig Config { get; }

    /// <summary>The embeddings' width.</summary>
    public int Dimension => Config.Dimension;

    /// <summary>Where the projection lives.</summary>
    public Device Device { get; }

    /// <summary>The projection's weights, or null for a head without a projection (it has no weights).</summary>
    public ParameterSegment? Parameters { get; }

    /// <summary>The projection C → D, or null.</summary>
    public Linear? Projection { get; }

    /// <summary>A head config for a trunk of width <paramref name="trunkWidth"/> whose tokenizer is <paramref name="tokenizer"/>:
    /// for <see cref="EmbeddingPooling.EndToken"/> the delimiters' ids are read from it.</summary>
    /// <param name="pooling">The pooling.</param>
    /// <param name="trunkWidth">C.</param>
    /// <param name="tokenizer">The tokenizer (with the delimiters for end-token pooling: see <see cref="AddDelimiters"/>).</param>
    /// <param name="projectionDimension">D, or null for no projection.</param>
    /// <exception cref="ArgumentException">End-token pooling with a tokenizer that lacks the delimiters.</exception>
    public static EmbeddingHeadConfig ConfigFor(EmbeddingPooling pooling, int trunkWidth, ITokenizer tokenizer, int? projectionDimension = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var config = new EmbeddingHeadConfig { Pooling = pooling, TrunkWidth = trunkWidth, ProjectionDimension = projectionDimension };
        if (pooling == EmbeddingPooling.Mean) return config.Validate();
        var (start, end) = DelimiterIds(tokenizer);
        return (config with { StartTokenId = start, EndTokenId = end }).Validate();
    }

    /// <summary>The tokenizer plus the delimiters <see cref="WellKnownSpecialTokens.EmbedStart"/> and
    /// <see cref="WellKnownSpecialTokens.EmbedEnd"/> as special tokens (new ids from its vocabulary size on, unless it has
    /// them already); a trunk needs that many embedding rows to read them.</summary>
    /// <param name="tokenizer">A BPE tokenizer.</param>
    public static BpeTokenizer AddDelimiters(BpeTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return tokenizer.WithSpecialTokens(WellKnownSpecialTokens.EmbedStart, WellKnownSpecialTokens.EmbedEnd);
    }

    /// <summary>Scales <paramref name="vector"/> to unit length in place (a zero vector stays zero).</summary>
    /// <param name="vector">The vector.</param>
    public static void Normalize(Span<float> vector)
    {
        double sum = 0;
        foreach (float v in vector) sum += (double)v * v;
        if (sum == 0) return;
        float scale = (float)(1 / Math.Sqrt(sum));
        for (int i = 0; i < vector.Length; i++) vector[i] *= scale;
    }

    /// <summary>Frees the projection's weights.</summary>
    public void Dispose() => Parameters?.Dispose();

    internal static (int Start, int End) DelimiterIds(ITokenizer tokenizer)
    {
        if (tokenizer is BpeTokenizer bpe
            && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EmbedStart, out int start)
            && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EmbedEnd, out int end))
            return (start, end);
        throw new ArgumentException(
            $"end-token pooling needs a BPE tokenizer with the special tokens {WellKnownSpecialTokens.EmbedStart} and {WellKnownSpecialTokens.EmbedEnd}, " +
            "and this tokenizer lacks them. Add them with EmbeddingHead.AddDelimiters (the trunk then needs their embedding rows: " +
            "ContrastiveTraining adds them), use the tokenizer saved with the head, or use mean pooling.", nameof(tokenizer));
    }

    /// <summary>The pooled, projected, unnormalised embeddings (N, D) of token sequences: one trunk pass over them, padded.</summary>
    internal Tensor Embed(Tape tape, GptModel trunk, IReadOnlyList<int[]> sequences, Nn.Lora.LoraAdapter? adapter, ulong dropoutSeed)
    {
        var batch = new EmbeddingBatch(sequences);
        var hidden = trunk.ForwardHidden(tape, batch.Ids, batch.Rows, batch.Length, new ForwardOptions { Adapter = adapter, DropoutSeed = dropoutSeed }); // (N, T, C)
        return Forward(tape, hidden, batch);                                                                                                             // (N, D)
    }

    /// <summary>The pooled, projected, unnormalised embeddings (N, D) of a batch's hidden states (N, T, C).</summary>
    internal Tensor Forward(Tape tape, Tensor hidden, EmbeddingBatch batch)
    {
        if (hidden.Shape.Last != Config.TrunkWidth)
            throw new InvalidOperationException($"the head reads hidden states of width {Config.TrunkWidth}, but the trunk's are {hidden.Shape.Last} wide.");
        var pooled = Config.Pooling == EmbeddingPooling.EndToken
            ? tape.SelectRows(hidden, tape.Indices(batch.EndPositions))                           // (N, C)
            : tape.CombineRows(tape.Constant(batch.MeanWeights(), new Shape(batch.Rows, batch.Rows * batch.Length)), hidden); // (N, C)
        return Projection is null ? pooled : Projection.Forward(tape, pooled);                       // (N, D)
    }
}
