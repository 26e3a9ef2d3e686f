using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Nn;

/// <summary>The state of one forward pass that every layer reads: made once per pass by
/// <see cref="GptModel.ForwardHidden"/> from <see cref="ForwardOptions"/>, with device copies of the index data.</summary>
internal readonly struct LayerPass
{
    public LoraAdapter? Adapter { get; init; }

    public ulong DropoutSeed { get; init; }

    /// <summary>B×T example starts for packed attention, or null.</summary>
    public IndexTensor? SegmentStarts { get; init; }

    /// <summary>The cache fed, or null for an ordinary (recordable) pass.</summary>
    public KvCache? Cache { get; init; }

    /// <summary>With a cache: the rows' lengths before this pass (R), on the device.</summary>
    public IndexTensor? PastLengths { get; init; }

    /// <summary>With a cache: first row fed.</summary>
    public int FirstRow { get; init; }
}
