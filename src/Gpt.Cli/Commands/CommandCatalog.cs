using System.CommandLine;
using Gpt.Cli.Commands.Bench;

namespace Gpt.Cli.Commands;

/// <summary>The top-level commands of <c>gpt</c>; each lives in its own file.</summary>
internal static class CommandCatalog
{
    public static IEnumerable<Command> All()
    {
        yield return TrainCommand.Create();
        yield return SftCommand.Create();
        yield return RmCommand.Create();
        yield return ScoreCommand.Create();
        yield return EmbedCommand.Create();
        yield return DpoCommand.Create();
        yield return PpoCommand.Create();
        yield return GenerateCommand.Create();
        yield return ChatCommand.Create();
        yield return EvalCommand.Create();
        yield return MergeCommand.Create();
        yield return ExportCommand.Create();
        yield return BenchCommand.Create();
        yield return PlotCommand.Create();
        yield return TokenizeCommand.Create();
        yield return TokenizerCommand.Create();
        yield return IndexCommand.Create();
        yield return RagCommand.Create();
    }
}
