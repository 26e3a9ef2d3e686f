namespace Gpt.Sdk.Nn;

/// <summary>
/// How a parameter is initialised, declared where the parameter is made (never guessed from its name).
/// Random initialisers draw element i of a segment from a stream keyed by (seed, i), so the values do
/// not depend on how the fill is split across threads.
/// </summary>
public abstract record ParameterInit
{
    /// <summary>All zeros (biases, LoRA's B).</summary>
    public static ParameterInit Zeros { get; } = new Constant(0f);

    /// <summary>All ones (LayerNorm gains).</summary>
    public static ParameterInit Ones { get; } = new Constant(1f);

    /// <summary>Gaussian N(0, std²) (GPT-2's matrices and embeddings).</summary>
    /// <param name="std">Standard deviation.</param>
    public static ParameterInit Normal(float std) => new Gaussian(std);

    /// <summary>PyTorch's <c>kaiming_uniform_(w, a=√5)</c>, as PEFT initialises LoRA's A:
    /// U(−1/√fanIn, 1/√fanIn).</summary>
    /// <param name="fanIn">Input width of the layer.</param>
    public static ParameterInit KaimingUniform(int fanIn) => new Uniform(1f / MathF.Sqrt(fanIn));

    /// <summary>Fills <paramref name="values"/>, the elements from <paramref name="offset"/> of a segment.</summary>
    /// <param name="values">The parameter's elements.</param>
    /// <param name="offset">Index of the first element within its segment (keys the random stream).</param>
    /// <param name="stream">The segment's random stream.</param>
    internal abstract void Fill(Span<float> values, long offset, ulong stream);

    private sealed record Constant(float Value) : ParameterInit
    {
        internal override void Fill(Span<float> values, long offset, ulong stream) => values.Fill(Value);
    }

    private sealed record Gaussian(float Std) : ParameterInit
    {
        internal override void Fill(Span<float> values, long offset, ulong stream) =>
            RandomFill.Gaussian(values, offset, Std, stream);
    }

    private sealed record Uniform(float Bound) : ParameterInit
    {
        internal override void Fill(Span<float> values, long offset, ulong stream) =>
            RandomFill.Uniform(values, offset, Bound, stream);
    }
}
