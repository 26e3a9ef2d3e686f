using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

/// <summary>
/// Reverse-mode automatic differentiation over fused ops. Ops called through a tape (the extension
/// methods in <c>Tensors/Ops</c>) write their outputs into tensors the tape owns and, while the tape
/// records, remember what their backward pass needs; <see cref="Backward(Tensor, float)"/> replays them in reverse.
/// One tape serves one forward/backward at a time: keep it and call <see cref="Reset"/> between steps
/// so buffers are reused. Not thread-safe; give each concurrent request its own tape.
/// </summary>
public sealed class Tape : IDisposable
{
    private readonly TensorArena _arena;
    private TapeEntry[] _entries = new TapeEntry[64];
    private int _count;
    private int _noGradDepth;
    private int _running;

    /// <summary>Creates a tape whose tensors live on <paramref name="device"/>.</summary>
    /// <param name="device">The device ops run on.</param>
    public Tape(Device device)
    {
        Device = device ?? throw new ArgumentNullException(nameof(device));
        _arena = new TensorArena(device);
    }

    /// <summary>The device ops run on.</summary>
    public Device Device { get; }

    /// <summary>True when ops record themselves for <see cref="Backward(Tensor, float)"/> (not inside <see cref="NoGrad"/>).</summary>
    public bool IsRecording => _noGradDepth == 0;

    /// <summary>True when dropout and other training-only behaviour is on.</summary>
    public bool IsTraining { get; set; }

    /// <summary>Bytes of device memory the tape holds for activations and gradients.</summary>
    public long BytesHeld => _arena.BytesHeld;

    /// <summary>Stops recording until the returned scope is disposed: inference, evaluation.</summary>
    public NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope(this);
    }

    /// <summary>Forgets the recorded ops and recycles every tensor this tape made. Tensors from
    /// before the reset must not be used afterwards.</summary>
    public void Reset()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
        _arena.Reset();
    }

    /// <summary>A new tensor of the given shape owned by this tape (contents undefined).</summary>
    /// <param name="shape">Its dimensions.</param>
    public Tensor NewTensor(Shape shape) => _arena.Rent(shape);

    /// <summary>A new index tensor owned by this tape, filled from host memory.</summary>
    /// <param name="values">The indices.</param>
    public IndexTensor Indices(ReadOnlySpan<int> values)
    {
        var tensor = _arena.RentIndices(values.Length);
        Device.Upload(values, tensor.Data);
        return tensor;
    }

    /// <summary>A tensor owned by this tape, filled from host memory.</summary>
    /// <param name="values">Row-major elements.</param>
    /// <param name="shape">Dimensions matching the element count.</param>
    public Tensor Constant(ReadOnlySpan<float> values, Shape shape)
    {
        if (shape.ElementCount != values.Length)
            throw new ArgumentException($"shape {shape} holds {shape.ElementCount} elements but {values.Length} values were given.", nameof(values));
        var tensor = _arena.Rent(shape);
        Device.Upload(values, tensor.Data);
        return tensor;
    }

    /// <summary>
    /// Computes d(<paramref name="output"/>)/d(x) for every tensor x that requires a gradient and
    /// adds it to x's <see cref="Tensor.Grad"/> (parameters accumulate across calls until their owner
    /// zeroes them). <paramref name="output"/> is usually the scalar loss.
    /// </summary>
    /// <param name="output">The tensor to differentiate; made by an op recorded on this tape.</param>
    /// <param name="seed">d(objective)/d(output) for every element (e.g. 1/accumulation steps).</param>
    public void Backward(Tensor output, float seed = 1f)
    {
        CheckDifferentiable(output);
        Device.Fill(GradOf(output), seed, output.Length);
        RunBackward();
    }

    /// <summary>
    /// Back-propagates a given gradient of <paramref name="output"/>: adds Σ gradient·d(output)/d(x) to every x that
    /// requires a gradient. For objectives whose loss is computed elsewhere, e.g. over a whole batch of embeddings made
    /// chunk by chunk (gradient caching), or on the host.
    /// </summary>
    /// <param name="output">A tensor made by an op recorded on this tape.</param>
    /// <param name="gradient">d(objective)/d(output), of the same element count.</param>
    public void Backward(Tensor output, ReadOnlySpan<float> gradient)
    {
        CheckDifferentiable(output);
        if (gradient.Length != output.Length)
            throw new ArgumentException($"the gradient has {gradient.Length} elements; the output {output.Shape} has {output.Length}.", nameof(gradient));
        var grad = GradOf(output);
        var upload = _arena.Rent(output.Shape);
        Device.Upload(gradient, upload.Data);
        Device.AddInPlace(grad, upload.Data, output.Length);
        RunBackward();
    }

    /// <summary>True when <paramref name="tensor"/> is the output of an op recorded on this tape (so the tape owns its memory,
    /// unlike a parameter or a caller's tensor) and no op recorded before the one whose backward is running reads its values
    /// in its own backward: that backward may then overwrite them (cross-entropy writes the logits' gradient over the logits).</summary>
    internal bool CanOverwrite(Tensor tensor)
    {
        bool produced = false;
        for (int i = 0; i < _running; i++)
        {
            ref readonly TapeEntry e = ref _entries[i];
            if (e.Input0 == tensor || e.Input1 == tensor || e.Input2 == tensor || e.Saved0 == tensor || e.Saved1 == tensor)
                return false;
            if (e.Output == tensor)
            {
                if (e.Op.ReadsOutput) return false;
                produced = true;
            }
        }

        return produced;
    }

    private static void CheckDifferentiable(Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!output.RequiresGrad)
            throw new InvalidOperationException(
                "the tensor does not depend on any parameter that requires a gradient, or it was computed inside NoGrad(); nothing to differentiate.");
    }

    private void RunBackward()
    {
        for (int i = _count - 1; i >= 0; i--)
        {
            ref readonly TapeEntry entry = ref _entries[i];
            _running = i;
            if (entry.Output!.Grad is not null) entry.Op.Backward(this, in entry);
        }

        _running = 0;
    }

    /// <summary>Records an op call if the tape is recording and the output needs a gradient.</summary>
    internal void Record(in TapeEntry entry)
    {
        if (!IsRecording || entry.Output is not { RequiresGrad: true }) return;
        if (_count == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        _entries[_count++] = entry;
    }

    /// <summary>True if an op whose inputs are these should record and mark its output.</summary>
    internal bool NeedsGrad(Tensor? a, Tensor? b = null, Tensor? c = null) =>
        IsRecording && (a is { RequiresGrad: true } || b is { RequiresGrad: true } || c is { RequiresGrad: true });

    /// <summary>The gradient slice of <paramref name="tensor"/>, created zeroed on first use; empty
    /// when the tensor needs no gradient (a frozen parameter, an input, a constant).</summary>
    internal Slice<float> GradOf(Tensor? tensor)
    {
        if (tensor is null || !tensor.RequiresGrad) return Slice<float>.Empty;
        if (tensor.Grad is null) tensor.GradientOwner?.AllocateGradients();  // a parameter's gradient lives in its segment
        if (tensor.Grad is null)
        {
            var grad = _arena.Rent(tensor.Shape);
            Device.Fill(grad.Data, 0f, grad.Length);
            tensor.Grad = grad;
        }

        return tensor.Grad.Data;
    }

    /// <summary>Uses <paramref name="tensor"/>'s own memory as its gradient (for ops whose backward
    /// overwrites an input nobody reads again, like the logits under cross-entropy).</summary>
    internal Slice<float> GradInPlace(Tensor tensor)
    {
        tensor.Grad ??= tensor;
        return tensor.Grad.Data;
    }

    /// <summary>Frees the tape's memory.</summary>
    public void Dispose() => _arena.Dispose();

    internal void EndNoGrad() => _noGradDepth--;

    /// <summary>Restores recording when disposed.</summary>
    public readonly struct NoGradScope : IDisposable
    {
        private readonly Tape _tape;

        internal NoGradScope(Tape tape) => _tape = tape;

        /// <summary>Ends the scope.</summary>
        public void Dispose() => _tape.EndNoGrad();
    }
}
