using System.Text.Json;
using System.Text.Json.Nodes;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// What made the SFT model folder of <c>gpt bench align</c>: the seed, the world and the base and SFT hyper-parameters,
/// written beside the model (<see cref="FileName"/>) so <c>--from-sft</c> reuses the folder only for a run that would
/// have made the same model, and says what differs otherwise.
/// </summary>
internal static class AlignSftStamp
{
    /// <summary>The stamp's file in the SFT folder.</summary>
    public const string FileName = "align_bench.json";

    /// <summary>The settings that decide the SFT model, as a JSON object (the stage settings after SFT left out).</summary>
    public static JsonObject Describe(AlignBench.Settings settings) => new()
    {
        ["seed"] = settings.World.Seed,
        ["world"] = JsonSerializer.SerializeToNode(settings.World),
        ["vocabulary"] = settings.VocabularySize,
        ["context"] = settings.Context,
        ["layers"] = settings.Layers,
        ["width"] = settings.Width,
        ["heads"] = settings.Heads,
        ["batch"] = settings.BatchSize,
        ["pretrain_steps"] = settings.PretrainSteps,
        ["pretrain_learning_rate"] = settings.PretrainLearningRate,
        ["sft_steps"] = settings.SftSteps,
        ["sft_learning_rate"] = settings.SftLearningRate,
    };

    /// <summary>Writes the stamp of <paramref name="settings"/> into <paramref name="sftFolder"/>.</summary>
    public static void Write(string sftFolder, AlignBench.Settings settings) =>
        File.WriteAllText(Path.Combine(sftFolder, FileName), Describe(settings).ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>Refuses an SFT folder that is missing, unstamped, or stamped with other settings than <paramref name="settings"/>.</summary>
    /// <exception cref="ArgumentException">The message names the folder and each setting that differs.</exception>
    public static void Check(string sftFolder, AlignBench.Settings settings)
    {
        string path = Path.Combine(sftFolder, FileName);
        if (!Directory.Exists(sftFolder))
            throw new ArgumentException($"--from-sft: there is no SFT model in '{sftFolder}'; run gpt bench align once without --from-sft to make it.");
        if (!File.Exists(path))
            throw new ArgumentException($"--from-sft: '{sftFolder}' has no {FileName}, so nothing says which run made it; run without --from-sft to remake it.");
        JsonObject stamped;
        try
        {
            stamped = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"--from-sft: '{path}' is not a stamp of gpt bench align ({e.Message}); run without --from-sft to remake the folder.");
        }

        var expected = Describe(settings);
        var differences = expected
            // Compared as compact JSON text: a number read back from the file and the same number written now print alike.
            .Where(p => p.Value?.ToJsonString() != stamped[p.Key]?.ToJsonString())
            .Select(p => $"{p.Key} {stamped[p.Key]?.ToJsonString() ?? "(none)"} (this run: {p.Value?.ToJsonString()})")
            .ToList();
        if (differences.Count > 0)
            throw new ArgumentException($"--from-sft: the SFT model in '{sftFolder}' was made with other settings: {string.Join("; ", differences)}. " +
                "Run with the same seed and base/SFT options, or without --from-sft to remake it.");
    }
}
