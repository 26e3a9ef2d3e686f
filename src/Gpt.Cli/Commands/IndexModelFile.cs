using System.Text.Json;
using System.Text.Json.Serialization;
using Gpt.Sdk.Embeddings;

namespace Gpt.Cli.Commands;

/// <summary>
/// Which embedding model built an index: <c>FILE.model.json</c> beside the index file <c>FILE</c>. The index format has no
/// room for metadata, so it sits beside it; <c>gpt index search</c> and <c>gpt rag</c> read it to refuse a query model
/// that pools differently and to warn when another folder is used.
/// </summary>
internal sealed record IndexModelFile(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("head")] string? Head,
    [property: JsonPropertyName("pooling")] string Pooling,
    [property: JsonPropertyName("dimensions")] int Dimensions,
    [property: JsonPropertyName("chunk_tokens")] int ChunkTokens,
    [property: JsonPropertyName("overlap_tokens")] int OverlapTokens)
{
    public static string PathFor(string index) => index + ".model.json";

    public static IndexModelFile Describe(Embedder embedder, string model, string? head, int chunkTokens, int overlapTokens) =>
        new(Path.GetFullPath(model), head is null ? null : Path.GetFullPath(head), embedder.Head.Config.Pooling.ToString(), embedder.Dimension,
            chunkTokens, overlapTokens);

    /// <summary>Writes it beside <paramref name="index"/> through a temporary file renamed into place, as the index is.</summary>
    public void Save(string index)
    {
        string path = PathFor(index), temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The description beside <paramref name="index"/>, or null when there is none (an index saved by other code).</summary>
    public static IndexModelFile? Read(string index)
    {
        string path = PathFor(index);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<IndexModelFile>(File.ReadAllText(path))
                ?? throw new InvalidDataException($"'{path}' is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' (which model built the index) is not valid JSON: {e.Message}. Rebuild the index with gpt index build.", e);
        }
    }

    /// <summary>Throws when <paramref name="embedder"/> cannot embed queries for this index; warns on stderr when it loads from
    /// other folders than the index was built with.</summary>
    public void Check(Embedder embedder, string model, string? head, string index)
    {
        string pooling = embedder.Head.Config.Pooling.ToString();
        if (pooling != Pooling || embedder.Dimension != Dimensions)
            throw new InvalidOperationException(
                $"'{index}' was built with {Pooling} pooling into {Dimensions} dimensions by {Describe(Model, Head)}, but the query model pools with {pooling} into {embedder.Dimension}; " +
                "search with the model and head that built the index.");
        string? headPath = head is null ? null : Path.GetFullPath(head);
        if (Path.GetFullPath(model) != Model || headPath != Head)
            Console.Error.WriteLine($"warning: '{index}' was built by {Describe(Model, Head)}; the query is embedded by {Describe(Path.GetFullPath(model), headPath)}. Scores mean little unless they are the same model.");
    }

    private static string Describe(string model, string? head) => head is null ? $"the model '{model}'" : $"the model '{model}' with the head '{head}'";
}
