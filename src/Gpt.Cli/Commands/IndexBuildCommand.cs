using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt index build --model DIR [--head DIR] --data FILE --out FILE</c>: cuts the documents of <c>--data</c> into token
/// chunks (<see cref="TextChunker"/>), embeds them in batches and saves them as a vector index (<see cref="DocumentIndexer"/>
/// into a <see cref="FlatVectorStore"/> collection of <see cref="ChunkRecord"/>s, then an atomic save), with progress on
/// stderr. A <c>.jsonl</c> file holds one <c>{"id"?, "text"}</c> document per line (id defaults to <c>line-N</c>); any other
/// file is one plain-text document named after the file.
/// </summary>
internal static class IndexBuildCommand
{
    /// <summary>The collection name index files built here carry.</summary>
    public const string CollectionName = "chunks";

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder of the embedding trunk.", Required = true };
        var head = new Option<DirectoryInfo?>("--head") { Description = "Embedding head folder (default: the model folder's head, or mean pooling)." };
        var data = new Option<FileInfo>("--data") { Description = "Documents: a .jsonl file of {\"id\"?, \"text\"} lines, or one plain-text file.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The index file to write (replaced atomically).", Required = true };
        var chunkTokens = new Option<int?>("--chunk-tokens") { Description = "Most tokens per chunk (default: 256, or what the model embeds if less)." };
        var overlap = new Option<int?>("--overlap") { Description = "Tokens each chunk shares with the one before (default: an eighth of the chunk)." };
        var batch = new Option<int>("--batch") { Description = "Chunks embedded per batch.", DefaultValueFactory = _ => 32 };
        var device = DeviceOption.Create();
        var command = new Command("build", "Chunk, embed and index documents into a vector index file.")
        {
            model, head, data, output, chunkTokens, overlap, batch, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string modelPath = parse.GetValue(model)!.FullName, dataPath = parse.GetValue(data)!.FullName, outPath = parse.GetValue(output)!.FullName;
            string? headPath = parse.GetValue(head)?.FullName;
            if (parse.GetValue(batch) < 1) throw new ArgumentException($"--batch must be at least 1, got {parse.GetValue(batch)}.");
            var documents = ReadDocuments(dataPath);
            using var embedder = Embedder.Load(modelPath, headPath, DeviceOption.Open(parse, device));
            int size = parse.GetValue(chunkTokens) ?? Math.Min(256, embedder.MaxTextTokens);
            if (size > embedder.MaxTextTokens)
                throw new ArgumentException($"--chunk-tokens {size} is more than the model embeds ({embedder.MaxTextTokens} tokens); chunks would be cut short. Use at most {embedder.MaxTextTokens}.");
            var chunker = new TextChunker(embedder.Tokenizer, new TextChunkerOptions { MaxTokens = size, OverlapTokens = parse.GetValue(overlap) ?? size / 8 });

            var store = new FlatVectorStore();
            var collection = store.GetCollection<string, ChunkRecord>(CollectionName, ChunkRecord.CreateDefinition(embedder.Dimension));
            using var generator = new GptEmbeddingGenerator(embedder, Path.GetFileName(modelPath));
            var indexer = new DocumentIndexer(collection, generator, chunker, parse.GetValue(batch));
            var started = DateTime.UtcNow;
            var progress = new SynchronousProgress<IndexingProgress>(p => Console.Error.WriteLine(
                $"indexed {p.Documents}/{documents.Count} documents, {p.ChunksStored} chunks, {p.Tokens:N0} tokens, {p.ChunksStored / Math.Max(1e-3, (DateTime.UtcNow - started).TotalSeconds):F1} chunks/s"));
            var result = await indexer.IndexAsync(documents, progress, cancellationToken);
            await collection.SaveAsync(outPath, cancellationToken: cancellationToken);
            IndexModelFile.Describe(embedder, modelPath, headPath, size, chunker.Options.OverlapTokens).Save(outPath);
            Console.Error.WriteLine($"saved {result.Chunks} chunks of {result.Documents} documents ({embedder.Dimension} dimensions) to {outPath}");
            Console.WriteLine(JsonSerializer.Serialize(new { documents = result.Documents, chunks = result.Chunks, tokens = result.Tokens, dimensions = embedder.Dimension, index = outPath }));
            return 0;
        });
        return command;
    }

    private static List<SourceDocument> ReadDocuments(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"the data file '{path}' does not exist.", path);
        var documents = new List<SourceDocument>();
        if (!path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            string text = File.ReadAllText(path);
            if (!string.IsNullOrWhiteSpace(text)) documents.Add(new SourceDocument(Path.GetFileNameWithoutExtension(path), text));
        }
        else
        {
            int lineNumber = 0;
            foreach (string line in File.ReadLines(path))
            {
                lineNumber++;
                if (!string.IsNullOrWhiteSpace(line)) documents.Add(ReadDocument(line, path, lineNumber));
            }
        }
        if (documents.Count == 0)
            throw new TrainingDataException(path, null, "no documents: the file is empty. Give a .jsonl file of {\"id\"?, \"text\"} lines, or a plain-text file.");
        return documents;
    }

    private static SourceDocument ReadDocument(string line, string path, int lineNumber)
    {
        const string format = "each line must be {\"id\"?: \"...\", \"text\": \"...\"} with a non-empty text";
        try
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new TrainingDataException(path, lineNumber, $"no \"text\" string; {format}.");
            if (string.IsNullOrWhiteSpace(text.GetString())) throw new TrainingDataException(path, lineNumber, $"the text is empty; {format}.");
            string id = root.TryGetProperty("id", out var given) ? given.ValueKind switch
            {
                JsonValueKind.String when !string.IsNullOrWhiteSpace(given.GetString()) => given.GetString()!,
                JsonValueKind.Number => given.GetRawText(),
                _ => throw new TrainingDataException(path, lineNumber, $"\"id\" must be a non-empty string or a number; {format}."),
            } : $"line-{lineNumber}";
            return new SourceDocument(id, text.GetString()!);
        }
        catch (JsonException e)
        {
            throw new TrainingDataException(path, lineNumber, $"not valid JSON ({e.Message}); {format}.", e);
        }
    }
}
