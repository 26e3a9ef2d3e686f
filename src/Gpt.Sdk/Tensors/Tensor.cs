using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

/// <summary>
/// A float32 tensor: a shape over a slice of device memory, with an optional gradient. Tensors made
/// by a <see cref="Tape"/> belong to it and are recycled by <see cref="Tape.Reset"/>; parameters are
/// views into their model's single parameter buffer; <see cref="FromArray"/> makes a tensor that owns
/// its memory and must be disposed.
/// </summary>
public sealed class Tensor : IDisposable
{
    private DeviceBuffer<float>? _owned;

    internal Tensor(Shape shape, Slice<float> data, DeviceBuffer<float>? owned = null)
    {
        Shape = shape;
        Data = data;
        _owned = owned;
    }

    /// <summary>The dimensions.</summary>
    public Shape Shape { get; internal set; }

    /// <summary>The memory holding the elements, row-major.</summary>
    public Slice<float> Data { get; internal set; }

    /// <summary>The gradient of the last backward pass with respect to this tensor, when one was computed.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>For a parameter: what allocates its gradient (its segment's buffer) the first time a backward pass needs it.</summary>
    internal IGradientOwner? GradientOwner { get; set; }

    /// <summary>True when backward passes compute a gradient for this tensor.</summary>
    public bool RequiresGrad { get; internal set; }

    /// <summary>The device the elements live on.</summary>
    public Device Device => Data.Buffer?.Device ?? Device.Cpu;

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Creates a tensor that owns a copy of <paramref name="values"/>.</summary>
    /// <param name="device">Where the tensor lives.</param>
    /// <param name="values">Row-major elements; their count must match the shape.</param>
    /// <param name="shape">The dimensions.</param>
    public static Tensor FromArray(Device device, ReadOnlySpan<float> values, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (shape.ElementCount != values.Length)
            throw new ArgumentException($"shape {shape} holds {shape.ElementCount} elements but {values.Length} values were given.", nameof(values));
        var buffer = device.Allocate<float>(values.Length);
        var slice = new Slice<float>(buffer, 0, values.Length);
        device.Upload(values, slice);
        return new Tensor(shape, slice, buffer);
    }

    /// <summary>Copies the elements to a new host array.</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    /// <summary>Copies the elements to host memory.</summary>
    /// <param name="destination">Exactly <see cref="Length"/> floats.</param>
    public void CopyTo(Span<float> destination) => Device.Download(Data, destination);

    /// <summary>Overwrites the elements from host memory.</summary>
    /// <param name="source">Exactly <see cref="Length"/> floats.</param>
    public void CopyFrom(ReadOnlySpan<float> source) => Device.Upload(source, Data);

    /// <summary>Frees the memory if this tensor owns it (tensors from <see cref="FromArray"/>).</summary>
    public void Dispose()
    {
        _owned?.Dispose();
        _owned = null;
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor{Shape}";
}
