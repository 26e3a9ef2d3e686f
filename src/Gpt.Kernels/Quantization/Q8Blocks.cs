namespace Gpt.Kernels.Quantization;

/// <summary>
/// 8-bit block quantization in llama.cpp's Q8_0 layout: each run of <see cref="BlockSize"/> consecutive values is
/// stored as 32 signed bytes and one fp16 scale d = max|x| / 127, with x ≈ d·q. The one quantizer of the project:
/// int8 weight storage for inference and the GGUF exporter both call it, so an int8 model and its <c>q8_0</c> GGUF
/// file hold the same numbers.
/// </summary>
public static class Q8Blocks
{
    /// <summary>Values per block (llama.cpp's <c>QK8_0</c>).</summary>
    public const int BlockSize = 32;

    /// <summary>The number of blocks (and scales) that hold <paramref name="count"/> values.</summary>
    /// <param name="count">A multiple of <see cref="BlockSize"/>.</param>
    /// <exception cref="ArgumentException">The count is negative or not a whole number of blocks.</exception>
    public static int BlockCount(int count)
    {
        if (count < 0 || count % BlockSize != 0)
            throw new ArgumentException($"Q8 blocks hold {BlockSize} values each, so the count must be a non-negative multiple of {BlockSize}; got {count}. " +
                "Quantize rows whose width is a multiple of 32 (every GPT-2 width is), or keep such a tensor in fp32.", nameof(count));
        return count / BlockSize;
    }

    /// <summary>Quantizes <paramref name="source"/> into <paramref name="values"/> (same length) and one scale per block.
    /// Rounds as llama.cpp's reference <c>quantize_row_q8_0</c>: q = round-half-away(x / d) with the unrounded d,
    /// then d is stored as fp16.</summary>
    /// <param name="source">The values; a whole number of blocks.</param>
    /// <param name="values">The quantized values, as long as <paramref name="source"/>.</param>
    /// <param name="scales">One scale per block.</param>
    /// <exception cref="ArgumentException">The lengths do not match, or a value is not finite.</exception>
    public static void Quantize(ReadOnlySpan<float> source, Span<sbyte> values, Span<Half> scales)
    {
        int blocks = BlockCount(source.Length);
        if (values.Length != source.Length || scales.Length != blocks)
            throw new ArgumentException($"quantizing {source.Length} values needs {source.Length} bytes and {blocks} scales; got {values.Length} and {scales.Length}.");
        for (int b = 0; b < blocks; b++)
        {
            var block = source.Slice(b * BlockSize, BlockSize);
            float max = 0;
            for (int i = 0; i < BlockSize; i++)
            {
                if (!float.IsFinite(block[i]))
                    throw new ArgumentException($"value {b * BlockSize + i} is {block[i]}; only finite values can be quantized.", nameof(source));
                max = MathF.Max(max, MathF.Abs(block[i]));
            }
            float d = max / 127f;
            float inverse = d == 0 ? 0 : 1f / d;
            var q = values.Slice(b * BlockSize, BlockSize);
            for (int i = 0; i < BlockSize; i++) q[i] = (sbyte)MathF.Round(block[i] * inverse, MidpointRounding.AwayFromZero);
            scales[b] = (Half)d;
        }
    }

    /// <summary>Expands quantized blocks back to fp32: x = d·q.</summary>
    /// <param name="values">The quantized values; a whole number of blocks.</param>
    /// <param name="scales">One scale per block.</param>
    /// <param name="destination">The values, as long as <paramref name="values"/>.</param>
    /// <exception cref="ArgumentException">The lengths do not match.</exception>
    public static void Dequantize(ReadOnlySpan<sbyte> values, ReadOnlySpan<Half> scales, Span<float> destination)
    {
        int blocks = BlockCount(values.Length);
        if (destination.Length != values.Length || scales.Length != blocks)
            throw new ArgumentException($"expanding {values.Length} values needs {blocks} scales and room for {values.Length}; got {scales.Length} and {destination.Length}.");
        for (int b = 0; b < blocks; b++)
        {
            float d = (float)scales[b];
            for (int i = b * BlockSize; i < (b + 1) * BlockSize; i++) destination[i] = d * values[i];
        }
    }
}
