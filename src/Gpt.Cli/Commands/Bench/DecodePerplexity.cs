using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The quality side of <c>gpt bench decode</c>'s weight formats: a small character model is trained in the run on the first
/// 90% of a text (the project's own training, as <c>gpt bench eval</c> pretrains), saved, loaded back with each weight
/// storage, and scored on the last 10%, which it never saw: perplexity per storage and its change from fp32.
/// </summary>
internal static class DecodePerplexity
{
    private const int Context = 64;
    private const int MaxWindows = 256;

    /// <summary>Trains, then scores every storage; the result goes into the bench JSON under <c>perplexity</c>.</summary>
    public static async Task<Dictionary<string, object>> RunAsync(string dataPath, int steps, IReadOnlyList<WeightStorage> storages,
        TextWriter log, CancellationToken cancellationToken)
    {
        string text = File.ReadAllText(dataPath);
        var tokenizer = CharTokenizer.FromCorpus(text);
        int[] tokens = tokenizer.Encode(text);
        int split = tokens.Length / 10 * 9;
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = Context, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };
        string folder = Directory.CreateTempSubdirectory("gpt-bench-decode-").FullName;
        try
        {
            log.WriteLine($"decode: training a {config.LayerCount}-layer, {config.EmbeddingSize}-wide character model for {steps} steps on the first 90% of {dataPath}");
            using (var model = new GptModel(config, seed: 1))
            {
                await BenchStages.PretrainAsync(model, tokens[..split], batchSize: 12, model.Config.ContextLength, steps, learningRate: 1e-3f, seed: 1,
                    folder: null, log, cancellationToken);
                model.Save(folder, tokenizer);
            }

            int[] heldOut = tokens[split..];
            var result = new Dictionary<string, object>
            {
                ["model"] = $"char-level, {config.LayerCount} layers x {config.EmbeddingSize}, trained {steps} steps in this run",
                ["data"] = Path.GetFileName(dataPath),
                ["held_out_tokens"] = Math.Min(heldOut.Length / Context, MaxWindows) * Context,
            };
            double? fp32 = null;
            foreach (var storage in storages)
            {
                using var model = GptModel.FromPretrained(folder, weights: storage);
                double perplexity = Math.Exp(MeanLoss(model, heldOut));
                fp32 ??= storage == WeightStorage.Float32 ? perplexity : null;
                result[WeightsOption.Name(storage)] = new Dictionary<string, object>
                {
                    ["perplexity"] = Math.Round(perplexity, 4),
                    ["delta_vs_fp32"] = fp32 is { } reference ? Math.Round(perplexity - reference, 4) : "fp32 not measured",
                };
            }
            return result;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    // Mean next-token loss over whole context windows of the held-out tokens.
    private static double MeanLoss(GptModel model, int[] tokens)
    {
        int windows = Math.Min((tokens.Length - 1) / Context, MaxWindows);
        if (windows < 1) throw new ArgumentException($"the held-out 10% of --data holds {tokens.Length} tokens; perplexity needs at least {Context + 1}.");
        using var tape = new Tape(model.Device);
        using var noGrad = tape.NoGrad();
        double sum = 0;
        for (int w = 0; w < windows; w++)
        {
            tape.Reset();
            var ids = tokens.AsSpan(w * Context, Context);
            var targets = tokens.AsSpan(w * Context + 1, Context);
            sum += model.Loss(tape, ids, targets, 1, Context).ToArray()[0];
        }
        return sum / windows;
    }
}
