// Rag: retrieval-augmented generation and map-reduce summarisation, end to end.
//   dotnet run -c Release --project samples/Rag                   # trains a small model on made-up towns (about a minute)
//   dotnet run -c Release --project samples/Rag -- MODEL [HEAD]    # or loads a model folder (a GPT-2) and an embedding head folder
// 1. A model: a small GPT pretrained on the documents, and a copy of it fine-tuned into an embedding model (contrastive,
//    in-batch negatives, end-token pooling); the original writes the answers.
// 2. Index: documents cut into token chunks, embedded in batches, stored in a vector store collection (any VectorData connector).
// 3. Questions: the nearest chunks (printed with their scores), then an answer with them in the prompt, numbered, and its citations.
// 4. Map-reduce: a text longer than the context summarised chunk by chunk, then the summaries summarised.
// A model this small writes poor prose; the point is a real pipeline whose retrieval is right.
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

var documents = KnowledgeBase.Towns.Select(t => new SourceDocument(t.Name, KnowledgeBase.Document(t))).ToList();
GptModel model;
ITokenizer tokenizer;
Embedder embedder;
if (args.Length > 0)
{
    model = GptModel.FromPretrained(args[0]);
    tokenizer = TokenizerFiles.Load(args[0]);
    embedder = Embedder.Load(args[0], args.Length > 1 ? args[1] : null);
    Console.WriteLine($"Loaded {args[0]}: {model.ParameterCount:N0} parameters, context {model.Config.ContextLength}; embeddings of {embedder.Dimension} dimensions.");
}
else
{
    string corpus = string.Join("\n\n", Enumerable.Range(0, 40).SelectMany(_ => documents.Select(d => d.Text)));
    var bpe = BpeTrainer.Train([corpus], new BpeTrainerOptions { VocabularySize = 256 + 200 });
    tokenizer = bpe;
    model = new GptModel(new GptConfig { VocabularySize = bpe.VocabularySize, ContextLength = 256, EmbeddingSize = 64, LayerCount = 2, HeadCount = 4 }, seed: 1);
    using (var data = TokenDataset.FromTokens(bpe.Encode(corpus)))
    using (var trainer = new Trainer(model, data, null, new TrainingOptions { BatchSize = 8, SequenceLength = 128, MaxSteps = 150, LearningRate = 3e-3f, WarmupSteps = 10, EvalInterval = 0 }))
    {
        var pretrained = await trainer.RunAsync();
        Console.WriteLine($"Pretrained a {model.ParameterCount:N0}-parameter GPT on the documents: {pretrained.Steps} steps, loss {pretrained.FinalLoss:F3}, {pretrained.Elapsed.TotalSeconds:F0} s.");
    }

    // End-token pooling (cpt-text) gives the tokenizer two delimiters the model has no rows for, so the run fine-tunes a
    // copy with those rows (the embedder owns it) and the original keeps writing text.
    var pairs = new ContrastiveDataset(KnowledgeBase.Pairs().Select(p => new ContrastiveExample(p.Query, p.Passage)));
    var trained = await ContrastiveTraining.For(model, tokenizer)
        .OnPairs(pairs)
        .WithHead(EmbeddingPooling.EndToken)
        .WithOptions(o => o with { BatchSize = 32, MaxSteps = 250, LearningRate = 2e-3f, WarmupSteps = 10, EvalInterval = 0, Seed = 1 })
        .RunAsync();
    embedder = trained.Embedder;
    Console.WriteLine($"Fine-tuned a copy into an embedding model on {pairs.Count} query/passage pairs: {trained.Training.Steps} steps, loss {trained.Training.FinalLoss:F3}, {trained.Training.Elapsed.TotalSeconds:F0} s.");
}

// 2. Index. FlatVectorStore is in memory; the code below only sees VectorStoreCollection, so a vector database connector fits too.
var collection = new FlatVectorStore().GetCollection<string, ChunkRecord>("towns", ChunkRecord.CreateDefinition(embedder.Dimension));
using var embeddings = new GptEmbeddingGenerator(embedder, "sample-embedder");
var indexer = new DocumentIndexer(collection, embeddings, new TextChunker(tokenizer, new TextChunkerOptions { MaxTokens = 28, OverlapTokens = 4 }), batchSize: 8);
var indexed = await indexer.IndexAsync(documents, new SynchronousProgress<IndexingProgress>(p =>
    Console.WriteLine($"  indexed {p.Documents} documents, {p.ChunksStored} chunks")));
Console.WriteLine($"Indexed {indexed.Documents} documents as {indexed.Chunks} chunks of at most 28 tokens.");

// 3. Questions, each about one town: the town's chunk should come first.
var retriever = new Retriever(collection, embeddings);
var generator = new Generator(model, tokenizer);
var rag = new RetrievalAugmentedGenerator(retriever, generator, new RagOptions { Top = 3, Generation = new GenerationOptions { Temperature = 0, MaxTokens = 24 } });
(string Question, string Town)[] questions =
[
    ("Which river runs through Quillhaven?", "Quillhaven"),
    ("Who is the mayor of Dunmere?", "Dunmere"),
    ("What is Brackenfold famous for?", "Brackenfold"),
    ("What animal is the symbol of Korrin?", "Korrin"),
];
int found = 0;
foreach (var (question, town) in questions)
{
    Console.WriteLine($"\nQ: {question}");
    var hits = await retriever.RetrieveAsync(question, top: 3);
    foreach (var hit in hits)
        Console.WriteLine($"  {hit.Score:F3}  {hit.DocumentId} #{hit.ChunkIndex}: {Shorten(hit.Text)}");
    if (hits[0].DocumentId == town) found++;
    var answer = await rag.AnswerAsync(question);
    Console.WriteLine($"A: {answer.Text}");
    Console.WriteLine($"   sources given: {string.Join(", ", answer.Sources.Select((s, i) => $"[{i + 1}] {s.DocumentId} #{s.ChunkIndex}"))}; " +
                      $"cited: {(answer.CitedNumbers.Count == 0 ? "none" : string.Join(", ", answer.Cited.Select(s => $"{s.DocumentId} #{s.ChunkIndex}")))}");
}
Console.WriteLine($"\nRetrieval: {found} of {questions.Length} questions found their town's chunk first.");

// 4. Map-reduce over a text several times longer than the context.
string chronicle = KnowledgeBase.Chronicle();
Console.WriteLine($"\nSummarising a {tokenizer.Encode(chronicle).Length}-token chronicle with a {model.Config.ContextLength}-token context:");
var summarizer = new MapReduceSummarizer(generator, new SummarizationOptions { MaxSummaryTokens = 32 });
var summary = await summarizer.SummarizeAsync(chronicle, new SynchronousProgress<SummarizationProgress>(p =>
    Console.WriteLine($"  {p.Stage}{(p.Round > 0 ? $" round {p.Round}" : "")}: {p.Completed}/{p.Total}")));
Console.WriteLine($"Summary ({summary.Chunks} chunks of up to {summary.ChunkTokens} tokens, {summary.ReduceRounds} reduce rounds, {summary.ModelCalls} model calls):\n  {summary.Summary}");

embedder.Dispose();
model.Dispose();

static string Shorten(string text) => text.Length <= 90 ? text.Replace('\n', ' ') : text[..87].Replace('\n', ' ') + "...";

/// <summary>Reports on the working thread, so progress lines print in order.</summary>
internal sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
