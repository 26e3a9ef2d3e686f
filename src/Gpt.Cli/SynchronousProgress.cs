namespace Gpt.Cli;

/// <summary>An <see cref="IProgress{T}"/> that reports on the thread doing the work (unlike <see cref="Progress{T}"/>, which
/// posts to the thread pool), so progress lines come out in order and before the command's last line. Reports from
/// several threads at once (the code sandbox runs programs in parallel) are handled one at a time.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    private readonly Lock _lock = new();

    public void Report(T value)
    {
        lock (_lock) report(value);
    }
}
