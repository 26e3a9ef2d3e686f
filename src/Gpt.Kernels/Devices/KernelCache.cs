using System.Security.Cryptography;
using System.Text;

namespace Gpt.Kernels.Devices;

/// <summary>
/// Compiled GPU programs on disk (OpenCL binaries, CUDA PTX), so a second process start skips the driver's
/// compiler. An entry's name is a hash of everything that shapes the compiled code: the source, the device,
/// the driver and compiler versions and the build options; a change to any of them is simply a miss.
/// The cache only ever speeds things up: an unreadable or unwritable folder, or a stale entry the driver
/// refuses, falls back to compiling from source.
/// </summary>
public sealed class KernelCache
{
    /// <summary>Environment variable naming the cache folder; <c>off</c> disables the cache.</summary>
    public const string EnvironmentVariable = "GPT_KERNEL_CACHE";

    private long _hits, _misses, _writes;

    /// <summary>A cache in <paramref name="directory"/> (created on first write), or a disabled cache when null.</summary>
    /// <param name="directory">The folder holding the entries; null disables caching.</param>
    public KernelCache(string? directory)
    {
        if (directory is not null && directory.Length == 0)
            throw new ArgumentException("The cache folder must not be empty; pass null to disable the cache.", nameof(directory));
        Directory = directory is null ? null : Path.GetFullPath(directory);
    }

    /// <summary>The cache at <see cref="DefaultDirectory"/>.</summary>
    public static KernelCache Default => new(DefaultDirectory);

    /// <summary><c>$GPT_KERNEL_CACHE</c> if set (null when it is <c>off</c>), else <c>$XDG_CACHE_HOME/gpt-sdk/kernels</c>,
    /// else <c>~/.cache/gpt-sdk/kernels</c> (the local application data folder on Windows).</summary>
    public static string? DefaultDirectory => DirectoryFrom(Environment.GetEnvironmentVariable);

    /// <summary><see cref="DefaultDirectory"/> from the given environment.</summary>
    internal static string? DirectoryFrom(Func<string, string?> environment)
    {
        string? configured = environment(EnvironmentVariable);
        if (!string.IsNullOrEmpty(configured))
            return configured.Equals("off", StringComparison.OrdinalIgnoreCase) ? null : configured;
        string? xdg = environment("XDG_CACHE_HOME");
        string root = !string.IsNullOrEmpty(xdg) ? xdg
            : OperatingSystem.IsWindows() ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "gpt-sdk", "kernels");
    }

    /// <summary>The folder holding the entries, or null when caching is off.</summary>
    public string? Directory { get; }

    /// <summary>Lookups answered from disk.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups that found nothing usable.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Entries written.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>The entry name for a compiled program: a SHA-256 over the parts, each length-prefixed so
    /// that no two different part lists hash the same text.</summary>
    /// <param name="parts">Source, device, driver and compiler versions, options: everything the binary depends on.</param>
    internal static string Key(params ReadOnlySpan<string> parts)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (string part in parts)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(part);
            hash.AppendData(BitConverter.GetBytes(bytes.Length));
            hash.AppendData(bytes);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The path of an entry, or null when caching is off.</summary>
    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="extension">File extension without the dot (<c>clbin</c>, <c>ptx</c>).</param>
    internal string? PathOf(string key, string extension) =>
        Directory is null ? null : Path.Combine(Directory, $"{key}.{extension}");

    /// <summary>The entry's bytes, or null on a miss (absent, unreadable or caching off).</summary>
    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="extension">File extension without the dot.</param>
    internal byte[]? TryRead(string key, string extension)
    {
        string? path = PathOf(key, extension);
        try
        {
            if (path is not null && File.Exists(path))
            {
                byte[] bytes = File.ReadAllBytes(path);
                if (bytes.Length > 0)
                {
                    Interlocked.Increment(ref _hits);
                    return bytes;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable entry is a miss; the program is compiled from source instead.
        }
        Interlocked.Increment(ref _misses);
        return null;
    }

    /// <summary>Records that an entry read by <see cref="TryRead"/> was refused by the driver (stale or
    /// corrupt): it counts as a miss, and the fresh build overwrites it.</summary>
    internal void Reject()
    {
        Interlocked.Decrement(ref _hits);
        Interlocked.Increment(ref _misses);
    }

    /// <summary>Stores an entry; written to a temporary file and renamed, so concurrent processes never read
    /// half an entry. Failures are ignored: the cache is an optimisation, not a requirement.</summary>
    /// <param name="key">From <see cref="Key"/>.</param>
    /// <param name="extension">File extension without the dot.</param>
    /// <param name="bytes">The compiled program.</param>
    internal void Write(string key, string extension, ReadOnlySpan<byte> bytes)
    {
        string? path = PathOf(key, extension);
        if (path is null || bytes.IsEmpty) return;
        string temporary = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
        try
        {
            System.IO.Directory.CreateDirectory(Directory!);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
                stream.Write(bytes);
            File.Move(temporary, path, overwrite: true);
            Interlocked.Increment(ref _writes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
