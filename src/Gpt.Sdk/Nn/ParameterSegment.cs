using Gpt.Kernels.Devices;
using Gpt.Kernels.Random;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// A group of parameters in one contiguous value buffer (llm.c style: one allocation, one optimizer
/// sweep, one file write): a model's base weights, one LoRA adapter, or one head. Parameters are declared
/// first, each with its initialisation and file layout, and the buffer is allocated once the segment is
/// complete, so its size is the sum of what was declared. A gradient buffer exists only while the segment
/// is <see cref="Trainable"/>, and only once a backward pass or an optimizer first needs it: a model loaded
/// for inference, or the frozen 124M base of a LoRA run, holds no gradients.
/// </summary>
public sealed class ParameterSegment : IDisposable, IGradientOwner
{
    private const int InitChunk = 1 << 20;

    private readonly List<Parameter> _items = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private DeviceBuffer<float>? _values, _gradients;
    private long _count;
    private bool _trainable = true;

    /// <summary>Starts an empty segment; declare its parameters with <see cref="Declare"/>, then <see cref="Allocate"/> it.</summary>
    /// <param name="name">What the segment is, e.g. <c>base</c>, <c>lora:support</c>, <c>head:value</c>.</param>
    public ParameterSegment(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>What the segment is (also its key prefix in checkpoints).</summary>
    public string Name { get; }

    /// <summary>The device holding the buffers (valid once allocated).</summary>
    public Device Device { get; private set; } = Device.Cpu;

    /// <summary>True once <see cref="Allocate"/> has run.</summary>
    public bool IsAllocated => _values is not null;

    /// <summary>Every value, back to back in <see cref="Items"/> order.</summary>
    public DeviceBuffer<float> Values => _values ?? throw NotAllocated();

    /// <summary>Every gradient, at the values' offsets, zeroed when first allocated (here, by a backward pass, or by an
    /// optimizer); there are none while the segment is frozen.</summary>
    public DeviceBuffer<float> Gradients
    {
        get
        {
            if (!_trainable) throw new InvalidOperationException($"segment '{Name}' is frozen and has no gradients; set Trainable = true to train it.");
            AllocateGradients();
            return _gradients!;
        }
    }

    /// <summary>True while a gradient buffer is allocated.</summary>
    public bool HasGradients => _gradients is not null;

    /// <summary>Total number of elements.</summary>
    public int Count => (int)_count;

    /// <summary>The whole value buffer as one slice.</summary>
    public Slice<float> AllValues => new(Values, 0, Count);

    /// <summary>The whole gradient buffer as one slice.</summary>
    public Slice<float> AllGradients => new(Gradients, 0, Count);

    /// <summary>The parameters in declaration order.</summary>
    public IReadOnlyList<Parameter> Items => _items;

    /// <summary>
    /// Whether backward passes compute gradients for this segment and optimizers update it. Turning it off frees the
    /// gradient buffer; turning it on lets the next backward pass allocate a zeroed one. New segments are trainable.
    /// </summary>
    public bool Trainable
    {
        get => _trainable;
        set
        {
            if (value == _trainable) return;
            if (value && _items.Any(p => p.Compact is not null))
                throw new InvalidOperationException($"segment '{Name}' holds bf16 or int8 weights, which serve inference only; " +
                    "load the model with fp32 weights (WeightStorage.Float32) to train it.");
            _trainable = value;
            if (IsAllocated) BindGradients();
        }
    }

    /// <summary>The parameter with this name.</summary>
    /// <param name="name">A key such as <c>wte.weight</c>.</param>
    public Parameter this[string name] => _byName.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"segment '{Name}' has no parameter named '{name}'.");

    /// <summary>Looks a parameter up by name.</summary>
    /// <param name="name">The key.</param>
    /// <param name="parameter">The parameter, when found.</param>
    public bool TryGet(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    /// <summary>Declares the next parameter; its memory exists once the segment is allocated.</summary>
    /// <param name="name">Its unique key within the segment.</param>
    /// <param name="shape">Its dimensions.</param>
    /// <param name="init">How it is initialised.</param>
    /// <param name="storedTransposed">True when files store this (out, in) matrix as (in, out) (GPT-2's Conv1D).</param>
    /// <param name="decays">Weight decay applies; by default to matrices and embeddings (rank ≥ 2).</param>
    public Parameter Declare(string name, Shape shape, ParameterInit init, bool storedTransposed = false, bool? decays = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(init);
        if (IsAllocated) throw new InvalidOperationException($"segment '{Name}' is already allocated; declare every parameter first.");
        if (_byName.ContainsKey(name)) throw new ArgumentException($"parameter '{name}' already exists in segment '{Name}'.", nameof(name));
        if (storedTransposed && shape.Rank != 2) throw new ArgumentException($"only matrices can be stored transposed; '{name}' is {shape}.", nameof(storedTransposed));
        var parameter = new Parameter(this, name, shape, _count, init, storedTransposed, decays ?? shape.Rank >= 2);
        _count += shape.ElementCount;
        _items.Add(parameter);
        _byName.Add(name, parameter);
        return parameter;
    }

    /// <summary>Allocates the buffers on <paramref name="device"/> and binds every declared parameter to them (values
    /// uninitialised: call <see cref="Initialize"/> or load them).</summary>
    /// <param name="device">Where values and gradients live.</param>
    public void Allocate(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (IsAllocated) throw new InvalidOperationException($"segment '{Name}' is already allocated.");
        if (_count == 0) throw new InvalidOperationException($"segment '{Name}' declares no parameters.");
        if (_count > int.MaxValue)
            throw new InvalidOperationException($"segment '{Name}' would hold {_count:N0} parameters; at most {int.MaxValue:N0} fit one buffer.");
        Device = device;
        _values = device.Allocate<float>(_count);
        foreach (var p in _items) p.Value.Data = new Slice<float>(_values, p.Offset, (int)p.Value.Shape.ElementCount);
        BindGradients();
    }

    /// <summary>Initialises every parameter as declared; equal seeds give bit-identical values.</summary>
    /// <param name="seed">The seed.</param>
    public void Initialize(ulong seed)
    {
        if (_items.Any(p => p.Compact is not null))
            throw new InvalidOperationException($"segment '{Name}' holds bf16 or int8 weights; initialise an fp32 model instead and convert it afterwards.");
        // Filled and uploaded a chunk at a time: a host copy of the whole segment would hold a second set of weights
        // (500 MB for GPT-2 124M) at the peak of building a model. Draws are keyed by element index, so the values do
        // not depend on the chunking.
        var chunk = new float[Math.Min(Count, InitChunk)];
        ulong stream = new CounterRng(seed).Fork(1).Seed;
        foreach (var p in _items)
        {
            for (int start = 0; start < p.Value.Length; start += chunk.Length)
            {
                var values = chunk.AsSpan(0, Math.Min(chunk.Length, p.Value.Length - start));
                p.Init.Fill(values, p.Offset + start, stream);
                Device.Upload<float>(values, new Slice<float>(Values, p.Offset + start, values.Length));
            }
        }
    }

    /// <summary>Sets every gradient to zero (nothing to do while none are allocated).</summary>
    public void ZeroGradients()
    {
        if (_gradients is not null) Device.Fill(new Slice<float>(_gradients, 0, Count), 0f, Count);
    }

    void IGradientOwner.AllocateGradients() => AllocateGradients();

    /// <summary>Allocates the zeroed gradient buffer now (an optimizer does it up front), if trainable and not done yet.</summary>
    internal void AllocateGradients()
    {
        if (!_trainable || _gradients is not null || !IsAllocated) return;
        _gradients = Device.Allocate<float>(_count);
        Device.Fill(new Slice<float>(_gradients, 0, Count), 0f, Count);
        foreach (var p in _items) p.Value.Grad = new Tensor(p.Shape, new Slice<float>(_gradients, p.Offset, p.Value.Length));
    }

    /// <summary>Copies all values to host memory.</summary>
    /// <param name="destination">Exactly <see cref="Count"/> floats.</param>
    public void CopyValuesTo(Span<float> destination) => Device.Download(AllValues, destination);

    /// <summary>Overwrites all values from host memory.</summary>
    /// <param name="source">Exactly <see cref="Count"/> floats.</param>
    public void CopyValuesFrom(ReadOnlySpan<float> source) => Device.Upload(source, AllValues);

    /// <summary>
    /// Moves parameters whose values are now held compact (<see cref="Parameter.Compact"/>, set by the caller) out of the
    /// fp32 buffer, which shrinks to the rest: the memory saving of compact weights. The segment must be frozen.
    /// </summary>
    internal void ReleaseCompact()
    {
        if (_trainable) throw new InvalidOperationException($"segment '{Name}' must be frozen before its weights are held compact.");
        var kept = _items.Where(p => p.Compact is null && p.Offset >= 0).ToList();
        long count = kept.Sum(p => p.Shape.ElementCount);
        var values = Device.Allocate<float>(count);
        long offset = 0;
        foreach (var p in kept)
        {
            var slice = new Slice<float>(values, offset, (int)p.Shape.ElementCount);
            Device.Copy(p.Value.Data, slice, slice.Length);
            p.Value.Data = slice;
            p.Offset = offset;
            offset += slice.Length;
        }

        foreach (var p in _items.Where(p => p.Compact is not null))
        {
            p.Value.Data = Slice<float>.Empty;
            p.Offset = -1;
        }

        _values!.Dispose();
        _values = values;
        _count = count;
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        foreach (var p in _items) p.Compact?.Dispose();
        _values?.Dispose();
        _gradients?.Dispose();
        _gradients = null;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {_items.Count} tensors, {_count:N0} values{(_trainable ? "" : ", frozen")}";

    private void BindGradients()
    {
        if (!_trainable && _gradients is not null)
        {
            _gradients.Dispose();
            _gradients = null;
        }

        foreach (var p in _items)
        {
            p.Value.RequiresGrad = _trainable;
            p.Value.GradientOwner = this;
            if (_gradients is null) p.Value.Grad = null;
        }
    }

    private InvalidOperationException NotAllocated() =>
        new($"segment '{Name}' is not allocated yet; call Allocate(device) after declaring its parameters.");
}
