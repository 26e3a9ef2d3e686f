using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Retrieval;

public sealed class RetrievalAugmentedGenerationTests
{
    private static readonly CharTokenizer s_chars = new(new string(Enumerable.Range(32, 95).Select(c => (char)c).Append('\n').ToArray()));

    private static async Task<(FlatVectorCollection<string, ChunkRecord> Collection, RetrievalFixtures.BagOfWordsGenerator Embeddings, IndexingResult Result, List<IndexingProgress> Reports)> Indexed(
        int chunkTokens = 60, int overlap = 10, int batch = 4)
    {
        var collection = new FlatVectorStore().GetCollection<string, ChunkRecord>("docs", ChunkRecord.CreateDefinition(RetrievalFixtures.Dimensions));
        var embeddings = new RetrievalFixtures.BagOfWordsGenerator();
        var indexer = new DocumentIndexer(collection, embeddings,
            new TextChunker(s_chars, new TextChunkerOptions { MaxTokens = chunkTokens, OverlapTokens = overlap }), batch);
        var reports = new List<IndexingProgress>();
        var result = await indexer.IndexAsync(
            RetrievalFixtures.Documents.Select((text, i) => new SourceDocument(new[] { "volcano", "bees", "trains" }[i], text)),
            new SyncProgress<IndexingProgress>(reports.Add));
        return (collection, embeddings, result, reports);
    }

    [Fact]
    public async Task Indexing_stores_every_chunk_in_batches_and_retrieval_ranks_the_chunk_that_answers_first()
    {
        var (collection, embeddings, result, reports) = await Indexed();
        var expected = RetrievalFixtures.Documents.SelectMany(d => new TextChunker(s_chars, new TextChunkerOptions { MaxTokens = 60, OverlapTokens = 10 }).Chunk("d", d)).ToList();
        int expectedChunks = expected.Count;
        Assert.Equal((3, expectedChunks), (result.Documents, result.Chunks));
        Assert.Equal(expectedChunks, collection.Count);
        Assert.All(embeddings.CallSizes, size => Assert.InRange(size, 1, 4));
        Assert.Equal(expectedChunks, embeddings.CallSizes.Sum());
        Assert.Equal(expectedChunks, reports[^1].ChunksStored);
        Assert.Equal(expected.Sum(c => (long)c.Text.Length), result.Tokens); // the fake reports characters as tokens
        Assert.Equal(result.Tokens, reports[^1].Tokens);
        Assert.Equal(3, reports[^1].Documents);

        var stored = await collection.GetAsync(ChunkRecord.KeyOf("bees", 0));
        Assert.NotNull(stored);
        Assert.Equal(("bees", 0), (stored.Document, stored.Index));
        Assert.StartsWith("Bees collect nectar", stored.Text);

        var retriever = new Retriever(collection, embeddings);
        var hits = await retriever.RetrieveAsync("which bee lays the eggs in the colony", top: 3);
        Assert.Equal(3, hits.Count);
        Assert.Equal("bees", hits[0].DocumentId);
        Assert.Contains("queen bee lays the eggs", hits[0].Text);
        Assert.True(hits[0].Score > hits[1].Score && hits[1].Score >= hits[2].Score);
        // The score is the cosine of the two bag-of-words vectors, computed here independently.
        float[] query = RetrievalFixtures.Embed("which bee lays the eggs in the colony"), best = RetrievalFixtures.Embed(hits[0].Text);
        Assert.Equal(query.Zip(best).Sum(p => (double)p.First * p.Second), hits[0].Score, 5);

        var lava = await retriever.RetrieveAsync("lava cools into basalt rock", top: 1);
        Assert.Equal("volcano", lava[0].DocumentId);
    }

    [Fact]
    public async Task Bad_documents_are_refused_and_cancellation_stops_indexing()
    {
        var collection = new FlatVectorStore().GetCollection<string, ChunkRecord>("docs", ChunkRecord.CreateDefinition(RetrievalFixtures.Dimensions));
        var indexer = new DocumentIndexer(collection, new RetrievalFixtures.BagOfWordsGenerator(), new TextChunker(s_chars));
        Assert.Contains("appears twice", (await Assert.ThrowsAsync<ArgumentException>(() =>
            indexer.IndexAsync([new SourceDocument("a", "one"), new SourceDocument("a", "two")]))).Message);
        Assert.Contains("has no text", (await Assert.ThrowsAsync<ArgumentException>(() => indexer.IndexAsync([new SourceDocument("a", " ")]))).Message);
        Assert.Contains("no id", (await Assert.ThrowsAsync<ArgumentException>(() => indexer.IndexAsync([new SourceDocument("", "text")]))).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DocumentIndexer(collection, new RetrievalFixtures.BagOfWordsGenerator(), new TextChunker(s_chars), 0));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => indexer.IndexAsync([new SourceDocument("b", "text")], null, cancelled.Token));

        var retriever = new Retriever(collection, new RetrievalFixtures.BagOfWordsGenerator());
        await Assert.ThrowsAsync<ArgumentException>(() => retriever.RetrieveAsync(" ", 2));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => retriever.RetrieveAsync("bees", 0));
    }

    [Fact]
    public async Task A_query_embedded_by_a_model_of_another_width_is_refused()
    {
        var (collection, _, _, _) = await Indexed();
        var other = new Retriever(collection, new WideGenerator());
        var error = await Assert.ThrowsAsync<ArgumentException>(() => other.RetrieveAsync("bees", 1));
        Assert.Contains(RetrievalFixtures.Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message);
    }

    [Theory]
    [InlineData("Bees make honey [2].", 3, new[] { 2 })]
    [InlineData("See [3][1] and [1, 2] again [3].", 3, new[] { 3, 1, 2 })]
    [InlineData("Out of range [4] and [0] and [ 2 ].", 3, new[] { 2 })]
    [InlineData("No markers here, only [a] and 1.", 3, new int[0])]
    public void Citations_parse_the_markers_an_answer_uses(string answer, int sources, int[] expected) =>
        Assert.Equal(expected, Citations.Parse(answer, sources));

    [Fact]
    public async Task Answers_lay_the_numbered_sources_out_in_the_chat_template_and_drop_the_farthest_that_do_not_fit()
    {
        var (collection, embeddings, _, _) = await Indexed();
        var retriever = new Retriever(collection, embeddings);
        var config = new GptConfig { VocabularySize = s_chars.VocabularySize, ContextLength = 512, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        using var model = new GptModel(config, seed: 5);
        var generator = new Generator(model, s_chars);
        var rag = new RetrievalAugmentedGenerator(retriever, generator, new RagOptions { Top = 3, Generation = new GenerationOptions { Temperature = 0, MaxTokens = 8 } });

        var answer = await rag.AnswerAsync("which bee lays the eggs?");
        Assert.Equal(3, answer.Sources.Count);
        Assert.Equal("bees", answer.Sources[0].DocumentId);
        Assert.InRange(answer.Generation.Usage.CompletionTokens, 1, 8);
        Assert.Equal(Citations.Parse(answer.Text, 3), answer.CitedNumbers);
        Assert.Equal(answer.CitedNumbers.Select(n => answer.Sources[n - 1]), answer.Cited);

        var conversation = rag.Conversation("which bee lays the eggs?", answer.Sources);
        Assert.Equal([ChatSpeaker.System, ChatSpeaker.User], conversation.Select(t => t.Speaker));
        string user = conversation[1].Text;
        Assert.StartsWith($"Sources:\n[1] (bees, chunk {answer.Sources[0].ChunkIndex})\n{answer.Sources[0].Text.Trim()}\n\n[2] (", user);
        Assert.EndsWith("Question: which bee lays the eggs?", user);
        Assert.True(user.IndexOf("[2]", StringComparison.Ordinal) < user.IndexOf("[3]", StringComparison.Ordinal));

        // A context that holds the question, the answer and one or two chunks: the farthest chunks are left out.
        int oneSource = generator.ChatTemplate.Encode(s_chars, rag.Conversation("which bee lays the eggs?", answer.Sources.Take(1).ToArray())).Tokens.Length;
        using var small = new GptModel(config with { ContextLength = oneSource + 8 + 20 }, seed: 5);
        var tight = new RetrievalAugmentedGenerator(retriever, new Generator(small, s_chars), rag.Options);
        var fewer = await tight.AnswerAsync("which bee lays the eggs?");
        Assert.Single(fewer.Sources);
        Assert.Equal(answer.Sources[0], fewer.Sources[0]);

        using var tiny = new GptModel(config with { ContextLength = oneSource - 10 }, seed: 5);
        var none = new RetrievalAugmentedGenerator(retriever, new Generator(tiny, s_chars), rag.Options);
        Assert.Contains("index smaller chunks", (await Assert.ThrowsAsync<InvalidOperationException>(() => none.AnswerAsync("which bee lays the eggs?"))).Message);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => rag.AnswerAsync("bees?", cancelled.Token));
        Assert.Throws<ArgumentException>(() => new RetrievalAugmentedGenerator(retriever, generator, new RagOptions { Top = 0 }));
    }

    private sealed class WideGenerator : Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>
    {
        public Task<Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>> GenerateAsync(IEnumerable<string> values,
            Microsoft.Extensions.AI.EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new Microsoft.Extensions.AI.GeneratedEmbeddings<Microsoft.Extensions.AI.Embedding<float>>(
                values.Select(_ => new Microsoft.Extensions.AI.Embedding<float>(Enumerable.Repeat(0.1f, RetrievalFixtures.Dimensions + 3).ToArray()))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
