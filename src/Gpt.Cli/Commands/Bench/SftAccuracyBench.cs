using System.Diagnostics;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The accuracy part of <c>gpt bench sft</c>: does fine-tuning teach a model to use, in a new format, a skill it
/// learned in pretraining, and does LoRA do it about as well as updating every weight?
/// <para>The skill is reversing 3–7 distinct letters of a–h. A character-level baby GPT is pretrained on lines
/// <c>cab&gt;bac</c>, then fine-tuned (full, and LoRA from the same weights, same data and steps) on an instruction
/// format it has never seen: prompt <c>Reverse: cab\nAnswer:</c>, completion <c> bac\n</c>. Exact-match accuracy
/// with greedy decoding is taken on held-out strings before and after each fine-tune.</para>
/// </summary>
/// <remarks>
/// Letters are distinct so that reversing is one lookup a small model learns in a few hundred steps: find the
/// character just written in the string and write the one before it (the line's newline ends the answer). With
/// repeats, a letter's position must be worked out from the mirror image of the answer's, which a 4-layer model had
/// not begun to learn after 2,000 steps: the budget would go on pretraining, not on what this part measures.
/// <para>The held-out strings are kept out of the pretraining corpus as well as the SFT set, so a correct answer is the
/// skill applied to a string the model has never seen in any format, not a pretrained line recalled. The base
/// model is also scored in the pretraining format: it shows the skill is there to transfer.</para>
/// </remarks>
internal static class SftAccuracyBench
{
    private const string Letters = "abcdefgh";
    private const int MinLength = 3, MaxLength = 7;
    private const int HeldOutCount = 256, SftExampleCount = 1000;

    // Long enough for the longest instruction example: "Reverse: " + 7 + "\nAnswer:" + " " + 7 + "\n" is 33 tokens.
    private const int Context = 48;

    // Packed rows (each example attending only to itself) train the same examples in fewer rows.
    private const bool Packed = true;

    /// <summary>The run's hyper-parameters, all reported in the JSON.</summary>
    internal sealed record Settings
    {
        /// <summary>Seed of the data, the initial weights and the data order.</summary>
        public ulong Seed { get; init; } = 1;

        /// <summary>Optimizer steps of pretraining.</summary>
        public int PretrainSteps { get; init; } = 1000;

        /// <summary>Peak learning rate of pretraining.</summary>
        public float PretrainLearningRate { get; init; } = 2e-3f;

        /// <summary>Optimizer steps of each fine-tune.</summary>
        public int SftSteps { get; init; } = 200;

        /// <summary>Peak learning rate of the full fine-tune.</summary>
        public float FullLearningRate { get; init; } = 3e-4f;

        /// <summary>Peak learning rate of the LoRA fine-tune (higher: the update is low-rank and starts at zero).</summary>
        public float LoraLearningRate { get; init; } = 2e-3f;

        /// <summary>Rows per batch, pretraining and fine-tuning.</summary>
        public int BatchSize { get; init; } = 16;

        /// <summary>The adapter of the LoRA fine-tune.</summary>
        public LoraConfig Lora { get; init; } = new() { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj", "c_fc"] };
    }

    /// <summary>Runs the whole part and returns its JSON object.</summary>
    /// <param name="device">Where to train and generate.</param>
    /// <param name="settings">Hyper-parameters.</param>
    /// <param name="log">Stage lines (stderr), so a three-minute run is not silent.</param>
    /// <param name="cancellationToken">Stops training between steps.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var task = ReverseTask.Create(settings.Seed, settings.PretrainSteps * settings.BatchSize * Context);
        var tokenizer = CharTokenizer.FromCorpus(task.Corpus + Instruction("abcdefgh") + Completion("abcdefgh"));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = Context, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };

        log.WriteLine($"sft accuracy: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide model for {settings.PretrainSteps} steps");
        using var pretrained = new GptModel(config, device, settings.Seed);
        var pretrain = await BenchStages.PretrainAsync(pretrained, tokenizer.Encode(task.Corpus), settings.BatchSize, Context, settings.PretrainSteps,
            settings.PretrainLearningRate, settings.Seed, folder: null, log, cancellationToken);
        var inPretrainFormat = await ScoreAsync(pretrained, tokenizer, task.HeldOut, s => $"\n{s}>", s => Reverse(s), cancellationToken);
        var baseScore = await ScoreInstructionsAsync(pretrained, tokenizer, task.HeldOut, cancellationToken);

        var examples = task.SftStrings.Select(s => (SftExample)new PromptCompletionExample(Instruction(s), Completion(s))).ToList();

        log.WriteLine($"sft accuracy: full fine-tune, {settings.SftSteps} steps");
        using var full = Copy(pretrained);
        var fullRun = await FineTuneAsync(FineTune.For(full, tokenizer), examples, settings.FullLearningRate, settings, cancellationToken);
        var fullScore = await ScoreInstructionsAsync(full, tokenizer, task.HeldOut, cancellationToken);

        log.WriteLine($"sft accuracy: LoRA fine-tune, {settings.SftSteps} steps");
        using var lora = Copy(pretrained);
        var loraRun = await FineTuneAsync(FineTune.For(lora, tokenizer).WithLora(settings.Lora, "reverse", settings.Seed), examples,
            settings.LoraLearningRate, settings, cancellationToken);
        var adapter = loraRun.Result.Adapter ?? throw new InvalidOperationException("the LoRA fine-tune returned no adapter.");
        var loraScore = await ScoreInstructionsAsync(lora, tokenizer, task.HeldOut, cancellationToken, adapter.Name);

        const double goal = 0.90, gap = 0.05;
        return new Dictionary<string, object?>
        {
            ["task"] = $"reverse {MinLength}-{MaxLength} distinct letters of {Letters[0]}-{Letters[^1]}: pretrained on lines 'cab>bac', " +
                "fine-tuned on prompt 'Reverse: cab\\nAnswer:' -> completion ' bac\\n'",
            ["device"] = device.Name,
            ["threads"] = CpuParallel.ThreadCount,
            ["seed"] = settings.Seed,
            ["model"] = BenchFigures.Model(pretrained),
            ["data"] = new Dictionary<string, object>
            {
                ["pretrain_characters"] = task.Corpus.Length,
                ["sft_examples"] = task.SftStrings.Count,
                ["held_out_prompts"] = task.HeldOut.Count,
                ["held_out_from"] = "the pretraining corpus and the SFT examples",
            },
            ["pretrain"] = new Dictionary<string, object>
            {
                ["steps"] = settings.PretrainSteps,
                ["batch"] = settings.BatchSize,
                ["seq_len"] = Context,
                ["learning_rate"] = settings.PretrainLearningRate,
                ["final_loss"] = Math.Round(pretrain.FinalLoss, 4),
                ["seconds"] = Math.Round(pretrain.Elapsed.TotalSeconds, 1),
            },
            ["full"] = RunFigures(fullRun, settings, settings.FullLearningRate, full.ParameterCount),
            ["lora"] = new Dictionary<string, object>(RunFigures(loraRun, settings, settings.LoraLearningRate, adapter.Parameters.Count))
            {
                ["rank"] = settings.Lora.Rank,
                ["alpha"] = settings.Lora.Alpha,
                ["targets"] = settings.Lora.TargetModules,
            },
            ["accuracy"] = new Dictionary<string, object>
            {
                ["base_pretrain_format"] = inPretrainFormat.Accuracy,
                ["base"] = baseScore.Accuracy,
                ["full"] = fullScore.Accuracy,
                ["lora"] = loraScore.Accuracy,
            },
            ["goals"] = new Dictionary<string, object>
            {
                ["full_at_least"] = goal,
                ["lora_at_least"] = goal,
                ["lora_below_full_at_most"] = gap,
                ["met"] = fullScore.Accuracy >= goal && loraScore.Accuracy >= goal && fullScore.Accuracy - loraScore.Accuracy <= gap,
            },
            ["misses"] = new Dictionary<string, object>
            {
                ["base_pretrain_format"] = inPretrainFormat.Misses,
                ["base"] = baseScore.Misses,
                ["full"] = fullScore.Misses,
                ["lora"] = loraScore.Misses,
            },
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
    }

    private static string Instruction(string s) => $"Reverse: {s}\nAnswer:";

    private static string Completion(string s) => $" {Reverse(s)}\n";

    private static string Reverse(string s)
    {
        var chars = s.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }

    private static async Task<(FineTuneResult Result, TimeSpan Elapsed)> FineTuneAsync(FineTune fineTune, List<SftExample> examples, float learningRate,
        Settings settings, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await fineTune
            .OnSftData(examples)
            .Packed(Packed)
            .WithOptions(o => o with
            {
                BatchSize = settings.BatchSize,
                SequenceLength = Context,
                MaxSteps = settings.SftSteps,
                LearningRate = learningRate,
                MinLearningRate = learningRate / 10,
                WarmupSteps = Math.Min(20, settings.SftSteps / 10),
                Seed = settings.Seed,
            })
            .RunAsync(cancellationToken: cancellationToken);
        return (result, Stopwatch.GetElapsedTime(started));
    }

    private static Dictionary<string, object> RunFigures((FineTuneResult Result, TimeSpan Elapsed) run, Settings settings, float learningRate, long trainable) => new()
    {
        ["steps"] = settings.SftSteps,
        ["batch"] = settings.BatchSize,
        ["packed"] = Packed,
        ["learning_rate"] = learningRate,
        ["trainable_parameters"] = trainable,
        ["final_loss"] = Math.Round(run.Result.Training.FinalLoss, 4),
        ["seconds"] = Math.Round(run.Elapsed.TotalSeconds, 1),
    };

    private static GptModel Copy(GptModel source)
    {
        var values = new float[source.ParameterCount];
        source.Parameters.CopyValuesTo(values);
        var copy = new GptModel(source.Config, source.Device);
        copy.Parameters.CopyValuesFrom(values);
        return copy;
    }

    private sealed record Score(double Accuracy, IReadOnlyList<string> Misses);

    private static Task<Score> ScoreInstructionsAsync(GptModel model, ITokenizer tokenizer, IReadOnlyList<string> strings, CancellationToken cancellationToken,
        string? adapter = null) =>
        ScoreAsync(model, tokenizer, strings, Instruction, s => Completion(s).TrimEnd('\n'), cancellationToken, adapter);

    /// <summary>Exact match with greedy decoding: the completion, up to the newline that must end it, equals the answer.</summary>
    private static async Task<Score> ScoreAsync(GptModel model, ITokenizer tokenizer, IReadOnlyList<string> strings, Func<string, string> prompt,
        Func<string, string> answer, CancellationToken cancellationToken, string? adapter = null)
    {
        var generator = new Generator(model, tokenizer);
        // One token more than the longest answer and its newline, so a run-on answer is seen as one.
        var options = new GenerationOptions { Temperature = 0, MaxTokens = MaxLength + 3, StopSequences = ["\n"], Adapter = adapter };
        var results = await generator.GenerateBatchAsync(strings.Select(prompt).ToArray(), options, cancellationToken);
        int correct = 0;
        var misses = new List<string>();
        for (int i = 0; i < strings.Count; i++)
        {
            string expected = answer(strings[i]);
            if (results[i].FinishReason == FinishReason.Stop && results[i].Text == expected) correct++;
            else if (misses.Count < 3) misses.Add($"{strings[i]}: got '{results[i].Text}', expected '{expected}'");
        }
        return new Score(Math.Round((double)correct / strings.Count, 4), misses);
    }

    /// <summary>The strings of one seeded run: held out, fine-tuned on, and the pretraining corpus.</summary>
    private sealed record ReverseTask(IReadOnlyList<string> HeldOut, IReadOnlyList<string> SftStrings, string Corpus)
    {
        /// <summary>Draws the held-out strings first, then SFT strings and corpus lines that avoid them.</summary>
        /// <param name="seed">The seed.</param>
        /// <param name="corpusCharacters">At least this many characters of corpus (one epoch of pretraining).</param>
        public static ReverseTask Create(ulong seed, int corpusCharacters)
        {
            var random = new Random(unchecked((int)seed));
            var heldOut = Distinct(random, HeldOutCount, _ => true);
            var held = new HashSet<string>(heldOut, StringComparer.Ordinal);
            var sft = Distinct(random, SftExampleCount, s => !held.Contains(s));

            var corpus = new System.Text.StringBuilder(corpusCharacters + 2 * MaxLength + 2);
            while (corpus.Length < corpusCharacters)
            {
                string s = Draw(random);
                if (!held.Contains(s)) corpus.Append(s).Append('>').Append(Reverse(s)).Append('\n');
            }
            return new ReverseTask(heldOut, sft, corpus.ToString());
        }

        // A list, not a set's enumeration, keeps the order of drawing (string hashing is randomised per process).
        private static List<string> Distinct(Random random, int count, Func<string, bool> allowed)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var list = new List<string>(count);
            while (list.Count < count)
            {
                string s = Draw(random);
                if (allowed(s) && seen.Add(s)) list.Add(s);
            }
            return list;
        }

        // Lengths uniform (short strings as common as long ones), then distinct letters in random order.
        private static string Draw(Random random)
        {
            var letters = Letters.ToCharArray();
            random.Shuffle(letters);
            return new string(letters, 0, random.Next(MinLength, MaxLength + 1));
        }
    }
}
