using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;
using static Gpt.Sdk.Tests.Embeddings.VectorStoreFixtures;

namespace Gpt.Sdk.Tests.Embeddings;

public class FlatVectorStoreInputTests
{
    [Fact]
    public async Task A_query_of_the_wrong_dimension_or_with_NaN_is_refused_with_what_is_wrong()
    {
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(10, seed: 30));
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(collection, new float[Dimensions + 1], 3));
        Assert.Contains($"{Dimensions + 1} dimensions", wrong.Message);
        Assert.Contains($"have {Dimensions}", wrong.Message);

        float[] nan = Vector(new Random(1));
        nan[5] = float.NaN;
        Assert.Contains("index 5", (await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(collection, nan, 3))).Message);
        float[] infinite = Vector(new Random(1));
        infinite[0] = float.PositiveInfinity;
        await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(collection, infinite, 3));
        Assert.Contains("all zeros", (await Assert.ThrowsAsync<ArgumentException>(() => SearchAsync(collection, new float[Dimensions], 3))).Message);
        var batchError = await Assert.ThrowsAsync<ArgumentException>(() => collection.SearchBatchAsync([Vector(new Random(2)), new float[3]], 3));
        Assert.Contains("Query vector 1", batchError.Message);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => SearchAsync(collection, Vector(new Random(1)), 0));
        await Assert.ThrowsAsync<NotSupportedException>(async () =>
        {
            await foreach (var _ in collection.SearchAsync("text, but no embedding generator", 3)) { }
        });
    }

    [Fact]
    public async Task A_record_with_a_bad_vector_is_refused_and_nothing_of_its_batch_is_stored()
    {
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(10, seed: 31));
        var batch = Passages(5, seed: 32).Select(p => { p.Id += 100; return p; }).ToList();
        batch[3].Vector = new float[Dimensions - 1];
        var wrong = await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch));
        Assert.Contains("record '103'", wrong.Message);
        Assert.Equal(10, collection.Count);

        batch[3].Vector = Enumerable.Repeat(float.NaN, Dimensions).ToArray();
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch));
        batch[3].Vector = new float[Dimensions];
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch)); // zero vector: no cosine
        batch[3].Vector = ReadOnlyMemory<float>.Empty;
        await Assert.ThrowsAsync<ArgumentException>(() => collection.UpsertAsync(batch));
        Assert.Equal(10, collection.Count);
        await Assert.ThrowsAsync<ArgumentNullException>(() => collection.UpsertAsync((Passage)null!));
    }

    [Fact]
    public void Unsupported_distance_functions_and_record_shapes_are_refused_when_the_collection_is_made()
    {
        var store = new FlatVectorStore();
        var hamming = Assert.Throws<NotSupportedException>(() => store.GetCollection<int, Passage>("h", Definition(DistanceFunction.HammingDistance)));
        Assert.Contains("CosineSimilarity", hamming.Message);
        // No vector property: nothing to search by.
        Assert.ThrowsAny<Exception>(() => store.GetDynamicCollection("v", new VectorStoreCollectionDefinition
        {
            Properties = [new VectorStoreKeyProperty("Id", typeof(int)), new VectorStoreDataProperty("Category", typeof(string))],
        }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FlatVectorStore(new FlatVectorStoreOptions { MaxDegreeOfParallelism = 0 }));
        Assert.Throws<ArgumentException>(() => store.GetCollection<int, Passage>(" "));
    }

    [Fact]
    public async Task Concurrent_upserts_deletes_and_searches_never_see_a_half_written_record()
    {
        var passages = Passages(20_000, seed: 33);
        var collection = await CollectionAsync(DistanceFunction.DotProductSimilarity, passages, threads: 2);
        // Fixed work for the writers; the readers search until the writers are done. (No timer: these loops never
        // yield their threads, and a timer's callback could wait a long time for one.)
        const int Rounds = 150;
        int searches = 0, writes = 0, writersLeft = 2;

        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            var random = new Random(100 + w);
            for (int round = 0; round < Rounds; round++)
            {
                await Task.Yield(); // let other work have this pool thread now and then
                // Each record's Year is a checksum of its vector, so a reader can tell a torn record.
                var batch = Enumerable.Range(0, 50).Select(_ =>
                {
                    float[] v = Vector(random);
                    return new Passage { Id = random.Next(30_000), Category = "w", Year = Checksum(v), Vector = v };
                }).ToList();
                await collection.UpsertAsync(batch);
                await collection.DeleteAsync(Enumerable.Range(0, 10).Select(_ => random.Next(30_000)));
                Interlocked.Increment(ref writes);
            }
            Interlocked.Decrement(ref writersLeft);
        })).ToArray();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(async () =>
        {
            var random = new Random(200 + r);
            while (Volatile.Read(ref writersLeft) > 0)
            {
                await Task.Yield();
                float[] query = Vector(random);
                var results = await SearchAsync(collection, query, 10, new VectorSearchOptions<Passage> { IncludeVectors = true, Filter = p => p.Category == "w" });
                for (int i = 0; i < results.Count; i++)
                {
                    var p = results[i].Record;
                    Assert.Equal(Checksum(p.Vector.Span), p.Year);
                    Assert.Equal(Score(p.Vector.Span, query, DistanceFunction.DotProductSimilarity), results[i].Score!.Value, 1e-4);
                    if (i > 0) Assert.True(results[i].Score <= results[i - 1].Score);
                }
                Interlocked.Increment(ref searches);
            }
        })).ToArray();
        await Task.WhenAll(writers.Concat(readers));
       
        Assert.Equal(2 * Rounds, writes);
        Assert.True(searches > 0, "no search ran while the writers wrote");

        // After the storm, the collection is still exactly searchable.
        var all = new List<Passage>();
        await foreach (var p in collection.GetAsync(p => p.Id >= 0, int.MaxValue, new FilteredRecordRetrievalOptions<Passage> { IncludeVectors = true })) all.Add(p);
        Assert.Equal(collection.Count, all.Count);
        float[] last = Vector(new Random(34));
        AssertSame(BruteForce(all, last, DistanceFunction.DotProductSimilarity, 10), await SearchAsync(collection, last, 10));
    }

    private static int Checksum(ReadOnlySpan<float> vector)
    {
        int hash = 17;
        foreach (float x in vector) hash = hash * 31 + BitConverter.SingleToInt32Bits(x);
        return hash;
    }
}
