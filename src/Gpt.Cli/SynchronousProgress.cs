namespace Gpt.Cli;

/// <summary>An <see cref="IProgress{T}"/> that reports on the thread doing the work (unlike <see cref="Progress{T}"/>, which
/// posts to the thread pool), so progress lines come out in order and before the command's last line.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
