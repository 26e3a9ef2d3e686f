using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

/// <summary>
/// Recycles tensors between steps. Requests are served by position: the n-th tensor asked for after
/// a <see cref="Reset"/> reuses the n-th tensor of the previous pass (its buffer grown if needed).
/// Training steps ask for the same shapes in the same order, so after the first step nothing is
/// allocated, managed or native.
/// </summary>
internal sealed class TensorArena : IDisposable
{
    private readonly Device _device;
    private readonly List<(Tensor Tensor, DeviceBuffer<float> Buffer)> _floats = [];
    private readonly List<(IndexTensor Tensor, DeviceBuffer<int> Buffer)> _ints = [];
    private int _nextFloat, _nextInt;

    public TensorArena(Device device) => _device = device;

    /// <summary>Bytes of device memory held by the arena.</summary>
    public long BytesHeld
    {
        get
        {
            long bytes = 0;
            foreach (var (_, buffer) in _floats) bytes += buffer.Length * sizeof(float);
            foreach (var (_, buffer) in _ints) bytes += buffer.Length * sizeof(int);
            return bytes;
        }
    }

    public Tensor Rent(Shape shape)
    {
        long count = shape.ElementCount;
        if (count > int.MaxValue) throw new ArgumentException($"a tensor of shape {shape} exceeds {int.MaxValue} elements.");
        if (_nextFloat == _floats.Count)
        {
            var buffer = _device.Allocate<float>(count);
            _floats.Add((new Tensor(shape, new Slice<float>(buffer, 0, (int)count)), buffer));
        }
        else if (_floats[_nextFloat].Buffer.Length < count)
        {
            _floats[_nextFloat].Buffer.Dispose();
            var buffer = _device.Allocate<float>(count);
            _floats[_nextFloat] = (_floats[_nextFloat].Tensor, buffer);
        }

        var (tensor, storage) = _floats[_nextFloat++];
        tensor.Shape = shape;
        tensor.Data = new Slice<float>(storage, 0, (int)count);
        tensor.Grad = null;
        tensor.RequiresGrad = false;
        return tensor;
    }

    public IndexTensor RentIndices(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_nextInt == _ints.Count)
        {
            var buffer = _device.Allocate<int>(count);
            _ints.Add((new IndexTensor(new Slice<int>(buffer, 0, count)), buffer));
        }
        else if (_ints[_nextInt].Buffer.Length < count)
        {
            _ints[_nextInt].Buffer.Dispose();
            var buffer = _device.Allocate<int>(count);
            _ints[_nextInt] = (_ints[_nextInt].Tensor, buffer);
        }

        var (tensor, storage) = _ints[_nextInt++];
        tensor.Data = new Slice<int>(storage, 0, count);
        return tensor;
    }

    public void Reset() => _nextFloat = _nextInt = 0;

    public void Dispose()
    {
        foreach (var (_, buffer) in _floats) buffer.Dispose();
        foreach (var (_, buffer) in _ints) buffer.Dispose();
        _floats.Clear();
        _ints.Clear();
    }
}
