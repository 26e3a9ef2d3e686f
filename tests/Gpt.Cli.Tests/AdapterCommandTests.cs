using System.Runtime.InteropServices;
using System.Text.Json;
using Gpt.Sdk.IO;

namespace Gpt.Cli.Tests;

/// <summary>
/// <c>--adapter</c> on <c>gpt eval</c>, <c>gpt generate</c> and <c>gpt chat</c>, and <c>gpt merge</c>, on the PyTorch LoRA
/// fixture of Gpt.Sdk.Tests (tests/reference/pytorch/lora_reference.py): a tiny GPT-2 (vocab 61, context 16) and a rank-4
/// PEFT adapter on every linear layer. The fixture has no tokenizer; eval reads token ids, and generate and chat run on a
/// copy of the base given a 61-character alphabet.
/// </summary>
public sealed class AdapterCommandTests : IDisposable
{
    private static readonly string Reference = Path.Combine(AppContext.BaseDirectory, "Reference");
    private static readonly string BaseFolder = Path.Combine(Reference, "lora_tiny");
    private static readonly string AdapterFolder = Path.Combine(BaseFolder, "adapter");
    private readonly string _folder = Directory.CreateTempSubdirectory("gpt-cli-adapter-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void EvalWithTheAdapterGivesPyTorchsLossAndLogits()
    {
        var expected = Expected.Load();
        string ids = WriteFixtureIds();
        string logitsFile = Path.Combine(_folder, "logits.bin");

        var adapted = Eval("--model", BaseFolder, "--adapter", AdapterFolder, "--ids", ids, "--logits-out", logitsFile);
        var plain = Eval("--model", BaseFolder, "--ids", ids);

        // Rows of T+1 tokens: position t of the fixture's batch predicts token t+1, all 2×8 positions counted, as in its loss.
        Assert.Equal(expected.Batch * expected.SeqLen, adapted.Tokens);
        // PyTorchParityTests' tolerance: about ten times PyTorch's own float32 spread, far below a missing adapter.
        Assert.True(Math.Abs(adapted.Loss - expected.Loss) <= 1e-5 * expected.Loss, $"gpt eval --adapter loss {adapted.Loss:G9}, PyTorch {expected.Loss:G9}.");
        Assert.True(Math.Abs(plain.Loss - adapted.Loss) > 1e-3, "the loss without the adapter should differ; was the adapter applied?");
        float[] logits = ReadFloats(logitsFile);
        int v = expected.Vocabulary, t = expected.SeqLen;
        Assert.Equal(expected.Batch * (t + 1) * v, logits.Length);
        double maxAbs = 0, scale = 0;
        for (int b = 0; b < expected.Batch; b++)
        {
            for (int i = 0; i < t * v; i++)
            {
                float want = expected.Logits[b * t * v + i];
                maxAbs = Math.Max(maxAbs, Math.Abs(logits[b * (t + 1) * v + i] - (double)want));
                scale = Math.Max(scale, Math.Abs(want));
            }
        }

        Assert.True(maxAbs <= 1e-5 * scale, $"gpt eval --adapter logits differ from PyTorch's by up to {maxAbs:E3} (largest |logit| {scale:F4}).");
    }

    [Fact]
    public void MergedFolderGivesTheAdapterLogitsAndKeepsTheTokenizer()
    {
        string source = BaseWithAlphabet();
        string merged = Path.Combine(_folder, "merged");
        string ids = WriteFixtureIds();
        string adapterLogits = Path.Combine(_folder, "adapter.bin"), mergedLogits = Path.Combine(_folder, "merged.bin");

        var result = GptProcess.Run("merge", "--model", source, "--adapter", AdapterFolder, "--out", merged);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(["chars.json", "config.json", "model.safetensors"], Directory.GetFiles(merged).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(source, "chars.json")), File.ReadAllBytes(Path.Combine(merged, "chars.json")));
        Eval("--model", source, "--adapter", AdapterFolder, "--ids", ids, "--logits-out", adapterLogits);
        Eval("--model", merged, "--ids", ids, "--logits-out", mergedLogits);
        float[] expected = ReadFloats(adapterLogits), actual = ReadFloats(mergedLogits);
        Assert.Equal(expected.Length, actual.Length);
        // Merging moves where s·B·A is added (into W, not to W·x): float32 rounding, 2e-6 on this fixture.
        double maxAbs = expected.Zip(actual, (e, a) => Math.Abs((double)e - a)).Max();
        Assert.True(maxAbs <= 1e-5, $"the merged model's logits differ from the adapter's by up to {maxAbs:E3}.");
    }

    [Fact]
    public void MergeRefusesAnOutFolderInUseUnlessForced()
    {
        string merged = Path.Combine(_folder, "merged");
        Directory.CreateDirectory(merged);
        File.WriteAllText(Path.Combine(merged, "notes.txt"), "keep me");

        var refused = GptProcess.Run("merge", "--model", BaseFolder, "--adapter", AdapterFolder, "--out", merged);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("not empty", refused.Stderr);
        Assert.Contains("--force", refused.Stderr);
        Assert.False(File.Exists(Path.Combine(merged, "model.safetensors")));

        var forced = GptProcess.Run("merge", "--model", BaseFolder, "--adapter", AdapterFolder, "--out", merged, "--force");
        Assert.True(forced.ExitCode == 0, forced.Stderr);
        Assert.True(File.Exists(Path.Combine(merged, "model.safetensors")));
        Assert.Equal("keep me", File.ReadAllText(Path.Combine(merged, "notes.txt")));

        var onBase = GptProcess.Run("merge", "--model", BaseFolder, "--adapter", AdapterFolder, "--out", BaseFolder, "--force");
        Assert.Equal(1, onBase.ExitCode);
        Assert.Contains("base model's folder", onBase.Stderr);
    }

    [Fact]
    public void AnAdapterThatDoesNotFitIsRefusedAndNothingIsWritten()
    {
        string adapter = Path.Combine(_folder, "adapter");
        Directory.CreateDirectory(adapter);
        foreach (string file in Directory.GetFiles(AdapterFolder)) File.Copy(file, Path.Combine(adapter, Path.GetFileName(file)));
        string config = Path.Combine(adapter, "adapter_config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"c_fc\"", "\"q_proj\"", StringComparison.Ordinal));
        string merged = Path.Combine(_folder, "merged");

        var result = GptProcess.Run("merge", "--model", BaseFolder, "--adapter", adapter, "--out", merged);
        var eval = GptProcess.Run("eval", "--model", BaseFolder, "--adapter", adapter, "--ids", WriteFixtureIds());

        foreach (var refused in new[] { result, eval })
        {
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("error:", refused.Stderr);
            Assert.Contains(config, refused.Stderr);
            Assert.Contains("'q_proj' matches no linear layer", refused.Stderr);
            Assert.DoesNotContain("   at ", refused.Stderr);
        }

        Assert.False(Directory.Exists(merged));
    }

    [Fact]
    public void GenerateAndChatWithTheAdapterMatchTheMergedModel()
    {
        string source = BaseWithAlphabet();
        string merged = Path.Combine(_folder, "merged");
        Assert.Equal(0, GptProcess.Run("merge", "--model", source, "--adapter", AdapterFolder, "--out", merged).ExitCode);
        string[] generate = ["generate", "--prompt", "the cat", "--max-tokens", "8", "--temperature", "0", "--logprobs", "0", "--json"];

        var adapted = GptProcess.Run([.. generate, "--model", source, "--adapter", AdapterFolder]);
        var fromMerged = GptProcess.Run([.. generate, "--model", merged]);
        var plain = GptProcess.Run([.. generate, "--model", source]);

        Assert.True(adapted.ExitCode == 0, adapted.Stderr);
        Assert.Contains("adapter: ", adapted.Stderr);
        var (adaptedText, adaptedLogprobs) = Completion(adapted.Stdout);
        var (mergedText, mergedLogprobs) = Completion(fromMerged.Stdout);
        Assert.Equal(mergedText, adaptedText);
        Assert.All(adaptedLogprobs.Zip(mergedLogprobs), pair => Assert.Equal(pair.Second, pair.First, 1e-4));
        Assert.NotEqual(Completion(plain.Stdout).Logprobs, adaptedLogprobs);

        string[] chat = ["chat", "--max-tokens", "5", "--temperature", "0"];
        var adaptedChat = GptProcess.RunWithInput("hi there\n/exit\n", [.. chat, "--model", source, "--adapter", AdapterFolder]);
        var mergedChat = GptProcess.RunWithInput("hi there\n/exit\n", [.. chat, "--model", merged]);
        Assert.True(adaptedChat.ExitCode == 0, adaptedChat.Stderr);
        Assert.Contains("adapter: ", adaptedChat.Stderr);
        Assert.Equal(mergedChat.Stdout, adaptedChat.Stdout);
    }

    private static (string Text, double[] Logprobs) Completion(string json)
    {
        using var document = JsonDocument.Parse(json);
        var completion = document.RootElement.GetProperty("completions")[0];
        return (completion.GetProperty("text").GetString()!,
            completion.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("logprob").GetDouble()).ToArray());
    }

    /// <summary>A copy of the fixture's base with a character tokenizer over its 61 ids, so text commands can run.</summary>
    private string BaseWithAlphabet()
    {
        string folder = Path.Combine(_folder, "base");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(BaseFolder)) File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        string alphabet = " \n" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + ".,:!?'-";
        Assert.Equal(61, alphabet.Length);
        File.WriteAllText(Path.Combine(folder, "chars.json"), JsonSerializer.Serialize(new { type = "char", alphabet }));
        return folder;
    }

    /// <summary>The fixture's batch as gpt eval --ids rows: each row's 8 input ids and its last target, 9 tokens.</summary>
    private string WriteFixtureIds()
    {
        var expected = Expected.Load();
        var rows = Enumerable.Range(0, expected.Batch)
            .Select(b => expected.Ids.AsSpan(b * expected.SeqLen, expected.SeqLen).ToArray().Append(expected.Targets[(b + 1) * expected.SeqLen - 1]).ToArray())
            .ToArray();
        string path = Path.Combine(_folder, "ids.json");
        File.WriteAllText(path, JsonSerializer.Serialize(rows));
        return path;
    }

    private static (double Loss, int Tokens) Eval(params string[] args)
    {
        var result = GptProcess.Run(["eval", .. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var json = JsonDocument.Parse(result.Stdout);
        return (json.RootElement.GetProperty("loss").GetDouble(), json.RootElement.GetProperty("tokens").GetInt32());
    }

    private static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    /// <summary>What the fixture's reader needs of lora_tiny_expected.safetensors: the batch, the adapter logits and loss.</summary>
    private sealed record Expected(int Batch, int SeqLen, int Vocabulary, int[] Ids, int[] Targets, float[] Logits, float Loss)
    {
        public static Expected Load()
        {
            using var file = SafetensorsFile.Open(Path.Combine(Reference, "lora_tiny_expected.safetensors"));
            var shape = file["logits"].Shape;
            return new Expected((int)shape[0], (int)shape[1], (int)shape[2], Ints(file, "input_ids"), Ints(file, "targets"), Floats(file, "logits"), Floats(file, "loss")[0]);
        }

        private static float[] Floats(SafetensorsFile file, string name)
        {
            var values = new float[file[name].ElementCount];
            file.ReadFloat32(name, values);
            return values;
        }

        private static int[] Ints(SafetensorsFile file, string name)
        {
            var values = new int[file[name].ElementCount];
            file.ReadBytes(name, MemoryMarshal.AsBytes(values.AsSpan())); // I32, little-endian like this machine
            return values;
        }
    }
}
