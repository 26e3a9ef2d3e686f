using Gpt.Kernels.Compute;
using Gpt.Kernels.Gpu;

namespace Gpt.Kernels.Devices;

/// <summary>
/// A device that runs the SDK's ops as generated kernels (OpenCL, CUDA). The back ends supply memory and
/// <see cref="Launch"/>; the ops are written once here, as launches of the <c>[Kernel]</c> methods'
/// generated code. An op whose kernel has not been converted yet throws <see cref="NotSupportedException"/>.
/// </summary>
public abstract class KernelDevice : Device, IKernelRunner
{
    /// <summary>Set on the instances <see cref="Device.Get(DeviceKind)"/> hands out: they live as long as the
    /// process, so <see cref="Dispose"/> leaves them alone.</summary>
    internal bool IsShared { get; set; }

    /// <summary>Threads per group used by one-thread-per-element kernels.</summary>
    private const int ElementwiseGroupSize = 256;

    /// <summary>Most threads one group may have on this device.</summary>
    public abstract int MaxGroupSize { get; }

    /// <summary>True once disposed.</summary>
    protected bool IsDisposed { get; private set; }

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
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the back end's queue, programs and context; called once.</summary>
    protected abstract void Release();

    /// <summary>Throws <see cref="ObjectDisposedException"/> after <see cref="Dispose"/>.</summary>
    protected void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);

    /// <summary>Checks a launch against its descriptor before anything reaches the driver, whose own errors
    /// would not say which argument was wrong.</summary>
    /// <param name="kernel">The kernel.</param>
    /// <param name="groups">Groups per dimension; none negative (a zero launches nothing).</param>
    /// <param name="groupSize">Threads per group per dimension; each at least 1, at most <see cref="MaxGroupSize"/> in all.</param>
    /// <param name="arguments">One per parameter, of matching kind and type, buffers allocated by this device.</param>
    protected void ValidateLaunch(KernelDescriptor kernel, Dim3 groups, Dim3 groupSize, ReadOnlySpan<KernelArgument> arguments)
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
    protected static ulong HandleOf(in KernelArgument argument) =>
        argument.BufferObject is IKernelBuffer buffer ? buffer.Handle : 0;

    /// <summary>The driver handle behind a validated slice.</summary>
    /// <param name="slice">A non-empty slice of a buffer of this device.</param>
    protected static ulong HandleOf<T>(Slice<T> slice) where T : unmanaged => ((IKernelBuffer)slice.Buffer!).Handle;

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
    protected bool ValidateCopy<T>(Slice<T> slice, int hostLength, string hostName) where T : unmanaged
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

    private NotSupportedException NotYet(string op) =>
        new($"{op} is not yet available on {Kind} ({Name}): its [Kernel] version has not been converted yet. Use DeviceKind.Cpu for now.");

    /// <inheritdoc />
    public override void MatMul(Slice<float> a, Slice<float> b, Slice<float> c, int m, int n, int k, bool transA, bool transB, float alpha, float beta, Slice<float> bias)
        => throw NotYet(nameof(MatMul));

    /// <inheritdoc />
    public override void BatchedMatMul(Slice<float> a, Slice<float> b, Slice<float> c, int batch, int m, int n, int k, bool transA, bool transB, float alpha, float beta)
        => throw NotYet(nameof(BatchedMatMul));

    /// <inheritdoc />
    public override void LayerNormForward(Slice<float> input, Slice<float> weight, Slice<float> bias, Slice<float> output, Slice<float> mean, Slice<float> rstd, int rows, int cols, float epsilon)
        => throw NotYet(nameof(LayerNormForward));

    /// <inheritdoc />
    public override void LayerNormBackward(Slice<float> dOutput, Slice<float> input, Slice<float> weight, Slice<float> mean, Slice<float> rstd, Slice<float> dInput, Slice<float> dWeight, Slice<float> dBias, int rows, int cols)
        => throw NotYet(nameof(LayerNormBackward));

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
        => throw NotYet(nameof(SoftmaxBackward));

    /// <inheritdoc />
    public override void AttentionForward(Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, int batch, int seqLen, int heads, int headSize)
        => throw NotYet(nameof(AttentionForward));

    /// <inheritdoc />
    public override void AttentionBackward(Slice<float> dOutput, Slice<float> qkv, Slice<float> output, Slice<float> logSumExp, Slice<float> dQkv, int batch, int seqLen, int heads, int headSize)
        => throw NotYet(nameof(AttentionBackward));

    /// <inheritdoc />
    public override void CrossEntropyForward(Slice<float> logits, Slice<int> targets, Slice<float> losses, Slice<float> logSumExp, int rows, int vocab)
        => throw NotYet(nameof(CrossEntropyForward));

    /// <inheritdoc />
    public override void CrossEntropyBackward(Slice<float> logits, Slice<float> logSumExp, Slice<int> targets, Slice<float> dLosses, Slice<float> dLogits, int rows, int vocab)
        => throw NotYet(nameof(CrossEntropyBackward));

    /// <inheritdoc />
    public override void EmbeddingForward(Slice<int> ids, Slice<float> table, Slice<float> output, int count, int dim, int tableRows)
        => throw NotYet(nameof(EmbeddingForward));

    /// <inheritdoc />
    public override void EmbeddingBackward(Slice<int> ids, Slice<float> dOutput, Slice<float> dTable, int count, int dim)
        => throw NotYet(nameof(EmbeddingBackward));

    /// <inheritdoc />
    public override void AdamWStep(Slice<float> param, Slice<float> grad, Slice<float> m, Slice<float> v, int count, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step, float gradScale)
        => throw NotYet(nameof(AdamWStep));

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
    public override void DropoutForward(Slice<float> input, Slice<float> output, int count, float p, ulong seed)
        => throw NotYet(nameof(DropoutForward));

    /// <inheritdoc />
    public override void DropoutBackward(Slice<float> dOutput, Slice<float> dInput, int count, float p, ulong seed)
        => throw NotYet(nameof(DropoutBackward));

    /// <inheritdoc />
    public override double Sum(Slice<float> x) => throw NotYet(nameof(Sum));

    /// <inheritdoc />
    public override double SumOfSquares(Slice<float> x) => throw NotYet(nameof(SumOfSquares));

    /// <inheritdoc />
    public override void ColumnSum(Slice<float> input, Slice<float> output, int rows, int cols)
        => throw NotYet(nameof(ColumnSum));

    /// <inheritdoc />
    public override void KvCacheAppend(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, int batch, int newLen, int capacity, int heads, int headSize)
        => throw NotYet(nameof(KvCacheAppend));

    /// <inheritdoc />
    public override void CachedAttentionForward(Slice<float> qkv, Slice<float> keys, Slice<float> values, Slice<int> past, Slice<float> output, int batch, int newLen, int capacity, int heads, int headSize)
        => throw NotYet(nameof(CachedAttentionForward));
}
