using System.CommandLine;
using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands;

/// <summary><c>--weights fp32|bf16|int8</c>, shared by the commands that load a model for inference.</summary>
internal static class WeightsOption
{
    /// <summary>The spellings on the command line, by storage.</summary>
    public static readonly IReadOnlyDictionary<string, WeightStorage> Names = new Dictionary<string, WeightStorage>
    {
        ["fp32"] = WeightStorage.Float32, ["bf16"] = WeightStorage.BFloat16, ["int8"] = WeightStorage.Int8,
    };

    /// <summary>A new option (System.CommandLine options belong to one command each).</summary>
    public static Option<string> Create()
    {
        var option = new Option<string>("--weights")
        {
            Description = "How the model's matrices are held: fp32, bf16 (half the bytes) or int8 (Q8_0 blocks, about a quarter). " +
                "bf16 and int8 decode faster on the CPU, computing in fp32.",
            DefaultValueFactory = _ => "fp32",
        };
        option.AcceptOnlyFromAmong([.. Names.Keys]);
        return option;
    }

    /// <summary>The storage named on the command line.</summary>
    public static WeightStorage Read(ParseResult parse, Option<string> option) => Names[parse.GetValue(option)!];

    /// <summary>The command-line spelling of a storage.</summary>
    public static string Name(WeightStorage storage) => Names.First(n => n.Value == storage).Key;
}
