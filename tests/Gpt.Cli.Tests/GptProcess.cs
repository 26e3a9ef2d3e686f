using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Gpt.Cli.Tests;

/// <summary>Runs the built <c>gpt</c> command as a child process and captures its output.</summary>
internal static class GptProcess
{
    private const int SigInt = 2, SigTerm = 15;

    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(params string[] args) => Start(input: null, args);

    /// <summary>Runs <c>gpt</c> with <paramref name="input"/> written to its stdin, which is then closed.</summary>
    public static Result RunWithInput(string input, params string[] args) => Start(input, args);

    private static Result Start(string? input, string[] args)
    {
        var start = StartInfo(args);
        start.RedirectStandardInput = input is not null;
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

    /// <summary>Runs <c>gpt</c> and interrupts it as Ctrl+C does as soon as a line of its stderr contains
    /// <paramref name="trigger"/>. Unix only (a signal).</summary>
    public static Result RunAndInterrupt(string trigger, params string[] args)
    {
        using var process = Process.Start(StartInfo(args))!;
        using var watchdog = new Timer(_ => process.Kill(entireProcessTree: true), null, TimeSpan.FromMinutes(2), Timeout.InfiniteTimeSpan);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        bool sent = false;
        while (process.StandardError.ReadLine() is { } line)
        {
            stderr.AppendLine(line);
            if (sent || !line.Contains(trigger, StringComparison.Ordinal)) continue;
            sent = true;
            if (Kill(process.Id, InterruptSignal()) != 0) throw new InvalidOperationException($"kill failed: errno {Marshal.GetLastPInvokeError()}.");
        }

        process.WaitForExit();
        Assert.True(sent, $"'{trigger}' never appeared on stderr:\n{stderr}");
        return new Result(process.ExitCode, stdout.Result, stderr.ToString());
    }

    private static ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "gpt.dll"));
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return start;
    }

    // Ctrl+C is SIGINT. A process started with SIGINT ignored (anything run in the background of a script) passes that on,
    // and .NET then keeps it ignored, so such a test run interrupts with SIGTERM, which gpt handles the same way.
    private static int InterruptSignal()
    {
        const string Status = "/proc/self/status";
        string? ignored = File.Exists(Status) ? File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) : null;
        return ignored is not null && (Convert.ToUInt64(ignored["SigIgn:".Length..].Trim(), 16) & (1UL << (SigInt - 1))) != 0 ? SigTerm : SigInt;
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
