using System.CommandLine;
using System.Runtime.InteropServices;

namespace Gpt.Cli;

/// <summary>
/// Ctrl+C (and SIGTERM) for commands that save before they stop. System.CommandLine's own handling gives a command two
/// seconds and then ends the process, which on a real model can fall in the middle of a step or of writing the checkpoint,
/// so these commands take the signal themselves: the first one cancels <see cref="Token"/> (the trainer finishes its step,
/// saves and stops), a second ends the process at once. Files are replaced atomically, so even then the previous
/// checkpoint is intact.
/// </summary>
internal sealed class GracefulCancel : IDisposable
{
    private static readonly HashSet<Command> s_commands = [];

    private readonly CancellationTokenSource _source;
    private readonly PosixSignalRegistration _interrupt, _terminate;
    private readonly string _message;
    private int _signals;

    private GracefulCancel(CancellationToken commandToken, string message)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(commandToken);
        _message = message;
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled by the first Ctrl+C or SIGTERM, or with the command's own token.</summary>
    public CancellationToken Token => _source.Token;

    /// <summary>Marks <paramref name="command"/> as one that handles Ctrl+C through <see cref="Listen"/>.</summary>
    public static Command Enable(Command command)
    {
        s_commands.Add(command);
        return command;
    }

    /// <summary>True when <paramref name="command"/> handles Ctrl+C itself, so the program must not give System.CommandLine's
    /// two-second handling to it.</summary>
    public static bool IsEnabledFor(Command command) => s_commands.Contains(command);

    /// <summary>Starts listening for Ctrl+C until disposed.</summary>
    /// <param name="commandToken">The command's token; cancelling it cancels <see cref="Token"/> too.</param>
    /// <param name="message">Printed on stderr at the first signal: what happens now.</param>
    public static GracefulCancel Listen(CancellationToken commandToken, string message) => new(commandToken, message);

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Increment(ref _signals) > 1) return; // not cancelled: the default action ends the process
        context.Cancel = true;
        if (!Console.IsErrorRedirected) Console.Error.WriteLine(); // after the live progress line
        Console.Error.WriteLine(_message + " (Ctrl+C again to quit at once)");
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command finished while the signal arrived: there is nothing left to stop.
        }
    }
}
