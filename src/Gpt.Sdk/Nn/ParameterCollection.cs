using Gpt.Kernels.Devices;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>
/// All parameters of a model in one contiguous value buffer and one contiguous gradient buffer
/// (llm.c style): one allocation each, one optimizer sweep, one norm computation, one file write.
/// </summary>
public sealed class ParameterCollection : IDisposable
{
    private readonly List<Parameter> _items = [];
    private readonly Dictionary<string, Parameter> _byName = new(StringComparer.Ordinal);
    private long _used;

    /// <summary>Allocates room for <paramref name="capacity"/> floats on <paramref name="device"/>.</summary>
    /// <param name="device">Where values and gradients live.</param>
    /// <param name="capacity">Total number of parameter elements to be added.</param>
    public ParameterCollection(Device device, long capacity)
    {
        Device = device ?? throw new ArgumentNullException(nameof(device));
        if (capacity <= 0 || capacity > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"parameter count must be in [1, {int.MaxValue}], got {capacity}.");
        Values = device.Allocate<float>(capacity);
        Gradients = device.Allocate<float>(capacity);
        Device.Fill(AllGradients, 0f, (int)capacity);
    }

    /// <summary>The device holding the buffers.</summary>
    public Device Device { get; }

    /// <summary>Every parameter value, back to back, in <see cref="Items"/> order.</summary>
    public DeviceBuffer<float> Values { get; }

    /// <summary>Every gradient, at the same offsets as the values.</summary>
    public DeviceBuffer<float> Gradients { get; }

    /// <summary>Total number of elements.</summary>
    public int Count => (int)Values.Length;

    /// <summary>The whole value buffer as one slice.</summary>
    public Slice<float> AllValues => new(Values, 0, Count);

    /// <summary>The whole gradient buffer as one slice.</summary>
    public Slice<float> AllGradients => new(Gradients, 0, Count);

    /// <summary>The parameters in creation order.</summary>
    public IReadOnlyList<Parameter> Items => _items;

    /// <summary>The parameter with this name.</summary>
    /// <param name="name">A key such as <c>wte.weight</c>.</param>
    public Parameter this[string name] => _byName.TryGetValue(name, out var p)
        ? p
        : throw new KeyNotFoundException($"no parameter named '{name}'.");

    /// <summary>Looks a parameter up by name.</summary>
    /// <param name="name">The key.</param>
    /// <param name="parameter">The parameter, when found.</param>
    public bool TryGet(string name, out Parameter parameter) => _byName.TryGetValue(name, out parameter!);

    /// <summary>Carves the next parameter out of the buffers.</summary>
    /// <param name="name">Its unique key.</param>
    /// <param name="shape">Its dimensions.</param>
    public Parameter Add(string name, Shape shape)
    {
        if (_byName.ContainsKey(name)) throw new ArgumentException($"parameter '{name}' already exists.", nameof(name));
        long length = shape.ElementCount;
        if (_used + length > Values.Length)
            throw new InvalidOperationException($"parameter '{name}' {shape} does not fit: {Values.Length - _used} of {Values.Length} elements left.");
        var value = new Tensor(shape, new Slice<float>(Values, _used, (int)length)) { RequiresGrad = true };
        value.Grad = new Tensor(shape, new Slice<float>(Gradients, _used, (int)length));
        var parameter = new Parameter(name, value, _used);
        _used += length;
        _items.Add(parameter);
        _byName.Add(name, parameter);
        return parameter;
    }

    /// <summary>Sets every gradient to zero.</summary>
    public void ZeroGradients() => Device.Fill(AllGradients, 0f, Count);

    /// <summary>Copies all values to host memory.</summary>
    /// <param name="destination">Exactly <see cref="Count"/> floats.</param>
    public void CopyValuesTo(Span<float> destination) => Device.Download(AllValues, destination);

    /// <summary>Overwrites all values from host memory.</summary>
    /// <param name="source">Exactly <see cref="Count"/> floats.</param>
    public void CopyValuesFrom(ReadOnlySpan<float> source) => Device.Upload(source, AllValues);

    /// <summary>Frees both buffers.</summary>
    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
