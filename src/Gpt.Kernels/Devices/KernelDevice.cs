using Gpt.Kernels.Compute;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels.Devices;

/// <summary>
/// A device that runs the SDK's ops as generated kernels (OpenCL, CUDA). The back ends supply memory and
/// <see cref="Launch"/>; the ops are written once here, as launches of the <c>[Kernel]</c> methods'
/// generated code (see <c>Kernels/Gpu</c>: one file per kernel family, with each kernel's launch geometry).
/// </summary>
public abstract class KernelDevice : Device, IKernelRunner
{
    private protected KernelDevice()
    {
    }

    /// <summary>Set on the instances <see cref="Device.Get(DeviceKind)"/> hands out: they live as long as the
    /// process, so <see cref="Dispose"/> leaves them alone.</summary>
    internal bool IsShared { get; set; }

    /// <summary>Threads per group used by one-thread-per-element kernels.</summary>
    private const int ElementwiseGroupSize = 256;

    /// <summary>Most threads one group may have on this device.</summary>
    public abstract int MaxGroupSize { get; }

    /// <summary>True once disposed.</summary>
    private protected bool IsDisposed { get; private set; }

    /// <inheritdoc />
    public abstract void Launch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments);

    /// <summary>Compiles <paramref name="kernel"/> for this device now (from the disk cache when possible)
    /// instead of at its first launch.</summary>
    /// <param name="kernel">The kernel.</param>
    public abstract void Prepare(KernelDescriptor kernel);

    /// <summary>Releases the device's native resources (a no-op for the shared instances).</summary>
    public sealed override void Dispose()
    {
        if (IsShared || IsDisposed) return;
        _partials?.Dispose();
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the back end's queue, programs and context; called once.</summary>
    private protected abstract void Release();

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    private protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Checks a launch against its descriptor before anything reaches the driver, whose own errors
    /// would not say which argument was wrong.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="groups">Groups per dimension; none negative (a zero launches nothing).</param>
    /// <param name="groupSize">Threads per group per dimension; each at least 1, at most <see cref="MaxGroupSize"/> in all.</param>
    /// <param name="arguments">One per parameter, of matching kind and type, buffers allocated by this device.</param>
    private protected void ValidateLaunch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        ThrowIfDisposed();
        if (groups.X < 0 || groups.Y < 0 || groups.Z < 0)
            throw new ArgumentOutOfRangeException(nameof(groups), groups, $"{kernel.Name}: a group count must not be negative.");
        if (groupSize.X < 1 || groupSize.Y < 1 || groupSize.Z < 1 || groupSize.Size > MaxGroupSize)
            throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize,
                $"{kernel.Name}: a group needs 1 to {MaxGroupSize} threads on {Name}, every dimension at least 1.");
        IReadOnlyList<KernelParameterInfo> parameters = kernel.Parameters;
        if (arguments.Length != parameters.Count)
            throw new ArgumentException($"{kernel.Name} takes {parameters.Count} arguments; {arguments.Length} were given.", nameof(arguments));
        for (int i = 0; i < arguments.Length; i++)
        {
            KernelParameterInfo parameter = parameters[i];
            ref readonly KernelArgument argument = ref arguments[i];
            if (argument.Kind != parameter.Kind || argument.Type != parameter.Type)
                throw new ArgumentException(
                    $"{kernel.Name}: argument {i} ('{parameter.Name}') must be a {parameter.Type} {parameter.Kind}, not a {argument.Type} {argument.Kind}.",
                    nameof(arguments));
            if (argument.Kind == KernelArgumentKind.Buffer && argument.BufferObject is not null)
                CheckBuffer(argument.BufferObject, argument.Offset, argument.Length, kernel, i);
        }
    }

    /// <summary>The driver handle of a buffer argument (0, a null pointer, for an empty slice).</summary>
    /// <param name="argument">A validated buffer argument.</param>
    private protected static ulong HandleOf(in KernelArgument argument) =>
        argument.BufferObject is IKernelBuffer buffer ? buffer.Handle : 0;

    /// <summary>The driver handle behind a validated slice.</summary>
    /// <param name="slice">A non-empty slice of a buffer of this device.</param>
    private protected static ulong HandleOf<T>(Slice<T> slice) where T : unmanaged => ((IKernelBuffer)slice.Buffer!).Handle;

    // kernel is null for a host/device copy; the description is built only on failure (launches must not allocate).
    private void CheckBuffer(object buffer, long offset, int length, KernelDescriptor? kernel, int index)
    {
        if (buffer is not IKernelBuffer memory || memory.Device != this)
            throw new ArgumentException($"{What(kernel, index)} is a buffer of {(buffer as IKernelBuffer)?.Device.Name ?? "another device"}; allocate it on {Name}.");
        ObjectDisposedException.ThrowIf(memory.IsDisposed, buffer);
        if (offset < 0 || length < 0 || offset + length > memory.Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"{What(kernel, index)}: slice [{offset}, {offset + length}) does not fit a buffer of {memory.Length} elements.");
    }

    private static string What(KernelDescriptor? kernel, int index) =>
        kernel is null ? "the device slice" : $"{kernel.Name}: argument {index} ('{kernel.Parameters[index].Name}')";

    /// <summary>Checks a host/device copy and returns false when there is nothing to copy.</summary>
    /// <param name="slice">The device side.</param>
    /// <param name="hostLength">The host side's length.</param>
    /// <param name="hostName">The host side's parameter name.</param>
    private protected bool ValidateCopy<T>(Slice<T> slice, int hostLength, string hostName) where T : unmanaged
    {
        ThrowIfDisposed();
        if (hostLength != slice.Length)
            throw new ArgumentException($"the host span has {hostLength} elements, the device slice {slice.Length}.", hostName);
        if (slice.Length == 0) return false;
        CheckBuffer(slice.Buffer!, slice.Offset, slice.Length, null, 0);
        return true;
    }

    private static Dim3 ElementwiseGroups(int count) => (count + ElementwiseGroupSize - 1) / ElementwiseGroupSize;

    // As KernelGuards.SameOrDisjoint on the CPU: in place or apart, never a shifted overlap (threads would
    // read elements other threads have already written).
    private static void SameOrDisjoint(Slice<float> input, Slice<float> output, int count, string inputName, string outputName)
    {
        if (count <= 0 || input.Buffer is null || input.Buffer != output.Buffer || input.Offset == output.Offset) return;
        if (input.Offset < output.Offset + count && output.Offset < input.Offset + count)
            throw new ArgumentException(
                $"'{outputName}' overlaps '{inputName}' shifted by {output.Offset - input.Offset} elements; pass the same memory (in place) or separate memory.", outputName);
    }

    private static Dim3 Groups(int count, int groupSize) => (count + groupSize - 1) / groupSize;

    /// <summary>Threads per group of the attention kernels (one thread per query or key).</summary>
    private const int AttentionGroupSize = 64;

    private static readonly Dim3 GemmGroupSize = new(GemmGpuKernels.Tile, GemmGpuKernels.Tile);

    private static Dim3 BlockedGroups(int m, int n, int batch) =>
        new((n + GemmGpuKernels.Block - 1) / GemmGpuKernels.Block, (m + GemmGpuKernels.Block - 1) / GemmGpuKernels.Block, batch);

    // One group per row: the largest power of two (the tree reductions halve it) not above the row length,
    // the kernel's scratch or the device's limit.
    private int RowGroupSize(int cols, int kernelLimit)
    {
        int groupSize = 1;
        while (groupSize * 2 <= Math.Min(cols, Math.Min(kernelLimit, MaxGroupSize))) groupSize *= 2;
        return groupSize;
    }

    // KernelGuards.CrossEntropy without the target check: the targets are on the device (the kernels
    // treat one outside [0, vocab) as ignored instead of reading out of bounds).
    private static void CrossEntropyShapes(int logitsLength, int targetsLength, int logSumExpLength, int perRowLength,
        string perRowName, int rows, int vocab)
    {
        KernelGuards.NonNegative(rows, nameof(rows));
        KernelGuards.NonNegative(vocab, nameof(vocab));
        KernelGuards.Length(logitsLength, (long)rows * vocab, "logits", "rows × vocab");
        KernelGuards.Length(targetsLength, rows, "targets", "rows");
        KernelGuards.Length(logSumExpLength, rows, "logSumExp", "rows");
        KernelGuards.Length(perRowLength, rows, perRowName, "rows");
    }

    // Partial sums of fixed chunks, grown on demand and reused; guarded by its own lock.
    private DeviceBuffer<float>? _partials;
    private readonly Lock _partialsLock = new();

    // Deterministic: each fixed-size chunk is summed by a fixed tree on the device, the chunk sums in order,
    // in double, on the host. The host copy is rented, so steady-state calls do not allocate.
    private double SumOf(Slice<float> x, bool squares)
    {
        if (x.IsEmpty) return 0;
        int chunks = (x.Length + ReduceGpuKernels.ChunkSize - 1) / ReduceGpuKernels.ChunkSize;
        lock (_partialsLock)
        {
            if (_partials is null || _partials.Length < chunks)
            {
                _partials?.Dispose();
                _partials = Allocate<float>(Math.Max(chunks, 64));
            }
            Slice<float> partials = _partials.Slice(0, chunks);
            ReduceGpuKernels.PartialSumsKernel.Launch(this, chunks, ReduceGpuKernels.GroupSize, x, partials, x.Length, squares ? 1 : 0);
            float[] host = System.Buffers.ArrayPool<float>.Shared.Rent(chunks);
            try
            {
                Download(partials, host.AsSpan(0, chunks));
                double sum = 0;
                for (int i = 0; i < chunks; i++) sum += host[i];
                return sum;
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(host);
            }
        }
    }

    /// <inheritdoc />
    public override void MatMul(Slice<float> a, Slice<float> b, Slice<float> c, int m, int n, int k, bool transA, bool transB, float alpha, float beta, Slice<float> bias)
    {

        GemmKernels.Validate(a.Length, b.Length, c.Length, bias.Length, 1, m, n, k);
        GemmGpuKernels.BlockedKernel.Launch(this, BlockedGroups(m, n, 1), GemmGroupSize, a, b, c, bias,
            m, n, k, transA ? 1 : 0, transB ? 1 : 0, alpha, beta);
    }

    /// <inheritdoc />
    public override void BatchedMatMul(Slice<float> a, Slice<float> b, Slice<float> c, int batch, int m, int n, int k, bool transA, bool transB, float alpha, float beta)
    {

        GemmKernels.Validate(a.Length, b.Length, c.Length, 0, batch, m, n, k);
        GemmGpuKernels.BlockedKernel.Launch(this, BlockedGroups(m, n, batch), GemmGroupSize, a, b, c, Slice<float>.Empty,
            m, n, k, transA ? 1 : 0, transB ? 1 : 0, alpha, beta);
    }

    /// <inheritdoc />
    public override void LayerNormForward(Slice<float> input, Slice<float> weight, Slice<float> bias, Slice<float> output, Slice<float> mean, Slice<float> rstd, int rows, int cols, float epsilon)
    {

        KernelGuards.LayerNormForward(input.Length, weight.Length, bias.Length, output.Length, mean.Length, rstd.Length, rows, cols, epsilon);
        SameOrDisjoint(input, output, rows * cols, nameof(input), nameof(output));
        if (cols == 0) return;
        LayerNormGpuKernels.ForwardKernel.Launch(this, rows, RowGroupSize(cols, LayerNormGpuKernels.MaxGroupSize),
            input, weight, bias, output, mean, rstd, rows, cols, epsilon);
    }

    /// <inheritdoc />
    public override void LayerNormBackward(Slice<float> dOutput, Slice<float> input, Slice<float> weight, Slice<float> mean, Slice<float> rstd, Slice<float> dInput, Slice<float> dWeight, Slice<float> dBias, int rows, int cols)
    {

        KernelGuards.LayerNormBackward(dOutput.Length, input.Length, weight.Length, mean.Length, rstd.Length,
            dInput.Length, dWeight.Length, dBias.Length, rows, cols);
        if (cols == 0) return;
        LayerNormGpuKernels.BackwardInputKernel.Launch(this, rows, RowGroupSize(cols, LayerNormGpuKernels.MaxGroupSize),
            dOutput, input, weight, mean, rstd, dInput, rows, cols);
        if (dWeight.IsEmpty && dBias.IsEmpty) return;
        LayerNormGpuKernels.BackwardParametersKernel.Launch(this, ElementwiseGroups(cols), ElementwiseGroupSize,
            dOutput, input, mean, rstd, dWeight, dBias, rows, cols);
    }

    /// <inheritdoc />
    public override void GeluForward(Slice<float> input, Slice<float> output, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), output.Length, nameof(output));
        SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        ElementwiseGpuKernels.GeluForwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, input, output, count);
    }

    /// <inheritdoc />
    public override void GeluBackward(Slice<float> input, Slice<float> dOutput, Slice<float> dInput, int count)
    {
        KernelGuards.Count(count, input.Length, nameof(input), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        ElementwiseGpuKernels.GeluBackwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, input, dOutput, dInput, count);
    }

    /// <inheritdoc />
    public override void SoftmaxForward(Slice<float> input, Slice<float> output, int rows, int cols)
    {
        KernelGuards.Rows(input.Length, nameof(input), output.Length, nameof(output), rows, cols);
        SameOrDisjoint(input, output, rows * cols, nameof(input), nameof(output));
        if (cols == 0) return;
        // One group per row; its threads (a power of two, for the tree reductions) stride over the columns.
        int groupSize = 1;
        while (groupSize * 2 <= Math.Min(cols, Math.Min(SoftmaxGpuKernels.MaxGroupSize, MaxGroupSize))) groupSize *= 2;
        SoftmaxGpuKernels.ForwardKernel.Launch(this, rows, groupSize, input, output, rows, cols);
    }

    /// <inheritdoc />
    public override void SoftmaxBackward(Slice<float> output, Slice<float> dOutput, Slice<float> dInput, int rows, int cols)
    {

        KernelGuards.Rows(output.Length, nameof(output), dOutput.Length, nameof(dOutput), rows, cols);
        KernelGuards.Length(dInput.Length, (long)rows * cols, nameof(dInput), "rows × cols");
        if (cols == 0) return;
        SoftmaxGpuKernels.BackwardKernel.Launch(this, rows, RowGroupSize(cols, SoftmaxGpuKernels.MaxGroupSize),
            output, dOutput, dInput, rows, cols);
    }

    /// <inheritdoc />
    public override void AttentionForward(Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts)
    {

        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.SegmentStartsLength(segmentStarts.Length, batch, seqLen);
        int queries = batch * heads * seqLen;
        if (headSize <= AttentionGpuKernels.MaxHeadSize)
            AttentionGpuKernels.ForwardTiledKernel.Launch(this, new Dim3(Groups(seqLen, AttentionGpuKernels.QueryTile).X, heads, batch),
                AttentionGpuKernels.QueryTile, qkv, output, logSumExp, segmentStarts, batch, seqLen, heads, headSize);
        else
            AttentionGpuKernels.ForwardKernel.Launch(this, Groups(queries, AttentionGroupSize), AttentionGroupSize,
                qkv, output, logSumExp, segmentStarts, batch, seqLen, heads, headSize);
    }

    /// <inheritdoc />
    public override void AttentionBackward(Slice<float> dOutput, Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, Slice<float> dQkv, int batch, int seqLen, int heads, int headSize, Slice<int> segmentStarts)
    {

        KernelGuards.Attention(qkv.Length, output.Length, logSumExp.Length, batch, seqLen, heads, headSize);
        KernelGuards.Length(dOutput.Length, (long)batch * seqLen * heads * headSize, nameof(dOutput), "batch × seqLen × heads × headSize");
        KernelGuards.Length(dQkv.Length, (long)batch * seqLen * 3 * heads * headSize, nameof(dQkv), "batch × seqLen × 3 × heads × headSize");
        KernelGuards.SegmentStartsLength(segmentStarts.Length, batch, seqLen);
        int queries = batch * heads * seqLen;
        AttentionGpuKernels.BackwardQueryKernel.Launch(this, Groups(queries, AttentionGroupSize), AttentionGroupSize,
            dOutput, qkv, output, logSumExp, dQkv, segmentStarts, batch, seqLen, heads, headSize);
        AttentionGpuKernels.BackwardKeyValueKernel.Launch(this, Groups(queries, AttentionGroupSize), AttentionGroupSize,
            dOutput, qkv, output, logSumExp, dQkv, segmentStarts, batch, seqLen, heads, headSize);
    }

    /// <inheritdoc />
    public override void CrossEntropyForward(Slice<float> logits, Slice<int> targets, Slice<float> losses, Slice<float> logSumExp, int rows, int vocab)
    {

        CrossEntropyShapes(logits.Length, targets.Length, logSumExp.Length, losses.Length, nameof(losses), rows, vocab);
        if (vocab == 0) return;
        CrossEntropyGpuKernels.ForwardKernel.Launch(this, rows, RowGroupSize(vocab, CrossEntropyGpuKernels.MaxGroupSize),
            logits, targets, losses, logSumExp, rows, vocab);
    }

    /// <inheritdoc />
    public override void CrossEntropyBackward(Slice<float> logits, Slice<float> logSumExp, Slice<int> targets, Slice<float> dLosses, Slice<float> dLogits, int rows, int vocab)
    {

        CrossEntropyShapes(logits.Length, targets.Length, logSumExp.Length, dLosses.Length, nameof(dLosses), rows, vocab);
        KernelGuards.Length(dLogits.Length, (long)rows * vocab, nameof(dLogits), "rows × vocab");
        SameOrDisjoint(logits, dLogits, rows * vocab, nameof(logits), nameof(dLogits));
        CrossEntropyGpuKernels.BackwardKernel.Launch(this, ElementwiseGroups(rows * vocab), ElementwiseGroupSize,
            logits, logSumExp, targets, dLosses, dLogits, rows, vocab);
    }

    /// <inheritdoc />
    public override void EmbeddingForward(Slice<int> ids, Slice<float> table, Slice<float> output, int count, int dim, int tableRows)
    {

        KernelGuards.NonNegative(count, nameof(count));
        KernelGuards.NonNegative(dim, nameof(dim));
        KernelGuards.NonNegative(tableRows, nameof(tableRows));
        KernelGuards.Length(ids.Length, count, nameof(ids), "count");
        KernelGuards.Length(table.Length, (long)tableRows * dim, nameof(table), "tableRows × dim");
        KernelGuards.Length(output.Length, (long)count * dim, nameof(output), "count × dim");
        EmbeddingGpuKernels.ForwardKernel.Launch(this, ElementwiseGroups(count * dim), ElementwiseGroupSize,
            ids, table, output, count, dim, tableRows);
    }

    /// <inheritdoc />
    public override void EmbeddingBackward(Slice<int> ids, Slice<float> dOutput, Slice<float> dTable, int count, int dim)
    {

        KernelGuards.NonNegative(count, nameof(count));
        KernelGuards.NonNegative(dim, nameof(dim));
        KernelGuards.Length(ids.Length, count, nameof(ids), "count");
        KernelGuards.Length(dOutput.Length, (long)count * dim, nameof(dOutput), "count × dim");
        if (dim == 0) return;
        EmbeddingGpuKernels.BackwardKernel.Launch(this, ElementwiseGroups(dim), ElementwiseGroupSize,
            ids, dOutput, dTable, count, dim, dTable.Length / dim);
    }

    /// <inheritdoc />
    public override void AdamWStep(Slice<float> param, Slice<float> grad, Slice<float> m, Slice<float> v, int count, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
    {

        KernelGuards.AdamW(param.Length, grad.Length, m.Length, v.Length, count, learningRate, beta1, beta2, epsilon, weightDecay, step, gradScale);
        AdamWKernels.BiasCorrections(beta1, beta2, step, out float correction1, out float correction2);
        AdamWGpuKernels.StepKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, param, grad, m, v, count,
            learningRate, beta1, beta2, epsilon, weightDecay, correction1, correction2, gradScale);
    }

    /// <inheritdoc />
    public override void Add(Slice<float> a, Slice<float> b, Slice<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        ElementwiseGpuKernels.AddKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, output, count);
    }

    /// <inheritdoc />
    public override void AddInPlace(Slice<float> accumulator, Slice<float> x, int count)
    {
        KernelGuards.Count(count, accumulator.Length, nameof(accumulator), x.Length, nameof(x));
        SameOrDisjoint(x, accumulator, count, nameof(x), nameof(accumulator));
        ElementwiseGpuKernels.AddKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, accumulator, x, accumulator, count);
    }

    /// <inheritdoc />
    public override void Scale(Slice<float> x, float alpha, Slice<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        ElementwiseGpuKernels.ScaleKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, alpha, output, count);
    }

    /// <inheritdoc />
    public override void Fill(Slice<float> output, float value, int count)
    {
        KernelGuards.NonNegative(count, nameof(count));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        ElementwiseGpuKernels.FillKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, output, value, count);
    }

    /// <inheritdoc />
    public override void Copy(Slice<float> x, Slice<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        ElementwiseGpuKernels.CopyKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, output, count);
    }

    /// <inheritdoc />
    public override void Multiply(Slice<float> a, Slice<float> b, Slice<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        ElementwiseGpuKernels.MultiplyKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, output, count);
    }

    /// <inheritdoc />
    public override void MultiplyAccumulate(Slice<float> a, Slice<float> b, Slice<float> accumulator, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(accumulator.Length, count, nameof(accumulator), "count");
        SameOrDisjoint(a, accumulator, count, nameof(a), nameof(accumulator));
        SameOrDisjoint(b, accumulator, count, nameof(b), nameof(accumulator));
        ElementwiseGpuKernels.MultiplyAccumulateKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, accumulator, count);
    }

    /// <inheritdoc />
    public override void Exp(Slice<float> x, Slice<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        ElementwiseGpuKernels.ExpKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, output, count);
    }

    /// <inheritdoc />
    public override void LogSigmoid(Slice<float> x, Slice<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        ElementwiseGpuKernels.LogSigmoidKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, output, count);
    }

    /// <inheritdoc />
    public override void LogSigmoidBackward(Slice<float> x, Slice<float> dOutput, Slice<float> dInput, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        ElementwiseGpuKernels.LogSigmoidBackwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, dOutput, dInput, count);
    }

    /// <inheritdoc />
    public override void Clamp(Slice<float> x, float low, float high, Slice<float> output, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), output.Length, nameof(output));
        KernelGuards.ClampBounds(low, high);
        SameOrDisjoint(x, output, count, nameof(x), nameof(output));
        ElementwiseGpuKernels.ClampKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, low, high, output, count);
    }

    /// <inheritdoc />
    public override void ClampBackward(Slice<float> x, float low, float high, Slice<float> dOutput, Slice<float> dInput, int count)
    {
        KernelGuards.Count(count, x.Length, nameof(x), dOutput.Length, nameof(dOutput));
        KernelGuards.Length(dInput.Length, count, nameof(dInput), "count");
        KernelGuards.ClampBounds(low, high);
        ElementwiseGpuKernels.ClampBackwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, x, low, high, dOutput, dInput, count);
    }

    /// <inheritdoc />
    public override void Minimum(Slice<float> a, Slice<float> b, Slice<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        ElementwiseGpuKernels.MinimumKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, output, count);
    }

    /// <inheritdoc />
    public override void Maximum(Slice<float> a, Slice<float> b, Slice<float> output, int count)
    {
        KernelGuards.Count(count, a.Length, nameof(a), b.Length, nameof(b));
        KernelGuards.Length(output.Length, count, nameof(output), "count");
        SameOrDisjoint(a, output, count, nameof(a), nameof(output));
        SameOrDisjoint(b, output, count, nameof(b), nameof(output));
        ElementwiseGpuKernels.MaximumKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, output, count);
    }

    /// <inheritdoc />
    public override void SelectBackward(Slice<float> a, Slice<float> b, Slice<float> output, Slice<float> dOutput, Slice<float> dA, Slice<float> dB, int count)
    {
        KernelGuards.SelectBackward(a.Length, b.Length, output.Length, dOutput.Length, dA.Length, dB.Length, count);
        if (dA.IsEmpty && dB.IsEmpty) return;
        ElementwiseGpuKernels.SelectBackwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, a, b, output, dOutput, dA, dB, count);
    }

    /// <inheritdoc />
    public override void DropoutForward(Slice<float> input, Slice<float> output, int count, float p, ulong seed)
    {

        KernelGuards.Dropout(input.Length, nameof(input), output.Length, nameof(output), count, p);
        SameOrDisjoint(input, output, count, nameof(input), nameof(output));
        ElementwiseGpuKernels.DropoutForwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, input, output, count, p, seed, 1f / (1f - p));
    }

    /// <inheritdoc />
    public override void DropoutBackward(Slice<float> dOutput, Slice<float> dInput, int count, float p, ulong seed)
    {

        KernelGuards.Dropout(dOutput.Length, nameof(dOutput), dInput.Length, nameof(dInput), count, p);
        ElementwiseGpuKernels.DropoutBackwardKernel.Launch(this, ElementwiseGroups(count), ElementwiseGroupSize, dOutput, dInput, count, p, seed, 1f / (1f - p));
    }

    /// <inheritdoc />
    public override double Sum(Slice<float> x) => SumOf(x, squares: false);

    /// <inheritdoc />
    public override double SumOfSquares(Slice<float> x) => SumOf(x, squares: true);

    /// <inheritdoc />
    public override void ColumnSum(Slice<float> input, Slice<float> output, int rows, int cols)
    {

        KernelGuards.ColumnSum(input.Length, output.Length, rows, cols);
        ReduceGpuKernels.ColumnSumKernel.Launch(this, ElementwiseGroups(cols), ElementwiseGroupSize, input, output, rows, cols);
    }

    /// <inheritdoc />
    public override void RowSum(Slice<float> x, Slice<float> weights, Slice<float> output, int rows, int cols)
    {
        KernelGuards.RowSum(x.Length, weights.Length, output.Length, rows, cols);
        ReduceGpuKernels.RowSumKernel.Launch(this, ElementwiseGroups(rows), ElementwiseGroupSize, x, weights, output, rows, cols);
    }

    /// <inheritdoc />
    public override void RowSumBackward(Slice<float> dOutput, Slice<float> weights, Slice<float> dInput, int rows, int cols)
    {
        KernelGuards.RowSumBackward(dOutput.Length, weights.Length, dInput.Length, rows, cols);
        ReduceGpuKernels.RowSumBackwardKernel.Launch(this, ElementwiseGroups(rows * cols), ElementwiseGroupSize, dOutput, weights, dInput, rows, cols);
    }

    /// <inheritdoc />
    public override void KvCacheAppend(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, int batch, int newLen, int capacity, int heads, int headSize)
    {
        CachedAttentionKernels.CheckSizes(qkv.Length, keys.Length, values.Length, past.Length, qkv.Length / 3, batch, newLen, capacity, heads, headSize);
        CachedAttentionGpuKernels.AppendKernel.Launch(this, ElementwiseGroups(batch * newLen * heads * headSize), ElementwiseGroupSize,
            qkv, keys, values, past, batch, newLen, capacity, heads, headSize);
    }

    /// <inheritdoc />
    public override void CachedAttentionForward(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, Slice<float> output, int batch, int newLen, int capacity, int heads, int headSize)
    {
        CachedAttentionKernels.CheckSizes(qkv.Length, keys.Length, values.Length, past.Length, output.Length, batch, newLen, capacity, heads, headSize);
        CachedAttentionGpuKernels.ForwardKernel.Launch(this, Groups(batch * heads * newLen, AttentionGroupSize), AttentionGroupSize,
            qkv, keys, values, past, output, batch, newLen, capacity, heads, headSize);
    }
}
