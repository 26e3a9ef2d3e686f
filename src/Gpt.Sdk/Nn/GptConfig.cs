namespace Gpt.Sdk.Nn;

/// <summary>
/// Shape and hyper-parameters of a GPT-2-architecture model. Names follow Hugging Face's
/// <c>GPT2Config</c> (<c>n_embd</c>, <c>n_head</c>, ...); <see cref="Validate"/> refuses shapes the
/// model cannot be built with.
/// </summary>
public sealed record GptConfig
{
    /// <summary>Number of token ids (<c>vocab_size</c>); GPT-2 uses 50257.</summary>
    public int VocabularySize { get; init; } = 50257;

    /// <summary>Maximum sequence length, the size of the position table (<c>n_positions</c>).</summary>
    public int ContextLength { get; init; } = 1024;

    /// <summary>Width of the residual stream (<c>n_embd</c>).</summary>
    public int EmbeddingSize { get; init; } = 768;

    /// <summary>Number of transformer blocks (<c>n_layer</c>).</summary>
    public int LayerCount { get; init; } = 12;

    /// <summary>Number of attention heads per block (<c>n_head</c>); must divide <see cref="EmbeddingSize"/>.</summary>
    public int HeadCount { get; init; } = 12;

    /// <summary>Dropout probability on embeddings, attention output and MLP output during training.</summary>
    public float Dropout { get; init; }

    /// <summary>Epsilon inside every LayerNorm (<c>layer_norm_epsilon</c>).</summary>
    public float LayerNormEpsilon { get; init; } = 1e-5f;

    /// <summary>Width of one attention head.</summary>
    public int HeadSize => EmbeddingSize / HeadCount;

    /// <summary>Width of the MLP's hidden layer (<c>n_inner</c>, 4 × <see cref="EmbeddingSize"/> in GPT-2).</summary>
    public int MlpSize => 4 * EmbeddingSize;

    /// <summary>GPT-2 small (124M parameters).</summary>
    public static GptConfig Gpt2Small { get; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field that cannot build a model.</summary>
    /// <returns>This configuration, for chaining.</returns>
    public GptConfig Validate()
    {
        Positive(VocabularySize, "vocab_size");
        Positive(ContextLength, "n_positions");
        Positive(EmbeddingSize, "n_embd");
        Positive(LayerCount, "n_layer");
        Positive(HeadCount, "n_head");
        if (EmbeddingSize % HeadCount != 0)
            throw new ArgumentException(
                $"n_embd ({EmbeddingSize}) must be divisible by n_head ({HeadCount}); choose a head count that divides the width.");
        if (!(Dropout >= 0 && Dropout < 1))
            throw new ArgumentException($"dropout must be in [0, 1), got {Dropout}.");
        if (!(LayerNormEpsilon > 0) || float.IsInfinity(LayerNormEpsilon))
            throw new ArgumentException($"layer_norm_epsilon must be a positive finite number, got {LayerNormEpsilon}.");
        return this;
    }

    /// <summary>Standard deviation of GPT-2's initial weights and embeddings.</summary>
    public const float InitStd = 0.02f;

    /// <summary>GPT-2's smaller initial spread for the projections that write into the residual stream,
    /// 0.02/√(2·n_layer), so the stream's variance does not grow with depth.</summary>
    public float ResidualInitStd => InitStd / MathF.Sqrt(2f * LayerCount);

    private static void Positive(int value, string name)
    {
        if (value <= 0) throw new ArgumentException($"{name} must be positive, got {value}.");
    }
}
