using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt index search --index FILE --model DIR [--head DIR] --query TEXT -k K</c>: opens any vector index file as a dynamic
/// collection (<see cref="VectorIndexFile.ReadInfo"/>, <see cref="VectorIndexInfo.ToDefinition"/>), embeds the query with the
/// model that built it and prints the top k as JSON lines <c>{rank, score, id, document, chunk, text}</c>. A model whose
/// embeddings are of another width than the index's vectors is refused before anything is embedded.
/// </summary>
internal static class IndexSearchCommand
{
    public static Command Create()
    {
        var index = new Option<FileInfo>("--index") { Description = "The index file (gpt index build).", Required = true };
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder of the embedding trunk that built the index.", Required = true };
        var head = new Option<DirectoryInfo?>("--head") { Description = "Embedding head folder that built the index (default: the model folder's head, or mean pooling)." };
        var query = new Option<string>("--query") { Description = "The text to search for.", Required = true };
        var top = new Option<int>("-k", "--top") { Description = "How many chunks to print.", DefaultValueFactory = _ => 5 };
        var device = DeviceOption.Create();
        var command = new Command("search", "Embed a query and print the nearest chunks of a vector index as JSON lines.")
        {
            index, model, head, query, top, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string indexPath = parse.GetValue(index)!.FullName, modelPath = parse.GetValue(model)!.FullName;
            string? headPath = parse.GetValue(head)?.FullName;
            string text = parse.GetValue(query)!;
            int k = parse.GetValue(top);
            if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("--query is empty; give the text to search for.");
            if (k < 1) throw new ArgumentException($"-k must be at least 1, got {k}.");

            var info = VectorIndexFile.ReadInfo(indexPath);
            var built = IndexModelFile.Read(indexPath);
            using var embedder = Embedder.Load(modelPath, headPath, DeviceOption.Open(parse, device));
            CheckModel(info, built, embedder, modelPath, headPath, indexPath);
            var collection = new FlatVectorStore().GetDynamicCollection(info.Collection, info.ToDefinition());
            await collection.LoadAsync(indexPath, cancellationToken);
            var embedding = embedder.Embed([text], cancellationToken)[0];
            if (embedding.Truncated) Console.Error.WriteLine($"the query is longer than the model reads; its first {embedding.TokenCount} tokens were embedded.");

            int rank = 0;
            await foreach (var hit in collection.SearchAsync(new ReadOnlyMemory<float>(embedding.Vector), k, cancellationToken: cancellationToken))
            {
                var record = hit.Record;
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    rank = ++rank,
                    score = hit.Score,
                    id = record.GetValueOrDefault(info.Key.Name),
                    document = record.GetValueOrDefault("Document"),
                    chunk = record.GetValueOrDefault("Index"),
                    text = record.GetValueOrDefault("Text"),
                }));
            }
            return 0;
        });
        return command;
    }

    /// <summary>Refuses a query model that cannot search the index: another width (always known from the index) or, when the
    /// index says which model built it, another pooling.</summary>
    public static void CheckModel(VectorIndexInfo info, IndexModelFile? built, Embedder embedder, string model, string? head, string index)
    {
        if (info.Dimensions != embedder.Dimension)
            throw new InvalidOperationException(
                $"'{index}' holds vectors of {info.Dimensions} dimensions, but the query model's embeddings have {embedder.Dimension}" +
                (built is null ? "" : $" (the index was built with the model '{built.Model}'{(built.Head is null ? "" : $" and the head '{built.Head}'")})") +
                "; search with the model and head that built the index.");
        built?.Check(embedder, model, head, index);
    }
}
