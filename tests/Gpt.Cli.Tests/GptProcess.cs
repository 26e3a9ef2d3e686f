using System.Diagnostics;

namespace Gpt.Cli.Tests;

/// <summary>Runs the built <c>gpt</c> command as a child process and captures its output.</summary>
internal static class GptProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => Start(input: null, args);

    /// <summary>Runs <c>gpt</c> with <paramref name="input"/> written to its stdin, which is then closed.</summary>
    public static Result RunWithInput(string input, params string[] args) => Start(input, args);

    private static Result Start(string? input, string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "gpt.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = input is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        foreach (string arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }

        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gpt {string.Join(' ', args)} did not finish in 2 minutes.");
        }

        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
