using Gpt.Kernels.Devices.Cpu;

namespace Gpt.Kernels.Devices;

/// <summary>
/// A compute device: allocates buffers and runs the SDK's small, backend-neutral op surface on them.
/// Shapes use the llm.c legend: B batch, T time, C channels, NH heads, HS head size, V vocabulary.
/// Gradient outputs marked "+=" accumulate; an empty slice there means "frozen, skip".
/// </summary>
public abstract class Device : IDisposable
{
    // Only this assembly's back ends derive from Device, so a new op can join the surface without breaking anyone.
    private protected Device()
    {
    }

    /// <summary>The CPU device (always present; shared, never disposed).</summary>
    public static Device Cpu => CpuDevice.Instance;

    /// <summary>Which back end this is.</summary>
    public abstract DeviceKind Kind { get; }

    /// <summary>A human-readable description (processor or GPU name and thread count).</summary>
    public abstract string Name { get; }

    /// <summary>The best device present (CUDA, then an OpenCL GPU, then the CPU); see <see cref="Get(DeviceKind, out string)"/>
    /// for the reason behind the choice.</summary>
    public static Device Auto => Get(DeviceKind.Auto);

    /// <summary>Returns the device of the given kind, or throws <see cref="NotSupportedException"/>
    /// saying why it is absent; <see cref="DeviceKind.Auto"/> picks the best device present.</summary>
    /// <param name="kind">The device wanted.</param>
    public static Device Get(DeviceKind kind) => Get(kind, out _);

    /// <summary>Returns the device of the given kind, and says why it was chosen. An explicit kind that is
    /// absent throws <see cref="NotSupportedException"/> naming what is missing (never a silent fallback).
    /// <see cref="DeviceKind.Auto"/> takes the first CUDA GPU, else the first OpenCL GPU (not a CPU OpenCL
    /// device such as POCL), else the CPU, and <paramref name="reason"/> names what it skipped and why: log it.
    /// GPU devices are opened once per process and shared; disposing them does nothing.</summary>
    /// <param name="kind">The device wanted.</param>
    /// <param name="reason">The device chosen, and for <see cref="DeviceKind.Auto"/> what was skipped and why.</param>
    public static Device Get(DeviceKind kind, out string reason) => DeviceSelection.Get(kind, out reason);

    /// <summary>Allocates an uninitialised buffer of <paramref name="length"/> elements.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="length">Number of elements.</param>
    public abstract DeviceBuffer<T> Allocate<T>(long length) where T : unmanaged;

    /// <summary>Copies host data into device memory.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="source">Host data; its length must equal the destination's.</param>
    /// <param name="destination">Device slice.</param>
    public abstract void Upload<T>(ReadOnlySpan<T> source, Slice<T> destination) where T : unmanaged;

    /// <summary>Copies device memory to the host.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="source">Device slice.</param>
    /// <param name="destination">Host memory; its length must equal the source's.</param>
    public abstract void Download<T>(Slice<T> source, Span<T> destination) where T : unmanaged;

    /// <summary>C = alpha·op(A)·op(B) + beta·C (+ bias per column). op(A) is (m, k), op(B) is (k, n).</summary>
    public abstract void MatMul(Slice<float> a, Slice<float> b, Slice<float> c, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta, Slice<float> bias);

    /// <summary><see cref="MatMul"/> over <paramref name="batch"/> contiguous independent products.</summary>
    public abstract void BatchedMatMul(Slice<float> a, Slice<float> b, Slice<float> c, int batch, int m, int n, int k,
        bool transA, bool transB, float alpha, float beta);

    /// <summary>C (m, n) = A (m, k) · Wᵀ (+ bias per column) with the weight W (n, k), as <c>nn.Linear</c> stores it, held as
    /// bf16 bits (the upper half of each fp32): inference with compact weights, computing in fp32. The CPU reads the bf16
    /// values directly; GPU devices do not support compact weights yet.</summary>
    /// <exception cref="NotSupportedException">This device has no bf16-weight kernels (OpenCL and CUDA for now).</exception>
    public virtual void MatMulBf16(Slice<float> a, Slice<ushort> weight, Slice<float> c, int m, int n, int k, Slice<float> bias) =>
        throw CompactWeightsNotSupported("bf16");

    /// <summary>C (m, n) = A (m, k) · Wᵀ (+ bias per column) with the weight W (n, k) held as int8 in
    /// <see cref="Quantization.Q8Blocks"/>' layout: values (n·k) and one scale per block of 32 along k (k a multiple of 32),
    /// the blocks' fp16 scales widened to fp32 once, when the matrix is loaded (widened in every product, they cost about a
    /// sixth of int8 decoding's time). Computes in fp32 from the int8 values directly (CPU only for now).</summary>
    /// <exception cref="NotSupportedException">This device has no int8-weight kernels (OpenCL and CUDA for now).</exception>
    public virtual void MatMulQ8(Slice<float> a, Slice<sbyte> weight, Slice<float> scales, Slice<float> c, int m, int n, int k, Slice<float> bias) =>
        throw CompactWeightsNotSupported("int8");

    /// <summary>output (count, dim) = table[ids] with the table (tableRows, dim) held as bf16 bits, expanded to fp32.</summary>
    /// <exception cref="NotSupportedException">This device has no bf16-weight kernels (OpenCL and CUDA for now).</exception>
    public virtual void EmbeddingForwardBf16(Slice<int> ids, Slice<ushort> table, Slice<float> output, int count, int dim, int tableRows) =>
        throw CompactWeightsNotSupported("bf16");

    /// <summary>output (count, dim) = table[ids] with the table (tableRows, dim) held as int8 in
    /// <see cref="Quantization.Q8Blocks"/>' layout (dim a multiple of 32) with its block scales widened to fp32, as
    /// <see cref="MatMulQ8"/> takes them; expanded to fp32.</summary>
    /// <exception cref="NotSupportedException">This device has no int8-weight kernels (OpenCL and CUDA for now).</exception>
    public virtual void EmbeddingForwardQ8(Slice<int> ids, Slice<sbyte> table, Slice<float> scales, Slice<float> output, int count, int dim, int tableRows) =>
        throw CompactWeightsNotSupported("int8");

    /// <summary>LayerNorm over rows of (rows, cols); saves mean and rstd (rows) for backward.</summary>
    public abstract void LayerNormForward(Slice<float> input, Slice<float> weight, Slice<float> bias, Slice<float> output,
        Slice<float> mean, Slice<float> rstd, int rows, int cols, float epsilon);

    /// <summary>LayerNorm backward; dInput, dWeight, dBias +=.</summary>
    public abstract void LayerNormBackward(Slice<float> dOutput, Slice<float> input, Slice<float> weight, Slice<float> mean,
        Slice<float> rstd, Slice<float> dInput, Slice<float> dWeight, Slice<float> dBias, int rows, int cols);

    /// <summary>GELU, tanh form.</summary>
    public abstract void GeluForward(Slice<float> input, Slice<float> output, int count);

    /// <summary>GELU backward; dInput +=.</summary>
    public abstract void GeluBackward(Slice<float> input, Slice<float> dOutput, Slice<float> dInput, int count);

    /// <summary>Row-wise softmax of (rows, cols).</summary>
    public abstract void SoftmaxForward(Slice<float> input, Slice<float> output, int rows, int cols);

    /// <summary>Softmax backward from its output; dInput +=.</summary>
    public abstract void SoftmaxBackward(Slice<float> output, Slice<float> dOutput, Slice<float> dInput, int rows, int cols);

    /// <summary>Causal self-attention: qkv (B, T, 3C) → output (B, T, C); logSumExp (B, NH, T) saved.
    /// <paramref name="segmentStarts"/> is <see cref="Slice{T}.Empty"/> (plain causal attention) or, for batches
    /// that pack several examples into a row, (B, T): the index within row b of the first position of position t's
    /// example, so that query t sees keys segmentStarts[b·T + t] ≤ s ≤ t; see the reference <c>AttentionKernels</c>.
    /// A start must be t or the previous position's start (examples lie one after another): the CPU refuses
    /// anything else; kernel devices do not read device memory back to check, and give wrong (finite) results.</summary>
    public abstract void AttentionForward(Slice<float> qkv, Slice<float> output, Slice<float> logSumExp,
        int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts);

    /// <summary>Attention backward; dQkv +=. <paramref name="segmentStarts"/> as given to <see cref="AttentionForward"/>.</summary>
    public abstract void AttentionBackward(Slice<float> dOutput, Slice<float> qkv, Slice<float> output, Slice<float> logSumExp,
        Slice<float> dQkv, int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts);

    /// <summary>Softmax cross-entropy per row of logits (rows, V); targets below zero are ignored (loss 0).</summary>
    public abstract void CrossEntropyForward(Slice<float> logits, Slice<int> targets, Slice<float> losses, Slice<float> logSumExp,
        int rows, int vocab);

    /// <summary>dLogits = (softmax − onehot)·dLosses[row] (overwrites; may be the logits' own memory).</summary>
    public abstract void CrossEntropyBackward(Slice<float> logits, Slice<float> logSumExp, Slice<int> targets, Slice<float> dLosses,
        Slice<float> dLogits, int rows, int vocab);

    /// <summary>output (count, dim) = table[ids].</summary>
    public abstract void EmbeddingForward(Slice<int> ids, Slice<float> table, Slice<float> output, int count, int dim, int tableRows);

    /// <summary>dTable[ids[i]] += dOutput[i], deterministically.</summary>
    public abstract void EmbeddingBackward(Slice<int> ids, Slice<float> dOutput, Slice<float> dTable, int count, int dim);

    /// <summary>One AdamW step (decoupled weight decay, bias-corrected) on a parameter range.</summary>
    public abstract void AdamWStep(Slice<float> param, Slice<float> grad, Slice<float> m, Slice<float> v, int count,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale);

    /// <summary>output = a + b.</summary>
    public abstract void Add(Slice<float> a, Slice<float> b, Slice<float> output, int count);

    /// <summary>accumulator += x.</summary>
    public abstract void AddInPlace(Slice<float> accumulator, Slice<float> x, int count);

    /// <summary>output = alpha·x.</summary>
    public abstract void Scale(Slice<float> x, float alpha, Slice<float> output, int count);

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public abstract void Fill(Slice<float> output, float value, int count);

    /// <summary>output = x.</summary>
    public abstract void Copy(Slice<float> x, Slice<float> output, int count);

    /// <summary>output = a·b.</summary>
    public abstract void Multiply(Slice<float> a, Slice<float> b, Slice<float> output, int count);

    /// <summary>accumulator += a·b: the backward pass of <see cref="Multiply"/> (dA += dOut·b) and of <see cref="Exp"/>
    /// (dX += dOut·output).</summary>
    public abstract void MultiplyAccumulate(Slice<float> a, Slice<float> b, Slice<float> accumulator, int count);

    /// <summary>output = eˣ.</summary>
    public abstract void Exp(Slice<float> x, Slice<float> output, int count);

    /// <summary>output = log σ(x) = min(x, 0) − log1p(e^−|x|), stable for any x.</summary>
    public abstract void LogSigmoid(Slice<float> x, Slice<float> output, int count);

    /// <summary>Log-sigmoid backward; dInput += dOutput·σ(−x).</summary>
    public abstract void LogSigmoidBackward(Slice<float> x, Slice<float> dOutput, Slice<float> dInput, int count);

    /// <summary>output = x clamped to [low, high] (NaN stays NaN; low ≤ high, infinite bounds allowed).</summary>
    public abstract void Clamp(Slice<float> x, float low, float high, Slice<float> output, int count);

    /// <summary>Clamp backward; dInput += dOutput where low ≤ x ≤ high (a bound passes the gradient, as in PyTorch).</summary>
    public abstract void ClampBackward(Slice<float> x, float low, float high, Slice<float> dOutput, Slice<float> dInput, int count);

    /// <summary>output = min(a, b) elementwise; NaN if either is NaN.</summary>
    public abstract void Minimum(Slice<float> a, Slice<float> b, Slice<float> output, int count);

    /// <summary>output = max(a, b) elementwise; NaN if either is NaN.</summary>
    public abstract void Maximum(Slice<float> a, Slice<float> b, Slice<float> output, int count);

    /// <summary><see cref="Minimum"/> or <see cref="Maximum"/> backward from the forward's output: dA += dOutput where
    /// output = a, dB += dOutput where output = b, half each at a tie (as PyTorch). dA or dB may be empty (frozen).</summary>
    public abstract void SelectBackward(Slice<float> a, Slice<float> b, Slice<float> output, Slice<float> dOutput,
        Slice<float> dA, Slice<float> dB, int count);

    /// <summary>Inverted dropout with a mask hashed from (seed, index).</summary>
    public abstract void DropoutForward(Slice<float> input, Slice<float> output, int count, float p, ulong seed);

    /// <summary>Dropout backward from the same seed; dInput +=.</summary>
    public abstract void DropoutBackward(Slice<float> dOutput, Slice<float> dInput, int count, float p, ulong seed);

    /// <summary>Deterministic sum.</summary>
    public abstract double Sum(Slice<float> x);

    /// <summary>Deterministic sum of squares (global gradient norm).</summary>
    public abstract double SumOfSquares(Slice<float> x);

    /// <summary>output (cols) += column sums of input (rows, cols).</summary>
    public abstract void ColumnSum(Slice<float> input, Slice<float> output, int rows, int cols);

    /// <summary>output (rows) = Σ_c x[r, c]·weights[r, c], columns in order: masked per-sequence sums of (B, T) token
    /// log-probabilities.</summary>
    public abstract void RowSum(Slice<float> x, Slice<float> weights, Slice<float> output, int rows, int cols);

    /// <summary>Row sum backward; dInput[r, c] += dOutput[r]·weights[r, c].</summary>
    public abstract void RowSumBackward(Slice<float> dOutput, Slice<float> weights, Slice<float> dInput, int rows, int cols);

    /// <summary>Key/value cache write for inference: the keys and values of qkv (B, T, 3C) go to positions
    /// past[b] .. past[b] + T − 1 of keys and values, each (B, NH, L, HS); see the reference <c>CachedAttentionKernels</c>.</summary>
    public abstract void KvCacheAppend(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past,
        int batch, int newLen, int capacity, int heads, int headSize);

    /// <summary>Attention of the new queries in qkv (B, T, 3C) against the cache (keys and values (B, NH, L, HS),
    /// already holding the new tokens): output (B, T, C); query t of row b sees positions 0 .. past[b] + t.</summary>
    public abstract void CachedAttentionForward(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past,
        Slice<float> output, int batch, int newLen, int capacity, int heads, int headSize);

    private NotSupportedException CompactWeightsNotSupported(string format) =>
        new($"{format} weights are CPU-only for now: the {Kind} device has no kernels for them. Load the model with fp32 weights " +
            $"on this device, or with {format} weights on the CPU.");

    /// <summary>Waits until all queued work has finished (a no-op on the CPU).</summary>
    public virtual void Synchronize() { }

    /// <summary>Releases device resources.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
