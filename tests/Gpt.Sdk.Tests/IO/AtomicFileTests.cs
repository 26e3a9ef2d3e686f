using System.Text;
using Gpt.Sdk.IO;

namespace Gpt.Sdk.Tests.IO;

public class AtomicFileTests
{
    private static void WriteText(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void CreatesThenReplacesTheFileLeavingNothingElse()
    {
        using var folder = new TempFolder();
        string path = folder.File("checkpoint.bin");
        AtomicFile.Write(path, s => WriteText(s, "first"));
        Assert.Equal("first", File.ReadAllText(path));
        AtomicFile.Write(path, s => WriteText(s, "second, longer"));
        Assert.Equal("second, longer", File.ReadAllText(path));
        AtomicFile.Write(path, s => WriteText(s, "3"));
        Assert.Equal("3", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void ExceptionMidWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("checkpoint.bin");
        File.WriteAllText(path, "previous");
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            WriteText(s, new string('x', 200_000)); // past the stream's buffer, so bytes did reach the temporary file
            throw new InvalidOperationException("crash mid-save");
        }));
        Assert.Equal("crash mid-save", error.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));
    }

    [Fact]
    public void ExceptionMidWriteOfANewFileLeavesNoFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("new.bin");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, _ => throw new IOException("disk full")));
        Assert.Empty(Directory.GetFiles(folder.Path));
    }

    [Fact]
    public async Task CancelledAsyncWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = folder.File("checkpoint.bin");
        File.WriteAllText(path, "previous");
        using var cancellation = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (s, ct) =>
        {
            await s.WriteAsync(Encoding.UTF8.GetBytes("partial"), ct);
            cancellation.Cancel();
            ct.ThrowIfCancellationRequested();
        }, cancellation.Token));
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder.Path));

        await AtomicFile.WriteAsync(path, (s, ct) => s.WriteAsync(Encoding.UTF8.GetBytes("async"), ct).AsTask());
        Assert.Equal("async", File.ReadAllText(path));
    }

    [Fact]
    public void MissingFolderIsRefusedNamingIt()
    {
        using var folder = new TempFolder();
        string missing = Path.Combine(folder.Path, "no-such-folder");
        var error = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.Write(Path.Combine(missing, "a.bin"), _ => { }));
        Assert.Contains(missing, error.Message);
        Assert.Contains("create it first", error.Message);
    }

    [Fact]
    public void FolderPathIsRefused()
    {
        using var folder = new TempFolder();
        var error = Assert.Throws<ArgumentException>(() => AtomicFile.Write(folder.Path + Path.DirectorySeparatorChar, _ => { }));
        Assert.Equal("path", error.ParamName);
    }
}
