namespace Gpt.Sdk.Nn.Lora;

/// <summary>
/// A LoRA adapter's settings, named and defaulted as Hugging Face PEFT's <c>LoraConfig</c>: rank
/// <c>r</c>, <c>lora_alpha</c>, <c>lora_dropout</c>, <c>target_modules</c>, <c>use_rslora</c>.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The special target that selects every linear layer of the blocks (PEFT's <c>all-linear</c>).</summary>
    public const string AllLinear = "all-linear";

    private const string ModulePrefix = "transformer.";

    /// <summary>Rank r of the update B·A.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>lora_alpha: the update is scaled by alpha/r (alpha/√r with <see cref="UseRsLora"/>).</summary>
    public float Alpha { get; init; } = 8f;

    /// <summary>Dropout on the adapter's input during training.</summary>
    public float Dropout { get; init; }

    /// <summary>Which linear layers get an adapter: names matched against module paths such as
    /// <c>h.3.attn.c_attn</c> as PEFT matches them (the whole path, with or without <c>transformer.</c>, or its ending
    /// after a dot: <c>c_proj</c> matches both attention's and the MLP's, <c>attn.c_proj</c> only attention's), or
    /// <see cref="AllLinear"/>.</summary>
    public IReadOnlyList<string> TargetModules { get; init; } = ["c_attn"];

    /// <summary>Rank-stabilised LoRA (Kalajdzievski 2023): scale by alpha/√r instead of alpha/r.</summary>
    public bool UseRsLora { get; init; }

    /// <summary>The factor applied to B·A·x.</summary>
    public float Scaling => UseRsLora ? Alpha / MathF.Sqrt(Rank) : Alpha / Rank;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    /// <returns>This configuration.</returns>
    public LoraConfig Validate()
    {
        if (Rank < 1) throw new ArgumentException($"LoRA rank must be at least 1, got {Rank}.");
        if (!(Alpha > 0) || float.IsInfinity(Alpha)) throw new ArgumentException($"lora_alpha must be a positive number, got {Alpha}.");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"lora_dropout must be in [0, 1), got {Dropout}.");
        if (TargetModules is null || TargetModules.Count == 0 || TargetModules.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("target_modules must name at least one module (e.g. c_attn, c_proj, c_fc, or all-linear).");
        return this;
    }

    /// <summary>True when <paramref name="modulePath"/> is selected by <see cref="TargetModules"/>.</summary>
    /// <param name="modulePath">A linear layer's path, e.g. <c>h.0.mlp.c_fc</c>.</param>
    public bool Targets(string modulePath) => TargetModules.Any(t => Matches(t, modulePath));

    // PEFT matches against GPT2LMHeadModel's module names, which start with "transformer.", so a target written
    // as a full path (transformer.h.0.attn.c_attn) must match too; every shorter target is a "."-suffix of it.
    internal static bool Matches(string target, string modulePath) =>
        target == AllLinear || target == ModulePrefix + modulePath || (ModulePrefix + modulePath).EndsWith("." + target, StringComparison.Ordinal);
}
