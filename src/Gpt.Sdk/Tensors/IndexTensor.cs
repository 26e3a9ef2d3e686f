using Gpt.Kernels.Devices;

namespace Gpt.Sdk.Tensors;

/// <summary>Integer indices on a device (token ids, targets, positions), as a flat run of
/// <see cref="Count"/> values; owned and recycled by the <see cref="Tape"/> that made it.</summary>
public sealed class IndexTensor
{
    internal IndexTensor(Slice<int> data) => Data = data;

    /// <summary>The memory holding the indices.</summary>
    public Slice<int> Data { get; internal set; }

    /// <summary>Number of indices.</summary>
    public int Count => Data.Length;
}
