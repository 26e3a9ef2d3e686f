using System.Diagnostics;
using System.Text.Json;

namespace Gpt.Cli.Commands.Bench;

/// <summary>Runs this gpt again as a child process (directly, or under a launcher such as mpirun) and parses the JSON it
/// prints: for figures that belong to a process of their own (peak memory, thread count, rank count).</summary>
internal static class BenchChild
{
    /// <summary>Runs <c>[launcher…] gpt args…</c> and returns the JSON document its stdout holds.</summary>
    /// <param name="what">Names the child in errors.</param>
    /// <param name="launcher">Program and arguments that start gpt (e.g. <c>mpirun -np 2</c>), or empty to start it directly.</param>
    /// <param name="args">gpt's arguments.</param>
    /// <param name="environment">Variables to set for the child.</param>
    /// <param name="cancellationToken">Kills the child.</param>
    public static async Task<JsonElement> RunAsync(string what, string[] launcher, string[] args, IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken)
    {
        string executable = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown, so the child process cannot be started.");
        string[] self = Path.GetFileNameWithoutExtension(executable) == "dotnet"
            ? [executable, Environment.GetCommandLineArgs()[0]]   // started as `dotnet gpt.dll` (dotnet run, the tests): the child needs the assembly too
            : [executable];
        string[] command = [.. launcher, .. self, .. args];
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in command[1..]) start.ArgumentList.Add(arg);
        foreach (var (name, value) in environment) start.Environment[name] = value;

        using var child = Process.Start(start) ?? throw new InvalidOperationException($"could not start {command[0]}.");
        var stdout = child.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = child.StandardError.ReadToEndAsync(CancellationToken.None);
        try
        {
            await child.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            child.Kill(entireProcessTree: true);
            throw;
        }

        string output = await stdout, errors = await stderr;
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"the {what} child process failed (exit code {child.ExitCode}): {errors.Trim()}");
        // mpirun hands its ranks a pseudo-terminal, so .NET may write terminal control sequences around the JSON.
        int first = output.IndexOf('{', StringComparison.Ordinal), last = output.LastIndexOf('}');
        if (first < 0 || last < first) throw new InvalidOperationException($"the {what} child process printed no JSON: {output.Trim()} {errors.Trim()}");
        using var document = JsonDocument.Parse(output[first..(last + 1)]);
        return document.RootElement.Clone();
    }
}
