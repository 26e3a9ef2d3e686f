using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;
using static Gpt.Sdk.Tests.Embeddings.VectorStoreFixtures;

namespace Gpt.Sdk.Tests.Embeddings;

public class FlatVectorCollectionTests
{
    public static TheoryData<string> Functions() => new(DistanceFunctions);

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Search_returns_the_exact_top_k_of_a_brute_force_reference(string distanceFunction)
    {
        var passages = Passages(3000, seed: 1);
        var collection = await CollectionAsync(distanceFunction, passages);
        var random = new Random(2);
        for (int q = 0; q < 5; q++)
        {
            float[] query = Vector(random);
            AssertSame(BruteForce(passages, query, distanceFunction, 10), await SearchAsync(collection, query, 10));
        }
    }

    [Fact]
    public async Task A_large_collection_searched_on_several_threads_gives_the_single_thread_results_exactly()
    {
        // 40,000 rows: above the parallel threshold and several chunks, the last one partly filled with a tail of rows.
        var passages = Passages(40_003, seed: 3);
        var parallel = await CollectionAsync(DistanceFunction.DotProductSimilarity, passages, threads: 4);
        var serial = await CollectionAsync(DistanceFunction.DotProductSimilarity, passages, threads: 1);
        var random = new Random(4);
        for (int q = 0; q < 3; q++)
        {
            float[] query = Vector(random);
            var expected = await SearchAsync(serial, query, 10);
            var actual = await SearchAsync(parallel, query, 10);
            Assert.Equal(expected.Select(r => (r.Record.Id, r.Score)), actual.Select(r => (r.Record.Id, r.Score)));
            AssertSame(BruteForce(passages, query, DistanceFunction.DotProductSimilarity, 10), actual);
        }
    }

    [Theory]
    [InlineData(DistanceFunction.CosineSimilarity)]
    [InlineData(DistanceFunction.EuclideanDistance)]
    public async Task A_batch_of_queries_gives_each_query_its_single_search_results_exactly(string distanceFunction)
    {
        var passages = Passages(20_000, seed: 5);
        var collection = await CollectionAsync(distanceFunction, passages, threads: 2);
        var random = new Random(6);
        // 7 queries: one block of 4 through the 4 x 4 tile, 3 through the 1 x 4 tile.
        var queries = Enumerable.Range(0, 7).Select(_ => Vector(random)).ToArray();
        var batch = await collection.SearchBatchAsync(queries.Select(q => (ReadOnlyMemory<float>)q).ToArray(), 10);
        Assert.Equal(queries.Length, batch.Count);
        for (int q = 0; q < queries.Length; q++)
        {
            var single = await SearchAsync(collection, queries[q], 10);
            Assert.Equal(single.Select(r => (r.Record.Id, r.Score)), batch[q].Select(r => (r.Record.Id, r.Score)));
            AssertSame(BruteForce(passages, queries[q], distanceFunction, 10), batch[q]);
        }
    }

    [Fact]
    public async Task Filters_on_data_properties_equal_the_reference_filtered_the_same_way()
    {
        var passages = Passages(3000, seed: 7);
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        float[] query = Vector(new Random(8));
        string wanted = "science";
        int since = 2010;

        await Check(p => p.Category == "news", p => p.Category == "news");
        await Check(p => p.Category == wanted && !p.Archived, p => p.Category == wanted && !p.Archived);
        await Check(p => p.Category == "art" || p.Year >= since, p => p.Category == "art" || p.Year >= since);
        await Check(p => p.Archived, p => p.Archived);
        await Check(p => p.Year != 2005 && p.Year < 2020 && p.Id > 100, p => p.Year != 2005 && p.Year < 2020 && p.Id > 100);
        await Check(p => p.Category == "none", p => false);

        async Task Check(System.Linq.Expressions.Expression<Func<Passage, bool>> filter, Func<Passage, bool> reference)
        {
            var results = await SearchAsync(collection, query, 10, new VectorSearchOptions<Passage> { Filter = filter });
            AssertSame(BruteForce(passages, query, DistanceFunction.CosineSimilarity, 10, reference), results);
        }
    }

    [Fact]
    public async Task A_filter_it_cannot_apply_is_refused_with_a_message_that_names_it()
    {
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, Passages(10, seed: 9));
        var options = new VectorSearchOptions<Passage> { Filter = p => p.Category.StartsWith("n") };
        var error = await Assert.ThrowsAsync<NotSupportedException>(() => SearchAsync(collection, Vector(new Random(1)), 3, options));
        Assert.Contains("StartsWith", error.Message);
        var vectorFilter = new VectorSearchOptions<Passage> { Filter = p => p.Vector.Length == 3 };
        await Assert.ThrowsAsync<NotSupportedException>(() => SearchAsync(collection, Vector(new Random(1)), 3, vectorFilter));
    }

    [Fact]
    public async Task Upserting_an_existing_key_replaces_its_vector_and_data()
    {
        var passages = Passages(500, seed: 10);
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        float[] query = Vector(new Random(11));
        var replacement = new Passage { Id = 42, Category = "replaced", Year = 1999, Vector = query };
        await collection.UpsertAsync(replacement);

        Assert.Equal(500, collection.Count);
        var stored = await collection.GetAsync(42);
        Assert.NotNull(stored);
        Assert.Equal(("replaced", 1999), (stored.Category, stored.Year));
        var results = await SearchAsync(collection, query, 10);
        Assert.Equal(42, results[0].Record.Id);
        Assert.Equal(1.0, results[0].Score!.Value, 1e-6);
        passages[42] = replacement;
        AssertSame(BruteForce(passages, query, DistanceFunction.CosineSimilarity, 10), results);
    }

    [Fact]
    public async Task Deleted_records_are_gone_from_gets_and_searches_and_the_rest_still_search_exactly()
    {
        var passages = Passages(5000, seed: 12);
        var collection = await CollectionAsync(DistanceFunction.DotProductSimilarity, passages);
        var deleted = passages.Where(p => p.Id % 3 == 0).Select(p => p.Id).ToList();
        await collection.DeleteAsync(deleted.Take(10).ToList()[0]);
        await collection.DeleteAsync(deleted.Skip(1));
        await collection.DeleteAsync(123_456); // absent: ignored

        var remaining = passages.Where(p => p.Id % 3 != 0).ToList();
        Assert.Equal(remaining.Count, collection.Count);
        Assert.Null(await collection.GetAsync(3));
        Assert.NotNull(await collection.GetAsync(4));
        var random = new Random(13);
        for (int q = 0; q < 3; q++)
        {
            float[] query = Vector(random);
            AssertSame(BruteForce(remaining, query, DistanceFunction.DotProductSimilarity, 20), await SearchAsync(collection, query, 20));
        }
    }

    [Fact]
    public async Task Get_returns_new_records_with_vectors_only_when_asked()
    {
        var passages = Passages(20, seed: 14);
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        var without = await collection.GetAsync(5);
        var with = await collection.GetAsync(5, new RecordRetrievalOptions { IncludeVectors = true });
        Assert.NotNull(without);
        Assert.NotNull(with);
        Assert.NotSame(passages[5], with);
        Assert.True(without.Vector.IsEmpty);
        Assert.Equal(passages[5].Vector.ToArray(), with.Vector.ToArray());
        Assert.Equal((passages[5].Category, passages[5].Archived, passages[5].Year), (with.Category, with.Archived, with.Year));

        var several = new List<int>();
        await foreach (var p in collection.GetAsync([3, 99, 7])) several.Add(p.Id);
        Assert.Equal([3, 7], several);
    }

    [Fact]
    public async Task A_top_larger_than_the_collection_returns_every_record_once_nearest_first()
    {
        var passages = Passages(12, seed: 35);
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        float[] query = Vector(new Random(36));
        AssertSame(BruteForce(passages, query, DistanceFunction.CosineSimilarity, 12), await SearchAsync(collection, query, int.MaxValue));
        var empty = new FlatVectorStore().GetCollection<int, Passage>("empty");
        await empty.EnsureCollectionExistsAsync();
        Assert.Empty(await SearchAsync(empty, query, 5));
    }

    [Fact]
    public async Task Get_by_filter_orders_skips_and_takes()
    {
        var passages = Passages(300, seed: 15);
        var collection = await CollectionAsync(DistanceFunction.CosineSimilarity, passages);
        var found = new List<int>();
        var options = new FilteredRecordRetrievalOptions<Passage> { Skip = 2, OrderBy = o => o.Descending(p => p.Year).Ascending(p => p.Id) };
        await foreach (var p in collection.GetAsync(p => p.Category == "sport", 5, options)) found.Add(p.Id);
        var expected = passages.Where(p => p.Category == "sport").OrderByDescending(p => p.Year).ThenBy(p => p.Id).Skip(2).Take(5).Select(p => p.Id);
        Assert.Equal(expected, found);
    }

    [Fact]
    public async Task Skip_and_score_threshold_page_and_cut_the_results()
    {
        var passages = Passages(1000, seed: 16);
        var collection = await CollectionAsync(DistanceFunction.EuclideanDistance, passages);
        float[] query = Vector(new Random(17));
        var reference = BruteForce(passages, query, DistanceFunction.EuclideanDistance, 15);
        var page = await SearchAsync(collection, query, 5, new VectorSearchOptions<Passage> { Skip = 10 });
        AssertSame(reference.Skip(10).ToList(), page);
        double threshold = (reference[3].Score + reference[4].Score) / 2; // a distance: keep scores at or below it
        var cut = await SearchAsync(collection, query, 10, new VectorSearchOptions<Passage> { ScoreThreshold = threshold });
        AssertSame(reference.Take(4).ToList(), cut);
    }

    [Fact]
    public async Task Collections_of_one_name_in_a_store_share_their_records_and_a_deleted_collection_refuses_use()
    {
        var store = new FlatVectorStore();
        var first = store.GetCollection<int, Passage>("shared");
        Assert.False(await first.CollectionExistsAsync());
        await first.EnsureCollectionExistsAsync();
        await first.UpsertAsync(Passages(3, seed: 18));
        var second = store.GetCollection<int, Passage>("shared");
        Assert.Equal(3, second.Count);
        var names = new List<string>();
        await foreach (var name in store.ListCollectionNamesAsync()) names.Add(name);
        Assert.Equal(["shared"], names);

        await store.EnsureCollectionDeletedAsync("shared");
        var error = await Assert.ThrowsAsync<VectorStoreException>(() => second.UpsertAsync(Passages(1, seed: 19)));
        Assert.Contains("EnsureCollectionExistsAsync", error.Message);
        Assert.Throws<InvalidOperationException>(() =>
        {
            store.GetCollection<int, Passage>("other", Definition(DistanceFunction.CosineSimilarity)).EnsureCollectionExistsAsync().GetAwaiter().GetResult();
            store.GetCollection<int, Passage>("other", Definition(DistanceFunction.DotProductSimilarity));
        });
    }

    [Fact]
    public async Task A_text_vector_property_is_embedded_by_the_configured_generator_on_upsert_and_search()
    {
        var generator = new HashingEmbeddingGenerator(16);
        var store = new FlatVectorStore(new FlatVectorStoreOptions { EmbeddingGenerator = generator });
        var collection = store.GetCollection<string, Note>("notes");
        await collection.EnsureCollectionExistsAsync();
        string[] texts = ["the cat sat", "a dog barked", "rain in spain", "stock prices fell", "the cat slept"];
        await collection.UpsertAsync(texts.Select(t => new Note { Id = t, Text = t, Body = t }));
        var results = new List<VectorSearchResult<Note>>();
        await foreach (var r in collection.SearchAsync("rain in spain", 2)) results.Add(r);
        Assert.Equal("rain in spain", results[0].Record.Id);
        Assert.Equal(1.0, results[0].Score!.Value, 1e-6);
        Assert.True(generator.Calls >= 2);
        await Assert.ThrowsAsync<NotSupportedException>(() => collection.GetAsync("the cat sat", new RecordRetrievalOptions { IncludeVectors = true }));
    }
}
