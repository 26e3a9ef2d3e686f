using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.IO.Gguf;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Benchmarks.Llama;

/// <summary>
/// <c>dotnet run -c Release --project tests/Gpt.Benchmarks -- llama-vs-sdk</c>: the SDK against llama.cpp on the same model
/// through the GGUF export, in one run. First a correctness check: a small model trained here is exported as each GGUF type
/// and llama.cpp's greedy tokens and logits are compared with the SDK's. Then speed: GPT-2 124M (random weights, the same
/// on both sides) decodes the same prompt greedily for the same number of tokens on the same number of threads, llama.cpp
/// and the SDK taking turns so both see the same machine load. Prints one JSON line per part.
/// </summary>
internal static class LlamaVsSdk
{
    private const string Usage = "llama-vs-sdk [--threads N] [--prompt-tokens N] [--new-tokens N] [--repeat N] [--types f32,f16,q8_0] [--train-steps N] [--check-only]";
    private const int PauseMilliseconds = 200;

    private sealed record Options(int Threads, int PromptTokens, int NewTokens, int Repeat, GgufType[] Types, int TrainSteps, bool CheckOnly);

    public static int Run(string[] args)
    {
        if (!TryParse(args, out var options, out string error))
        {
            Console.Error.WriteLine($"{error} Usage: {Usage}");
            return 2;
        }
        if (CpuParallel.ThreadCount != options.Threads)
        {
            Console.Error.WriteLine($"the SDK runs on {CpuParallel.ThreadCount} threads but --threads is {options.Threads}; " +
                $"set GPT_NUM_THREADS={options.Threads} so both sides use the same number.");
            return 2;
        }

        LlamaDecoder.CaptureLog();
        string folder = Directory.CreateTempSubdirectory("llama-vs-sdk-").FullName;
        // The files are large (a GPT-2 124M per GGUF type); a run stopped by a signal removes them too.
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => DeleteQuietly(folder));
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ => DeleteQuietly(folder));
        try
        {
            Print("llama_vs_sdk_check", Check(options, folder));
            if (!options.CheckOnly) Print("llama_vs_sdk", Speed(options, folder));
            return 0;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Print("llama_vs_sdk_error", new Dictionary<string, object>
            {
                ["error"] = $"{e.GetType().Name}: {e.Message}",
                ["llama_log_tail"] = LlamaDecoder.Log.TakeLast(15).ToArray(),
            });
            return 1;
        }
        finally
        {
            DeleteQuietly(folder);
        }
    }

    private static void DeleteQuietly(string folder)
    {
        try
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Another exit path is deleting it at the same time; whichever finishes leaves nothing behind.
        }
    }

    // The trained model's greedy continuation of a sentence start, by the SDK (fp32) and by llama.cpp from each GGUF type.
    private static Dictionary<string, object> Check(Options options, string folder)
    {
        var clock = Stopwatch.StartNew();
        var (model, tokenizer, loss) = TrainedTinyModel.Train(options.TrainSteps, seed: 5);
        using var _ = model;
        double trainSeconds = clock.Elapsed.TotalSeconds;
        const string prompt = "the old man";
        int[] promptIds = tokenizer.Encode(prompt);
        int newTokens = Math.Min(48, model.Config.ContextLength - promptIds.Length);
        var sdk = SdkDecoder.Greedy(model, promptIds, newTokens);
        var result = new Dictionary<string, object>
        {
            ["model"] = $"trained here: n_layer {model.Config.LayerCount}, n_head {model.Config.HeadCount}, n_embd {model.Config.EmbeddingSize}, vocab {model.Config.VocabularySize}",
            ["train_steps"] = options.TrainSteps,
            ["train_seconds"] = Math.Round(trainSeconds, 1),
            ["final_loss"] = Math.Round(loss, 4),
            ["prompt"] = prompt,
            ["new_tokens"] = newTokens,
            ["sdk_fp32_text"] = tokenizer.Decode(sdk.Tokens),
        };
        foreach (var type in options.Types)
        {
            string path = Path.Combine(folder, $"tiny-{Name(type)}.gguf");
            GgufExport.WriteAsync(model, tokenizer, path, type).GetAwaiter().GetResult();
            using var llama = LlamaDecoder.Load(path, options.Threads, model.Config.ContextLength);
            var theirs = llama.Greedy(promptIds, newTokens);
            float scale = sdk.PromptLogits.Max(MathF.Abs);
            float difference = sdk.PromptLogits.Zip(theirs.PromptLogits, (a, b) => MathF.Abs(a - b)).Max();
            result[Name(type)] = new Dictionary<string, object>
            {
                ["tokens_equal"] = theirs.Tokens.SequenceEqual(sdk.Tokens),
                ["common_prefix"] = theirs.CommonPrefix(sdk),
                ["llama_vocab"] = llama.VocabularySize,
                ["prompt_logits_max_abs_diff"] = Round(difference),
                ["prompt_logits_max_abs"] = Round(scale),
                ["llama_text"] = tokenizer.Decode(theirs.Tokens),
            };
        }

        return result;
    }

    private static Dictionary<string, object> Speed(Options options, string folder)
    {
        string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
        var config = GptConfig.Gpt2Small;
        string modelFolder = Path.Combine(folder, "gpt2-124M");
        // Any byte-level tokenizer will do: the ids are fed directly, and GGUF pads the unused ids as the converter does.
        var tokenizer = BpeTrainer.Train(TrainedTinyModel.Sentences(200, seed: 1), new BpeTrainerOptions { VocabularySize = 300 });
        var exportSeconds = new Dictionary<GgufType, double>();
        using (var model = new GptModel(config, seed: 1))
        {
            model.Save(modelFolder, tokenizer);
            foreach (var type in options.Types)
            {
                var clock = Stopwatch.StartNew();
                GgufExport.WriteAsync(model, tokenizer, GgufPath(folder, type), type).GetAwaiter().GetResult();
                exportSeconds[type] = clock.Elapsed.TotalSeconds;
            }
        }

        var random = new Random(1);
        int[] prompt = Enumerable.Range(0, options.PromptTokens).Select(_ => random.Next(config.VocabularySize)).ToArray();
        int context = options.PromptTokens + options.NewTokens;
        var rows = new List<Dictionary<string, object?>>();
        foreach (var type in options.Types)
        {
            string storage = SdkWeightLoaders.PeerOf[type];
            using var llama = LlamaDecoder.Load(GgufPath(folder, type), options.Threads, context);
            using var sdkModel = SdkWeightLoaders.ByStorage.TryGetValue(storage, out var load) ? load(modelFolder) : null;
            GreedyRun? bestLlama = null, bestSdk = null;
            for (int run = 0; run <= options.Repeat; run++)   // run 0 warms up
            {
                var theirs = llama.Greedy(prompt, options.NewTokens);
                Thread.Sleep(PauseMilliseconds);
                var ours = sdkModel is null ? null : SdkDecoder.Greedy(sdkModel, prompt, options.NewTokens);
                Thread.Sleep(PauseMilliseconds);
                Console.Error.WriteLine($"{Name(type)} run {run}: llama.cpp {theirs.DecodeTokensPerSecond:F2} tok/s" +
                    (ours is null ? "" : $", SDK {storage} {ours.DecodeTokensPerSecond:F2} tok/s"));
                if (run == 0) continue;
                if (bestLlama is null || theirs.SecondsPerStep < bestLlama.SecondsPerStep) bestLlama = theirs;
                if (ours is not null && (bestSdk is null || ours.SecondsPerStep < bestSdk.SecondsPerStep)) bestSdk = ours;
            }

            rows.Add(new Dictionary<string, object?>
            {
                ["gguf_type"] = Name(type),
                ["gguf_mb"] = Math.Round(new FileInfo(GgufPath(folder, type)).Length / 1e6, 1),
                ["export_seconds"] = Math.Round(exportSeconds[type], 2),
                ["llama_decode_tokens_per_s"] = Math.Round(bestLlama!.DecodeTokensPerSecond, 2),
                ["llama_prefill_tokens_per_s"] = Math.Round(options.PromptTokens / bestLlama.PrefillSeconds, 1),
                ["sdk_storage"] = storage,
                ["sdk_decode_tokens_per_s"] = bestSdk is null ? null : Math.Round(bestSdk.DecodeTokensPerSecond, 2),
                ["sdk_prefill_tokens_per_s"] = bestSdk is null ? null : Math.Round(options.PromptTokens / bestSdk.PrefillSeconds, 1),
                ["sdk_over_llama"] = bestSdk is null ? null : Math.Round(bestSdk.DecodeTokensPerSecond / bestLlama.DecodeTokensPerSecond, 3),
                ["greedy_common_prefix"] = bestSdk is null ? null : bestSdk.CommonPrefix(bestLlama),
                ["sdk_note"] = bestSdk is null ? $"no SDK loader for {storage} weights yet (SdkWeightLoaders.ByStorage)" : null,
            });
            File.Delete(GgufPath(folder, type));
        }

        return new Dictionary<string, object>
        {
            ["model"] = "gpt2-124M (random weights, seed 1; the same on both sides)",
            ["threads"] = options.Threads,
            ["prompt_tokens"] = options.PromptTokens,
            ["new_tokens"] = options.NewTokens,
            ["repeat"] = options.Repeat,
            ["statistic"] = "best run (after one warm-up), llama.cpp and the SDK alternating",
            ["loadavg_before"] = loadBefore,
            ["loadavg_after"] = File.ReadAllText("/proc/loadavg").Trim(),
            ["runs"] = rows,
        };
    }

    private static string GgufPath(string folder, GgufType type) => Path.Combine(folder, $"gpt2-124M-{Name(type)}.gguf");

    private static string Name(GgufType type) => type.ToString().ToLowerInvariant();

    private static double Round(float value) => Math.Round(value, 6);

    private static void Print(string name, object value) => Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object> { [name] = value }));

    private static bool TryParse(string[] args, out Options options, out string error)
    {
        int threads = 2, prompt = 128, generated = 128, repeat = 3, steps = 400;
        GgufType[] types = [GgufType.F32, GgufType.F16, GgufType.Q8_0];
        bool checkOnly = false;
        options = null!;
        error = "";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--check-only")
            {
                checkOnly = true;
                continue;
            }

            string option = args[i];
            string? value = i + 1 < args.Length ? args[++i] : null;
            bool ok = option switch
            {
                "--threads" => PositiveInt(value, out threads),
                "--prompt-tokens" => PositiveInt(value, out prompt),
                "--new-tokens" => PositiveInt(value, out generated),
                "--repeat" => PositiveInt(value, out repeat),
                "--train-steps" => PositiveInt(value, out steps),
                "--types" => TryTypes(value, out types),
                _ => false,
            };
            if (!ok)
            {
                error = $"'{option}' {(value is null ? "" : $"'{value}' ")}is not understood.";
                return false;
            }
        }

        if (prompt + generated > GptConfig.Gpt2Small.ContextLength)
        {
            error = $"--prompt-tokens and --new-tokens together ({prompt + generated}) exceed GPT-2's context of {GptConfig.Gpt2Small.ContextLength}.";
            return false;
        }

        options = new Options(threads, prompt, generated, repeat, types, steps, checkOnly);
        return true;
    }

    private static bool PositiveInt(string? text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;

    private static bool TryTypes(string? text, out GgufType[] types)
    {
        types = [];
        if (text is null) return false;
        var parsed = new List<GgufType>();
        foreach (string name in text.Split(','))
        {
            if (!Enum.TryParse(name.Trim(), ignoreCase: true, out GgufType type) || !Enum.IsDefined(type)) return false;
            parsed.Add(type);
        }

        types = [.. parsed];
        return types.Length > 0;
    }
}
