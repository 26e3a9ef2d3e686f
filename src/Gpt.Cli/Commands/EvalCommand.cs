using System.CommandLine;
using Gpt.Sdk.Tokenization;
using System.Text.Json;
using Gpt.Sdk.Nn;
using System.Runtime.InteropServices;
using Gpt.Sdk.Evaluation;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt eval</c>: next-token loss and perplexity of a model, or of a model with a LoRA adapter
/// (<c>--adapter</c>, applied in every pass without merging), on text or on token ids.</summary>
internal static class EvalCommand
{
    private const int EvalBatch = 8;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder.", Required = true };
        var text = new Option<FileInfo>("--text") { Description = "Text file, tokenized with the model's tokenizer and cut into context-length windows." };
        var ids = new Option<FileInfo>("--ids") { Description = "JSON array of equal-length token-id arrays, one per sequence." };
        var logitsOut = new Option<FileInfo>("--logits-out") { Description = "Write the logits as raw little-endian float32 [B, T, V]." };
        var adapter = AdapterOption.Create("LoRA adapter folder (PEFT layout) to apply; the loss is then the adapted model's.");
        var device = DeviceOption.Create();
        var weights = WeightsOption.Create();
        var command = new Command("eval", "Print {\"loss\", \"perplexity\", \"tokens\"} of a model on text or token ids; " +
            "subcommands run benchmarks.") { model, text, ids, logitsOut, adapter, device, weights };
        command.Subcommands.Add(EvalCodeCommand.Create());
        command.Subcommands.Add(EvalChoiceCommand.Create());
        command.Subcommands.Add(EvalAnswersCommand.Create());
        command.Validators.Add(result =>
        {
            if ((result.GetValue(text) is null) == (result.GetValue(ids) is null))
                result.AddError("give exactly one of --text or --ids.");
        });
        command.SetAction((parse, cancellationToken) =>
        {
            var target = DeviceOption.Open(parse, device);
            string folder = parse.GetValue(model)!.FullName;
            using var gpt = GptModel.FromPretrained(folder, target, WeightsOption.Read(parse, weights));
            var adapterWeights = parse.GetValue(adapter) is { } adapterFolder ? AdapterOption.Load(gpt, adapterFolder) : null;
            int[][] sequences = parse.GetValue(ids) is { } idsFile
                ? ReadIds(idsFile.FullName)
                : Windows(TokenizerFiles.Load(folder).Encode(File.ReadAllText(parse.GetValue(text)!.FullName)), gpt.Config.ContextLength);
            int seqLen = sequences[0].Length;
            using var logitsStream = parse.GetValue(logitsOut) is { } logitsFile ? File.Create(logitsFile.FullName) : null;
            // The same scorer as `gpt eval choice`: one code path for every log-probability the CLI reports.
            using var scorer = new LogLikelihood(gpt, adapterWeights);
            double logProbSum = 0;
            int counted = 0;
            // Sequences go through in small batches so memory stays bounded (logits are B×T×V floats).
            for (int first = 0; first < sequences.Length; first += EvalBatch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int batch = Math.Min(EvalBatch, sequences.Length - first);
                var flat = sequences.Skip(first).Take(batch).SelectMany(s => s).ToArray();
                // Position t predicts token t+1 of the same sequence; the last position has no target.
                var targets = new int[flat.Length];
                for (int b = 0; b < batch; b++)
                    for (int t = 0; t < seqLen; t++) targets[b * seqLen + t] = t + 1 < seqLen ? flat[b * seqLen + t + 1] : -1;
                float[] logProbs = scorer.TokenLogProbs(flat, targets, batch, seqLen,
                    logitsStream is null ? null : logits => logitsStream.Write(MemoryMarshal.AsBytes(logits.ToArray().AsSpan())));
                foreach (float logProb in logProbs) logProbSum += logProb;   // untargeted positions give 0
                counted += batch * (seqLen - 1);
            }

            double loss = -logProbSum / counted;
            Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, double>
            {
                ["loss"] = loss, ["perplexity"] = Math.Exp(loss), ["tokens"] = counted,
            }));
            return Task.FromResult(0);
        });
        return command;
    }

    private static int[][] ReadIds(string path)
    {
        int[][]? sequences;
        try
        {
            sequences = JsonSerializer.Deserialize<int[][]>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON array of token-id arrays ({e.Message}).", e);
        }

        if (sequences is not { Length: > 0 } || sequences.Any(s => s is null || s.Length < 2))
            throw new InvalidDataException($"{path}: give at least one sequence of at least two token ids.");
        if (sequences.Any(s => s.Length != sequences[0].Length))
            throw new InvalidDataException($"{path}: all sequences must have the same length ({sequences[0].Length}).");
        return sequences;
    }

    private static int[][] Windows(int[] tokens, int context)
    {
        int length = Math.Min(context, tokens.Length);
        if (length < 2) throw new InvalidDataException("the text has fewer than two tokens; nothing to evaluate.");
        return Enumerable.Range(0, tokens.Length / length).Select(i => tokens.AsSpan(i * length, length).ToArray()).ToArray();
    }

}
