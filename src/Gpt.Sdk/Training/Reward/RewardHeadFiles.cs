using System.Text.Json;
using Gpt.Sdk.IO;
using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// A reward model's score head as a file of its own beside the model folder's weights (<see cref="FileName"/>:
/// <c>score.weight</c> (1, C) and <c>score.bias</c> (1)), so the folder stays a plain GPT-2 folder every loader opens and
/// the head is what makes it a reward model. The file records the trunk's shape it was trained on, so a head beside
/// another trunk is refused with both shapes named.
/// </summary>
internal static class RewardHeadFiles
{
    /// <summary>The head's file name in a reward model folder.</summary>
    public const string FileName = "score_head.safetensors";

    private const string TrunkKey = "trunk_config";

    public static void Save(ScalarHead head, GptConfig trunk, string directory)
    {
        Directory.CreateDirectory(directory);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["head"] = head.Name,
            [TrunkKey] = JsonSerializer.Serialize(trunk, CheckpointJson.Default.GptConfig),
        };
        SafetensorsWriter.Write(Path.Combine(directory, FileName), SegmentFiles.Tensors(head.Parameters, p => p.Name), metadata);
    }

    /// <summary>Reads the head of <paramref name="directory"/> for <paramref name="trunk"/>, on <paramref name="trunk"/>'s device.</summary>
    public static ScalarHead Load(string directory, GptModel trunk, string name)
    {
        string path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"no {FileName} in '{directory}': the folder holds a language model but no reward head, so it is not a reward model. " +
                "Train one with `gpt rm` or RewardModelTraining, which save the model folder with its head.", path);
        using var file = SafetensorsFile.Open(path);
        if (file.Metadata.TryGetValue(TrunkKey, out string? json))
        {
            var trained = JsonSerializer.Deserialize(json, CheckpointJson.Default.GptConfig)
                ?? throw new ModelFileException(path, $"'{path}': the {TrunkKey} metadata is not a model config.");
            if (!SameShape(trained, trunk.Config))
                throw new ModelFileException(path,
                    $"'{path}': the reward head was trained on a base of {Describe(trained)}, but the folder's model is {Describe(trunk.Config)}; " +
                    "a head only fits the trunk it was trained with. Keep the head with its own model folder, or train a reward model on this base.");
        }

        string weight = name + ".weight";
        if (file.TryGet(weight, out var info) && !info.HasShape(1, trunk.Config.EmbeddingSize))
            throw new ModelFileException(path,
                $"'{path}': the reward head '{weight}' has shape {info.ShapeText}, for a trunk of width {info.Shape[^1]}, but the folder's model is " +
                $"{Describe(trunk.Config)}; a head only fits the trunk it was trained with.", weight);
        var head = new ScalarHead(name, trunk.Config.EmbeddingSize, trunk.Device);
        try
        {
            SegmentFiles.Read(file, head.Parameters, p => p.Name, $"a reward head '{name}' of width {trunk.Config.EmbeddingSize}",
                "Save the reward model with RewardModel.Save, which writes it.");
            return head;
        }
        catch
        {
            head.Dispose();
            throw;
        }
    }

    /// <summary>The shape a trunk's hidden states depend on (dropout, a training setting, does not count).</summary>
    public static bool SameShape(GptConfig a, GptConfig b) => a with { Dropout = 0 } == b with { Dropout = 0 };

    public static string Describe(GptConfig c) =>
        $"{c.LayerCount} layers, {c.HeadCount} heads, width {c.EmbeddingSize}, vocabulary {c.VocabularySize}, context {c.ContextLength}";
}
