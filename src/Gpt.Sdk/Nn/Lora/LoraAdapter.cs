namespace Gpt.Sdk.Nn.Lora;

/// <summary>
/// A named LoRA adapter on a <see cref="GptModel"/>: one <see cref="LoraLayer"/> per targeted linear layer,
/// all its weights in one <see cref="ParameterSegment"/>. Several adapters share one base model; a forward
/// pass applies the one its <see cref="ForwardOptions.Adapter"/> names, or none. Create one with
/// <see cref="GptModel.AddLoraAdapter"/>; save and load it in PEFT's layout with <c>Gpt.Sdk.IO.PeftAdapterFiles</c>.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    // Dropout sites of adapters start far above the trunk's (embedding 0, blocks 1 .. 2·n_layer).
    private const ulong DropoutSiteBase = 1UL << 32;

    private readonly Dictionary<Linear, LoraLayer> _byTarget = [];
    private readonly List<LoraLayer> _layers = [];

    internal LoraAdapter(GptModel model, string name, LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Model = model;
        Name = name;
        Config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        var linears = model.Linears.ToList();
        foreach (string target in config.TargetModules)
            if (!linears.Any(l => LoraConfig.Matches(target, l.Name)))
                throw new ArgumentException(
                    $"LoRA target module '{target}' matches no linear layer of this model; its layers are named like " +
                    $"{string.Join(", ", linears.Take(4).Select(l => l.Name))} (targets: c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj or {LoraConfig.AllLinear}).");
        Parameters = new ParameterSegment($"lora:{name}");
        ulong site = DropoutSiteBase;
        foreach (var linear in linears.Where(l => config.Targets(l.Name)))
        {
            var layer = new LoraLayer(Parameters, linear, config, site++);
            _layers.Add(layer);
            _byTarget.Add(linear, layer);
        }

        Parameters.Allocate(model.Device);
    }

    /// <summary>The adapter's name, unique on its model.</summary>
    public string Name { get; }

    /// <summary>Rank, alpha, dropout and targets.</summary>
    public LoraConfig Config { get; }

    /// <summary>The model the adapter belongs to.</summary>
    public GptModel Model { get; }

    /// <summary>The adapter's weights (every A and B), in one segment.</summary>
    public ParameterSegment Parameters { get; }

    /// <summary>The adapted layers, in model order.</summary>
    public IReadOnlyList<LoraLayer> Layers => _layers;

    /// <summary>True while the update is folded into the base weights.</summary>
    public bool IsMerged => Model.MergedAdapter == this;

    /// <summary>
    /// Folds the update into the base weights (W += s·B·A), so passes that name this adapter run at the base
    /// model's cost. While merged, the base model and other adapters are unavailable; <see cref="Unmerge"/> restores
    /// them (to float rounding). Not for use while other requests run on the model.
    /// </summary>
    public void Merge()
    {
        if (Model.MergedAdapter == this) return;
        if (Model.WeightStorage != WeightStorage.Float32)
            throw new InvalidOperationException($"the base model holds {Model.WeightStorage} weights, into which an adapter cannot be folded; " +
                "apply adapter '" + Name + "' per call instead (it works on compact weights), or merge it into the fp32 model and convert that.");
        if (Model.MergedAdapter is { } other)
            throw new InvalidOperationException($"adapter '{other.Name}' is already merged; unmerge it before merging '{Name}'.");
        foreach (var layer in _layers) layer.FoldInto(+1f);
        Model.MergedAdapter = this;
    }

    /// <summary>Takes the update back out of the base weights (W −= s·B·A).</summary>
    public void Unmerge()
    {
        if (Model.MergedAdapter != this) throw new InvalidOperationException($"adapter '{Name}' is not merged.");
        foreach (var layer in _layers) layer.FoldInto(-1f);
        Model.MergedAdapter = null;
    }

    /// <summary>Frees the adapter's weights (the model's <see cref="GptModel.RemoveAdapter"/> unloads it first).</summary>
    public void Dispose() => Parameters.Dispose();

    internal LoraLayer? LayerFor(Linear linear) => _byTarget.GetValueOrDefault(linear);
}
