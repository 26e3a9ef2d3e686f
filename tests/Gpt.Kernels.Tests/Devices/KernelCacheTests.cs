using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests.Devices;

/// <summary>The on-disk program cache on its own: keys, hits, misses, atomic writes, the disabled cache.</summary>
public sealed class KernelCacheTests
{
    [Fact]
    public void KeysDependOnEveryPartAndItsBoundaries()
    {
        string key = KernelCache.Key("opencl", "source", "device", "driver 1");
        Assert.Equal(64, key.Length);
        Assert.Equal(key, KernelCache.Key("opencl", "source", "device", "driver 1"));
        Assert.NotEqual(key, KernelCache.Key("opencl", "source", "device", "driver 2"));
        Assert.NotEqual(key, KernelCache.Key("cuda", "source", "device", "driver 1"));
        Assert.NotEqual(KernelCache.Key("ab", "c"), KernelCache.Key("a", "bc"));
    }

    [Fact]
    public void WriteThenReadCountsHitsAndMisses()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"gpt-kernel-cache-test-{Guid.NewGuid():N}");
        try
        {
            var cache = new KernelCache(folder);
            string key = KernelCache.Key("test", "program");
            Assert.Null(cache.TryRead(key, "bin"));
            cache.Write(key, "bin", [1, 2, 3]);
            Assert.Equal([1, 2, 3], cache.TryRead(key, "bin"));
            Assert.Null(cache.TryRead(key, "other"));
            Assert.Equal((1L, 2L, 1L), (cache.Hits, cache.Misses, cache.Writes));
            Assert.Equal([Path.Combine(Path.GetFullPath(folder), key + ".bin")], Directory.GetFiles(folder));
            cache.Reject();
            Assert.Equal((0L, 3L), (cache.Hits, cache.Misses));
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void DisabledCacheStoresNothing()
    {
        var cache = new KernelCache(null);
        string key = KernelCache.Key("test");
        cache.Write(key, "bin", [1]);
        Assert.Null(cache.TryRead(key, "bin"));
        Assert.Null(cache.PathOf(key, "bin"));
        Assert.Equal((0L, 1L, 0L), (cache.Hits, cache.Misses, cache.Writes));
        Assert.Throws<ArgumentException>(() => new KernelCache(""));
    }

    [Fact]
    public void UnwritableFolderIsIgnored()
    {
        string file = Path.GetTempFileName();
        try
        {
            // A folder path beneath a regular file can never be created.
            var cache = new KernelCache(Path.Combine(file, "kernels"));
            cache.Write(KernelCache.Key("test"), "bin", [1]);
            Assert.Equal(0, cache.Writes);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void DefaultFolderFollowsTheEnvironment()
    {
        Assert.Equal("/tmp/k", KernelCache.DirectoryFrom(Variables(("GPT_KERNEL_CACHE", "/tmp/k"), ("XDG_CACHE_HOME", "/x"))));
        Assert.Null(KernelCache.DirectoryFrom(Variables(("GPT_KERNEL_CACHE", "off"))));
        Assert.Equal(Path.Combine("/x", "gpt-sdk", "kernels"), KernelCache.DirectoryFrom(Variables(("XDG_CACHE_HOME", "/x"))));
        string home = KernelCache.DirectoryFrom(Variables())!;
        Assert.EndsWith(Path.Combine("gpt-sdk", "kernels"), home);
    }

    private static Func<string, string?> Variables(params (string Name, string Value)[] variables) =>
        name => variables.FirstOrDefault(v => v.Name == name).Value;
}
