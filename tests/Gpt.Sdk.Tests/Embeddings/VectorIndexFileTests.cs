using System.Diagnostics;
using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;
using static Gpt.Sdk.Tests.Embeddings.VectorStoreFixtures;

namespace Gpt.Sdk.Tests.Embeddings;

public sealed class VectorIndexFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-vector-index-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_saved_collection_loads_back_with_the_same_records_and_search_results()
    {
        var passages = Passages(2500, seed: 20);
        var original = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        await original.DeleteAsync(7);
        string path = Path.Combine(_folder, "passages.gptvec");
        long reported = 0;
        await original.SaveAsync(path, new SyncProgress<long>(bytes => reported = bytes));
        Assert.Equal(new FileInfo(path).Length, reported);

        var info = VectorIndexFile.ReadInfo(path);
        Assert.Equal(("passages", 2499, Dimensions, DistanceFunction.CosineSimilarity), (info.Collection, info.Count, info.Dimensions, info.DistanceFunction));
        Assert.Equal(new VectorIndexProperty("Id", "System.Int32"), info.Key);
        Assert.Equal(["Category", "Archived", "Year"], info.Data.Select(p => p.Name));

        var restored = new FlatVectorStore().GetCollection<int, Passage>("passages", Definition(DistanceFunction.CosineSimilarity));
        await restored.LoadAsync(path);
        Assert.Equal(2499, restored.Count);
        Assert.Null(await restored.GetAsync(7));
        var record = await restored.GetAsync(8, new RecordRetrievalOptions { IncludeVectors = true });
        Assert.NotNull(record);
        Assert.Equal(passages[8].Vector.ToArray(), record.Vector.ToArray());
        Assert.Equal((passages[8].Category, passages[8].Archived, passages[8].Year), (record.Category, record.Archived, record.Year));
        float[] query = Vector(new Random(21));
        var before = await SearchAsync(original, query, 10);
        var after = await SearchAsync(restored, query, 10);
        Assert.Equal(before.Select(r => (r.Record.Id, r.Score)), after.Select(r => (r.Record.Id, r.Score)));
    }

    [Fact]
    public async Task An_index_loads_into_a_dynamic_collection_from_the_definition_its_header_gives()
    {
        var passages = Passages(50, seed: 22);
        var original = await CollectionAsync(DistanceFunction.DotProductSimilarity, passages);
        string path = Path.Combine(_folder, "dynamic.gptvec");
        await original.SaveAsync(path);

        var info = VectorIndexFile.ReadInfo(path);
        var dynamic = new FlatVectorStore().GetDynamicCollection(info.Collection, info.ToDefinition());
        await dynamic.LoadAsync(path);
        float[] query = Vector(new Random(23));
        var results = new List<VectorSearchResult<Dictionary<string, object?>>>();
        await foreach (var r in dynamic.SearchAsync(query, 5, new VectorSearchOptions<Dictionary<string, object?>> { Filter = r => (bool)r["Archived"]! == false })) results.Add(r);
        var expected = BruteForce(passages, query, DistanceFunction.DotProductSimilarity, 5, p => !p.Archived);
        Assert.Equal(expected.Select(e => e.Id), results.Select(r => (int)r.Record["Id"]!));
        Assert.Equal(passages[expected[0].Id].Category, results[0].Record["Category"]);
    }

    [Fact]
    public async Task A_damaged_truncated_or_foreign_file_is_a_clear_error_never_a_crash()
    {
        var original = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(300, seed: 24));
        string path = Path.Combine(_folder, "good.gptvec");
        await original.SaveAsync(path);
        byte[] good = await File.ReadAllBytesAsync(path);
        var target = new FlatVectorStore().GetCollection<int, Passage>("passages", Definition(DistanceFunction.CosineSimilarity));

        async Task<InvalidDataException> Refused(byte[] content)
        {
            string bad = Path.Combine(_folder, "bad.gptvec");
            await File.WriteAllBytesAsync(bad, content);
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => target.LoadAsync(bad));
            Assert.Contains(bad, error.Message);
            return error;
        }

        // A flipped bit in a vector, in a record's data, and in the header.
        foreach (int offset in new[] { 2000, good.Length - 100, 30 })
        {
            byte[] flipped = (byte[])good.Clone();
            flipped[offset] ^= 0x10;
            await Refused(flipped);
        }
        Assert.Contains("truncated", (await Refused(good[..(good.Length / 2)])).Message);
        // Every length a crash could have left: always the same kind of error.
        for (int length = 0; length < good.Length; length += 997) await Refused(good[..length]);
        Assert.Contains("other kind of file", (await Refused("not an index at all, just some text padding it out to length"u8.ToArray())).Message);
        byte[] future = (byte[])good.Clone();
        future[8] = 9;
        Assert.Contains("version 9", (await Refused(future)).Message);

        Assert.Equal(0, target.Count); // nothing half-loaded
        await Assert.ThrowsAsync<FileNotFoundException>(() => target.LoadAsync(Path.Combine(_folder, "missing.gptvec")));
        var otherShape = new FlatVectorStore().GetCollection<int, Passage>("passages", Definition(DistanceFunction.DotProductSimilarity));
        var mismatch = await Assert.ThrowsAsync<InvalidOperationException>(() => otherShape.LoadAsync(path));
        Assert.Contains("CosineSimilarity", mismatch.Message);
    }

    [Fact]
    public async Task A_process_killed_in_the_middle_of_a_save_leaves_the_previous_file_intact()
    {
        string path = Path.Combine(_folder, "killed.gptvec");
        var previous = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(1000, seed: 25));
        await previous.SaveAsync(path);
        byte[] before = await File.ReadAllBytesAsync(path);

        // The child builds another collection and starts saving it over the same file; it stops in the middle
        // (its progress callback blocks after the first block is written) and says so, and is then killed.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "exec", typeof(VectorIndexFileTests).Assembly.Location, SaveHelper.Command, path, "200000" })
            start.ArgumentList.Add(arg);
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        string? line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(line == SaveHelper.Saving, $"The save helper said '{line}'; stderr: {(child.HasExited ? await stderr : "")}");
        var partial = Directory.GetFiles(_folder, ".killed.gptvec.*.tmp");
        Assert.Single(partial);
        Assert.True(new FileInfo(partial[0]).Length > 0);
        child.Kill(entireProcessTree: true);
        await child.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        var restored = new FlatVectorStore().GetCollection<int, Passage>("passages", Definition(DistanceFunction.CosineSimilarity));
        await restored.LoadAsync(path);
        Assert.Equal(1000, restored.Count);
    }

    [Fact]
    public async Task A_cancelled_save_leaves_the_previous_file_and_no_temporary_file()
    {
        string path = Path.Combine(_folder, "cancelled.gptvec");
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(100, seed: 26));
        await collection.SaveAsync(path);
        byte[] before = await File.ReadAllBytesAsync(path);
        await collection.UpsertAsync(Passages(50_000, seed: 27));
        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collection.SaveAsync(path, new SyncProgress<long>(_ => cancel.Cancel()), cancel.Token));
        Assert.Equal(before, await File.ReadAllBytesAsync(path));
        Assert.Single(Directory.GetFiles(_folder));
    }
}
