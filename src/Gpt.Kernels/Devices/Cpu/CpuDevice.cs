using System.Runtime.CompilerServices;

namespace Gpt.Kernels.Devices.Cpu;

/// <summary>
/// The CPU device: host memory and the SIMD, multi-threaded kernels of this folder. Each op views
/// its slices as spans and calls the matching <c>Cpu*</c> kernel, which validates the sizes.
/// </summary>
internal sealed unsafe class CpuDevice : Device
{
    internal static readonly CpuDevice Instance = new();

    private CpuDevice() { }

    /// <inheritdoc />
    public override DeviceKind Kind => DeviceKind.Cpu;

    /// <inheritdoc />
    public override string Name => $"CPU ({CpuParallel.ThreadCount} threads)";

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(long length) => new CpuBuffer<T>(this, length);

    /// <inheritdoc />
    public override void Upload<T>(ReadOnlySpan<T> source, Slice<T> destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"source has {source.Length} elements, destination {destination.Length}.", nameof(source));
        source.CopyTo(W(destination));
    }

    /// <inheritdoc />
    public override void Download<T>(Slice<T> source, Span<T> destination)
    {
        if (source.Length != destination.Length)
            throw new ArgumentException($"source has {source.Length} elements, destination {destination.Length}.", nameof(destination));
        R(source).CopyTo(destination);
    }

    /// <summary>The host memory behind a slice of a CPU buffer.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="slice">A slice of a buffer this device allocated (or empty).</param>
    public static Span<T> AsSpan<T>(Slice<T> slice) where T : unmanaged => W(slice);

    /// <summary>The host memory behind a slice of a CPU buffer, read-only.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="slice">A slice of a buffer this device allocated (or empty).</param>
    public static ReadOnlySpan<T> AsReadOnlySpan<T>(Slice<T> slice) where T : unmanaged => W(slice);

    /// <inheritdoc />
    public override void MatMul(Slice<float> a, Slice<float> b, Slice<float> c, int m, int n, int k, bool transA, bool transB, float alpha, float beta, Slice<float> bias)
        => CpuGemm.MatMul(R(a), R(b), W(c), m, n, k, transA, transB, alpha, beta, R(bias));

    /// <inheritdoc />
    public override void BatchedMatMul(Slice<float> a, Slice<float> b, Slice<float> c, int batch, int m, int n, int k, bool transA, bool transB, float alpha, float beta)
        => CpuGemm.BatchedMatMul(R(a), R(b), W(c), batch, m, n, k, transA, transB, alpha, beta);

    /// <inheritdoc />
    public override void MatMulBf16(Slice<float> a, Slice<ushort> weight, Slice<float> c, int m, int n, int k, Slice<float> bias)
        => CpuCompactWeights.MatMulBf16(R(a), R(weight), W(c), m, n, k, R(bias));

    /// <inheritdoc />
    public override void MatMulQ8(Slice<float> a, Slice<sbyte> weight, Slice<float> scales, Slice<float> c, int m, int n, int k, Slice<float> bias)
        => CpuCompactWeights.MatMulQ8(R(a), R(weight), R(scales), W(c), m, n, k, R(bias));

    /// <inheritdoc />
    public override void EmbeddingForwardBf16(Slice<int> ids, Slice<ushort> table, Slice<float> output, int count, int dim, int tableRows)
        => CpuCompactWeights.EmbeddingBf16(R(ids), R(table), W(output), count, dim, tableRows);

    /// <inheritdoc />
    public override void EmbeddingForwardQ8(Slice<int> ids, Slice<sbyte> table, Slice<float> scales, Slice<float> output, int count, int dim, int tableRows)
        => CpuCompactWeights.EmbeddingQ8(R(ids), R(table), R(scales), W(output), count, dim, tableRows);

    /// <inheritdoc />
    public override void LayerNormForward(Slice<float> input, Slice<float> weight, Slice<float> bias, Slice<float> output, Slice<float> mean, Slice<float> rstd, int rows, int cols, float epsilon)
        => CpuLayerNorm.Forward(R(input), R(weight), R(bias), W(output), W(mean), W(rstd), rows, cols, epsilon);

    /// <inheritdoc />
    public override void LayerNormBackward(Slice<float> dOutput, Slice<float> input, Slice<float> weight, Slice<float> mean, Slice<float> rstd, Slice<float> dInput, Slice<float> dWeight, Slice<float> dBias, int rows, int cols)
        => CpuLayerNorm.Backward(R(dOutput), R(input), R(weight), R(mean), R(rstd), W(dInput), W(dWeight), W(dBias), rows, cols);

    /// <inheritdoc />
    public override void GeluForward(Slice<float> input, Slice<float> output, int count)
        => CpuGelu.Forward(R(input), W(output), count);

    /// <inheritdoc />
    public override void GeluBackward(Slice<float> input, Slice<float> dOutput, Slice<float> dInput, int count)
        => CpuGelu.Backward(R(input), R(dOutput), W(dInput), count);

    /// <inheritdoc />
    public override void SoftmaxForward(Slice<float> input, Slice<float> output, int rows, int cols)
        => CpuSoftmax.Forward(R(input), W(output), rows, cols);

    /// <inheritdoc />
    public override void SoftmaxBackward(Slice<float> output, Slice<float> dOutput, Slice<float> dInput, int rows, int cols)
        => CpuSoftmax.Backward(R(output), R(dOutput), W(dInput), rows, cols);

    /// <inheritdoc />
    public override void AttentionForward(Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts)
        => CpuAttention.Forward(R(qkv), W(output), W(logSumExp), batch, seqLen, heads, headSize, R(segmentStarts));

    /// <inheritdoc />
    public override void AttentionBackward(Slice<float> dOutput, Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, Slice<float> dQkv, int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts)
        => CpuAttention.Backward(R(dOutput), R(qkv), R(output), R(logSumExp), W(dQkv), batch, seqLen, heads, headSize, R(segmentStarts));

    /// <inheritdoc />
    public override void CrossEntropyForward(Slice<float> logits, Slice<int> targets, Slice<float> losses, Slice<float> logSumExp, int rows, int vocab)
        => CpuCrossEntropy.Forward(R(logits), R(targets), W(losses), W(logSumExp), rows, vocab);

    /// <inheritdoc />
    public override void CrossEntropyBackward(Slice<float> logits, Slice<float> logSumExp, Slice<int> targets, Slice<float> dLosses, Slice<float> dLogits, int rows, int vocab)
        => CpuCrossEntropy.Backward(R(logits), R(logSumExp), R(targets), R(dLosses), W(dLogits), rows, vocab);

    /// <inheritdoc />
    public override void EmbeddingForward(Slice<int> ids, Slice<float> table, Slice<float> output, int count, int dim, int tableRows)
        => CpuEmbedding.Forward(R(ids), R(table), W(output), count, dim, tableRows);

    /// <inheritdoc />
    public override void EmbeddingBackward(Slice<int> ids, Slice<float> dOutput, Slice<float> dTable, int count, int dim)
        => CpuEmbedding.Backward(R(ids), R(dOutput), W(dTable), count, dim);

    /// <inheritdoc />
    public override void AdamWStep(Slice<float> param, Slice<float> grad, Slice<float> m, Slice<float> v, int count, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
        => CpuAdamW.Step(W(param), R(grad), W(m), W(v), count, learningRate, beta1, beta2, epsilon, weightDecay, step, gradScale);

    /// <inheritdoc />
    public override void Add(Slice<float> a, Slice<float> b, Slice<float> output, int count)
        => CpuElementwise.Add(R(a), R(b), W(output), count);

    /// <inheritdoc />
    public override void AddInPlace(Slice<float> accumulator, Slice<float> x, int count)
        => CpuElementwise.AddInPlace(W(accumulator), R(x), count);

    /// <inheritdoc />
    public override void Scale(Slice<float> x, float alpha, Slice<float> output, int count)
        => CpuElementwise.Scale(R(x), alpha, W(output), count);

    /// <inheritdoc />
    public override void Fill(Slice<float> output, float value, int count)
        => CpuElementwise.Fill(W(output), value, count);

    /// <inheritdoc />
    public override void Copy(Slice<float> x, Slice<float> output, int count)
        => CpuElementwise.Copy(R(x), W(output), count);

    /// <inheritdoc />
    public override void Multiply(Slice<float> a, Slice<float> b, Slice<float> output, int count)
        => CpuElementwise.Multiply(R(a), R(b), W(output), count);

    /// <inheritdoc />
    public override void MultiplyAccumulate(Slice<float> a, Slice<float> b, Slice<float> accumulator, int count)
        => CpuElementwise.MultiplyAccumulate(R(a), R(b), W(accumulator), count);

    // The objectives' ops below run the references: they see (B, T) log-probabilities and (B) scores, a few thousand
    // elements a step, where a SIMD path would save microseconds and add a second implementation to keep in step.

    /// <inheritdoc />
    public override void Exp(Slice<float> x, Slice<float> output, int count)
        => ElementwiseKernels.Exp(R(x), W(output), count);

    /// <inheritdoc />
    public override void LogSigmoid(Slice<float> x, Slice<float> output, int count)
        => ElementwiseKernels.LogSigmoid(R(x), W(output), count);

    /// <inheritdoc />
    public override void LogSigmoidBackward(Slice<float> x, Slice<float> dOutput, Slice<float> dInput, int count)
        => ElementwiseKernels.LogSigmoidBackward(R(x), R(dOutput), W(dInput), count);

    /// <inheritdoc />
    public override void Clamp(Slice<float> x, float low, float high, Slice<float> output, int count)
        => ElementwiseKernels.Clamp(R(x), low, high, W(output), count);

    /// <inheritdoc />
    public override void ClampBackward(Slice<float> x, float low, float high, Slice<float> dOutput, Slice<float> dInput, int count)
        => ElementwiseKernels.ClampBackward(R(x), low, high, R(dOutput), W(dInput), count);

    /// <inheritdoc />
    public override void Minimum(Slice<float> a, Slice<float> b, Slice<float> output, int count)
        => ElementwiseKernels.Minimum(R(a), R(b), W(output), count);

    /// <inheritdoc />
    public override void Maximum(Slice<float> a, Slice<float> b, Slice<float> output, int count)
        => ElementwiseKernels.Maximum(R(a), R(b), W(output), count);

    /// <inheritdoc />
    public override void SelectBackward(Slice<float> a, Slice<float> b, Slice<float> output, Slice<float> dOutput, Slice<float> dA, Slice<float> dB, int count)
        => ElementwiseKernels.SelectBackward(R(a), R(b), R(output), R(dOutput), W(dA), W(dB), count);

    /// <inheritdoc />
    public override void RowSum(Slice<float> x, Slice<float> weights, Slice<float> output, int rows, int cols)
        => ReduceKernels.RowSum(R(x), R(weights), W(output), rows, cols);

    /// <inheritdoc />
    public override void RowSumBackward(Slice<float> dOutput, Slice<float> weights, Slice<float> dInput, int rows, int cols)
        => ReduceKernels.RowSumBackward(R(dOutput), R(weights), W(dInput), rows, cols);

    /// <inheritdoc />
    public override void DropoutForward(Slice<float> input, Slice<float> output, int count, float p, ulong seed)
        => CpuElementwise.DropoutForward(R(input), W(output), count, p, seed);

    /// <inheritdoc />
    public override void DropoutBackward(Slice<float> dOutput, Slice<float> dInput, int count, float p, ulong seed)
        => CpuElementwise.DropoutBackward(R(dOutput), W(dInput), count, p, seed);

    /// <inheritdoc />
    public override void ColumnSum(Slice<float> input, Slice<float> output, int rows, int cols)
        => CpuReduce.ColumnSum(R(input), W(output), rows, cols);

    /// <inheritdoc />
    public override double Sum(Slice<float> x) => CpuReduce.Sum(R(x));

    /// <inheritdoc />
    public override double SumOfSquares(Slice<float> x) => CpuReduce.SumOfSquares(R(x));

    /// <inheritdoc />
    public override void KvCacheAppend(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, int batch, int newLen, int capacity, int heads, int headSize)
        => CpuCachedAttention.Append(R(qkv), W(keys), W(values), R(past), batch, newLen, capacity, heads, headSize);

    /// <inheritdoc />
    public override void CachedAttentionForward(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, Slice<float> output, int batch, int newLen, int capacity, int heads, int headSize)
        => CpuCachedAttention.Forward(R(qkv), R(keys), R(values), R(past), W(output), batch, newLen, capacity, heads, headSize);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<T> R<T>(Slice<T> slice) where T : unmanaged => W(slice);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<T> W<T>(Slice<T> slice) where T : unmanaged
    {
        if (slice.Length == 0) return default;
        if (slice.Buffer is not CpuBuffer<T> buffer)
            throw new ArgumentException($"a {slice.Buffer?.Device.Kind} buffer was passed to the CPU device; copy it to the CPU first.");
        return new Span<T>(buffer.Pointer + slice.Offset, slice.Length);
    }
}
