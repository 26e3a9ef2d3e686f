using System.CommandLine;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Cli.Commands;

/// <summary>The LoRA options of the training commands (<c>--lora-rank</c> and what refines it): LoRA is on when a rank is
/// given, and its other options alone are refused, since they would silently do nothing.</summary>
internal sealed class LoraArguments
{
    private static readonly LoraConfig s_defaults = new();

    public Option<int?> Rank { get; } = new("--lora-rank") { Description = "Train a LoRA adapter of this rank instead of every weight." };

    public Option<float?> Alpha { get; } = new("--lora-alpha") { Description = $"LoRA alpha: the update is scaled by alpha/rank (default {s_defaults.Alpha})." };

    public Option<float?> Dropout { get; } = new("--lora-dropout") { Description = $"Dropout on the adapter's input (default {s_defaults.Dropout})." };

    public Option<string?> Targets { get; } = new("--lora-targets")
    {
        Description = $"Comma-separated layers to adapt: c_attn, c_proj, c_fc, attn.c_proj, mlp.c_proj, or {LoraConfig.AllLinear} " +
            $"(default {string.Join(',', s_defaults.TargetModules)}).",
    };

    public Option<bool> RsLora { get; } = new("--rslora") { Description = "Rank-stabilised LoRA: scale the update by alpha/sqrt(rank)." };

    public IEnumerable<Option> All => [Rank, Alpha, Dropout, Targets, RsLora];

    /// <summary>The adapter's config, or null when no rank was given.</summary>
    public LoraConfig? Read(ParseResult parse)
    {
        if (parse.GetValue(Rank) is not { } r)
        {
            var stray = ((Option[])[Alpha, Dropout, Targets, RsLora]).FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
            if (stray is not null) throw new ArgumentException($"{stray.Name} applies to LoRA; add --lora-rank to train an adapter, or drop {stray.Name}.");
            return null;
        }

        return s_defaults with
        {
            Rank = r,
            Alpha = parse.GetValue(Alpha) ?? s_defaults.Alpha,
            Dropout = parse.GetValue(Dropout) ?? s_defaults.Dropout,
            TargetModules = parse.GetValue(Targets) is { } list
                ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                : s_defaults.TargetModules,
            UseRsLora = parse.GetValue(RsLora),
        };
    }
}
