using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt index …</c>: vector index files (<see cref="VectorIndexFile"/>), written by
/// <see cref="FlatVectorCollection{TKey, TRecord}.SaveAsync"/>. <c>gpt index info --index FILE</c> prints what
/// an index holds as JSON, after checking its size and end marker (with the model that built it, when
/// <c>gpt index build</c> recorded one); <c>gpt index build</c> (<see cref="IndexBuildCommand"/>)
/// chunks, embeds and saves documents, and <c>gpt index search</c> (<see cref="IndexSearchCommand"/>) prints the chunks nearest a query.
/// </summary>
internal static class IndexCommand
{
    public static Command Create()
    {
        var index = new Command("index", "Build, search and inspect vector index files (the SDK's flat vector store saved to disk).");
        index.Subcommands.Add(CreateInfo());
        index.Subcommands.Add(IndexBuildCommand.Create());
        index.Subcommands.Add(IndexSearchCommand.Create());
        return index;
    }

    private static Command CreateInfo()
    {
        var file = new Option<string>("--index") { Description = "The index file.", Required = true };
        var command = new Command("info", "Print what a vector index file holds (collection, count, dimensions, distance function, properties) as JSON.");
        command.Options.Add(file);
        command.SetAction(parseResult =>
        {
            try
            {
                string path = parseResult.GetValue(file)!;
                var info = VectorIndexFile.ReadInfo(path);
                var builtBy = IndexModelFile.Read(path);
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    format_version = info.FormatVersion,
                    collection = info.Collection,
                    count = info.Count,
                    dimensions = info.Dimensions,
                    distance = info.DistanceFunction,
                    key = new { name = info.Key.Name, type = info.Key.TypeName },
                    vector = info.VectorName,
                    data = info.Data.Select(p => new { name = p.Name, type = p.TypeName }),
                    bytes = info.FileLength,
                    built_by = builtBy,
                }));
                return 0;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
