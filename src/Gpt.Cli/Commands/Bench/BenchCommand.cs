using System.CommandLine;

namespace Gpt.Cli.Commands.Bench;

/// <summary><c>gpt bench …</c>: measurements that print JSON; one file per benchmark.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Run a benchmark and print its figures as JSON.");
        bench.Subcommands.Add(GemmBenchCommand.Create());
        bench.Subcommands.Add(TrainBenchCommand.Create());
        bench.Subcommands.Add(TokenizeBenchCommand.Create());
        bench.Subcommands.Add(DecodeBenchCommand.Create());
        bench.Subcommands.Add(SftBenchCommand.Create());
        bench.Subcommands.Add(PpoBenchCommand.Create());
        bench.Subcommands.Add(EvalBenchCommand.Create());
        bench.Subcommands.Add(AlignBenchCommand.Create());
        bench.Subcommands.Add(AllReduceBenchCommand.Create());
        bench.Subcommands.Add(EmbedBenchCommand.Create());
        bench.Subcommands.Add(VectorsBenchCommand.Create());
        bench.Subcommands.Add(RetrievalBenchCommand.Create());
        bench.Subcommands.Add(ServeBenchCommand.Create());
        return bench;
    }
}
