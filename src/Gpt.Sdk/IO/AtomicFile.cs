namespace Gpt.Sdk.IO;

/// <summary>
/// Replaces a file all at once: the content goes to a temporary file in the same folder, is flushed
/// to disk, then renamed over the target. A crash or exception mid-write leaves the previous file
/// intact and the temporary file is removed (or, after a hard crash, left as a hidden
/// <c>.name.*.tmp</c> beside it, never in place of the target).
/// </summary>
/// <remarks>
/// The rename is atomic on the same file system, so readers see either the old or the new file, never
/// a mix. The folder itself is not flushed, so after a power cut the rename may not have happened yet:
/// the previous file is still there then, which is the point.
/// </remarks>
internal static class AtomicFile
{
    private const int BufferSize = 1 << 16;

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, replacing any existing file only on success.</summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="write">Writes the whole content to the stream it is given; it must not dispose it.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        (string target, string temporary) = Paths(path);
        try
        {
            using (var stream = CreateTemporary(temporary))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
    }

    /// <summary>
    /// Writes <paramref name="path"/> through <paramref name="write"/>, replacing any existing file only
    /// on success; cancelling leaves the previous file as it was.
    /// </summary>
    /// <param name="path">The file to create or replace; its folder must exist.</param>
    /// <param name="write">Writes the whole content to the stream it is given; it must not dispose it.</param>
    /// <param name="cancellationToken">Cancels the write before the rename.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        (string target, string temporary) = Paths(path);
        try
        {
            await using (var stream = CreateTemporary(temporary, FileOptions.Asynchronous))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
    }

    private static (string Target, string Temporary) Paths(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string target = Path.GetFullPath(path);
        string name = Path.GetFileName(target);
        if (name.Length == 0)
            throw new ArgumentException($"'{path}' names a folder, not a file; add a file name.", nameof(path));
        string folder = Path.GetDirectoryName(target)!;
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{target}': the folder '{folder}' does not exist; create it first.");
        // Same folder, so the rename never crosses file systems; hidden and unique so that concurrent
        // writers and directory listings never mistake it for the real file.
        return (target, Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp"));
    }

    private static FileStream CreateTemporary(string temporary, FileOptions options = FileOptions.None) =>
        new(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, BufferSize, options);

    private static void DeleteQuietly(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
            // The original error matters more; a leftover .tmp file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
