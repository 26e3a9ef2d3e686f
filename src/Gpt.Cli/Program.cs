using System.CommandLine;
using Gpt.Cli;
using Gpt.Cli.Commands;

var root = new RootCommand("gpt: train, run, evaluate and benchmark GPT-style language models.");
foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
try
{
    // Errors are reported below as one line, not as the parser's stack trace.
    var parse = root.Parse(args);
    var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
    if (GracefulCancel.IsEnabledFor(parse.CommandResult.Command)) configuration.ProcessTerminationTimeout = null;
    return await parse.InvokeAsync(configuration);
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled.");
    return 130;
}
catch (Exception e) when (e is ArgumentException or IOException or InvalidDataException or NotSupportedException
                              or UnauthorizedAccessException or InvalidOperationException or FormatException)
{
    Console.Error.WriteLine($"error: {e.Message}");
    return 1;
}
