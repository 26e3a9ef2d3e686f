using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands.Bench;

/// <summary>JSON pieces the benchmarks that train their own model report alike.</summary>
internal static class BenchFigures
{
    /// <summary>The model's shape and size.</summary>
    public static Dictionary<string, object> Model(GptModel model) => new()
    {
        ["layers"] = model.Config.LayerCount,
        ["width"] = model.Config.EmbeddingSize,
        ["heads"] = model.Config.HeadCount,
        ["context"] = model.Config.ContextLength,
        ["vocabulary"] = model.Config.VocabularySize,
        ["parameters"] = model.ParameterCount,
    };
}
