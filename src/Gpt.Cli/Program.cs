using System.CommandLine;
using Gpt.Cli.Commands;

var root = new RootCommand("gpt: train, run, evaluate and benchmark GPT-style language models.");
foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
try
{
    // Errors are reported below as one line, not as the parser's stack trace.
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
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
