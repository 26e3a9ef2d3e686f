using System.Text.Json;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// An embedding head as files of its own in a folder: <see cref="ConfigFileName"/> (pooling, projection, delimiter ids,
/// the trunk's width) and <see cref="WeightsFileName"/> (the projection, and for end-token pooling the delimiters' rows of
/// the token embedding (2, C) as <c>embedding.delimiters</c>, so a pretrained trunk without those rows gets them back on
/// load). The folder may be the model folder itself or a folder of its own beside a pretrained one.
/// </summary>
internal static class EmbeddingHeadFiles
{
    public const string ConfigFileName = "embedding_head.json";
    public const string WeightsFileName = "embedding_head.safetensors";
    public const string DelimitersKey = "embedding.delimiters";

    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, ConfigFileName));

    public static void Save(EmbeddingHead head, GptModel trunk, string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = new List<SafetensorsTensor>();
        if (head.Parameters is { } parameters) tensors.AddRange(SegmentFiles.Tensors(parameters, p => p.Name));
        var config = head.Config;
        if (config.Pooling == EmbeddingPooling.EndToken)
        {
            int c = trunk.Config.EmbeddingSize;
            var rows = new float[2 * c];
            TrunkVocabulary.ReadRows(trunk, config.StartTokenId, 1).CopyTo(rows, 0);
            TrunkVocabulary.ReadRows(trunk, config.EndTokenId, 1).CopyTo(rows, c);
            tensors.Add(new SafetensorsTensor(DelimitersKey, [2, c], rows));
        }

        if (tensors.Count > 0) SafetensorsWriter.Write(Path.Combine(directory, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        else File.Delete(Path.Combine(directory, WeightsFileName));
        string json = JsonSerializer.Serialize(config, EmbeddingHeadJson.Default.EmbeddingHeadConfig);
        AtomicFile.Write(Path.Combine(directory, ConfigFileName), stream => stream.Write(System.Text.Encoding.UTF8.GetBytes(json)));
    }

    /// <summary>The head of <paramref name="directory"/> for a trunk of width <paramref name="trunkWidth"/>, and the delimiter
    /// rows (2·C) when the head has them.</summary>
    public static (EmbeddingHead Head, float[]? DelimiterRows) Load(string directory, int trunkWidth, Kernels.Devices.Device device)
    {
        string configPath = Path.Combine(directory, ConfigFileName);
        if (!File.Exists(configPath))
            throw new FileNotFoundException(
                $"no {ConfigFileName} in '{directory}': the folder has no embedding head. Train one with ContrastiveTraining or `gpt embed train`, " +
                "or leave the head out to embed with mean pooling of the trunk.", configPath);
        EmbeddingHeadConfig config;
        try
        {
            config = (JsonSerializer.Deserialize(File.ReadAllText(configPath), EmbeddingHeadJson.Default.EmbeddingHeadConfig)
                ?? throw new ModelFileException(configPath, $"'{configPath}' holds null, not an embedding head config.")).Validate();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new ModelFileException(configPath, $"'{configPath}' is not a valid embedding head config: {e.Message}", innerException: e);
        }

        if (config.TrunkWidth != trunkWidth)
            throw new ModelFileException(configPath,
                $"'{configPath}': the embedding head was trained on a trunk of width {config.TrunkWidth}, but the model is {trunkWidth} wide; " +
                "a head only fits the trunk it was trained with. Use the model folder the head was trained on.");
        string weightsPath = Path.Combine(directory, WeightsFileName);
        bool needsWeights = config.ProjectionDimension is not null || config.Pooling == EmbeddingPooling.EndToken;
        if (!needsWeights) return (new EmbeddingHead(config, device), null);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"'{directory}' has {ConfigFileName} but not {WeightsFileName}, which holds the head's weights; copy the whole head folder.", weightsPath);
        var head = new EmbeddingHead(config, device);
        try
        {
            using var file = SafetensorsFile.Open(weightsPath);
            if (head.Parameters is { } parameters)
                SegmentFiles.Read(file, parameters, p => p.Name, $"an embedding projection {trunkWidth} → {config.Dimension}", "Save the head with Embedder.Save, which writes it.");
            float[]? rows = null;
            if (config.Pooling == EmbeddingPooling.EndToken)
            {
                if (!file.TryGet(DelimitersKey, out var info) || !info.HasShape(2, trunkWidth))
                    throw new ModelFileException(weightsPath, $"'{weightsPath}' lacks '{DelimitersKey}' of shape (2, {trunkWidth}), the delimiters' embedding rows.", DelimitersKey);
                rows = new float[2 * trunkWidth];
                file.ReadFloat32(DelimitersKey, rows);
            }

            return (head, rows);
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }
}
