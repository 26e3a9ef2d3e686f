using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gpt.Kernels.Devices;
using Gpt.Kernels.Devices.Cpu;
using Gpt.Sdk.Evaluation;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The reasoning part of <c>gpt bench eval</c>: does self-consistency (Wang et al., 2022) beat greedy decoding for a
/// model that reasons step by step? The task is a sum of 3–4 digits 1–9, trained on worked solutions in the layout
/// <see cref="FewShotPrompt"/> writes, each adding the digits in an order drawn for that example:
/// <c>Q: 3+5+8+6=?\nA: 8+6=14. 14+3=17. 17+5=22. The answer is 22.</c> A baby
/// character-level GPT learns it from the worked examples alone; on held-out questions it then answers greedily and
/// by a majority vote over sampled reasoning paths (<see cref="SelfConsistency.EvaluateAsync"/>, zero exemplars: the
/// format is in the weights).
/// </summary>
/// <remarks>
/// As in the code part, training stops before the model is perfect: an error in one step of a part-trained model is a
/// slip, not a belief, so sampled paths make different slips and the vote outweighs them; a fully trained model would
/// answer greedily as well as by vote and leave nothing to measure. The orders matter as much: with every solution
/// adding left to right, sampled paths repeated the greedy path's hard step and the vote lost to greedy decoding
/// (750 steps: 0.84 against 0.89 at temperature 0.4); with many orders there are many paths to one answer.
/// </remarks>
internal static class ReasoningEvalBench
{
    // The longest example, "Q: 9+9+9+9=?\nA: 9+9=18. 18+9=27. 27+9=36. The answer is 36.\n\n", is 60 characters.
    private const int Context = 96;

    /// <summary>The run's hyper-parameters, all reported in the JSON.</summary>
    internal sealed record Settings
    {
        /// <summary>Seed of the questions, the weights, the data order and the sampling.</summary>
        public ulong Seed { get; init; } = 1;

        /// <summary>Optimizer steps of pretraining.</summary>
        public int PretrainSteps { get; init; } = 1000;

        /// <summary>Peak learning rate of pretraining.</summary>
        public float LearningRate { get; init; } = 4e-3f;

        /// <summary>Rows per batch.</summary>
        public int BatchSize { get; init; } = 16;

        /// <summary>Held-out questions.</summary>
        public int Questions { get; init; } = 100;

        /// <summary>Reasoning paths sampled per question.</summary>
        public int Samples { get; init; } = 16;

        /// <summary>Sampling temperature of the paths.</summary>
        public float Temperature { get; init; } = 0.6f;
    }

    /// <summary>Runs the part and returns its JSON object.</summary>
    /// <param name="device">Where to train and generate.</param>
    /// <param name="settings">Hyper-parameters.</param>
    /// <param name="log">Stage lines (stderr).</param>
    /// <param name="cancellationToken">Stops training and generation.</param>
    public static async Task<Dictionary<string, object?>> RunAsync(Device device, Settings settings, TextWriter log, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var random = new Random(unchecked((int)settings.Seed));
        var heldOut = new List<QuestionAnswer>();
        var held = new HashSet<string>(StringComparer.Ordinal);
        while (heldOut.Count < settings.Questions)
        {
            var item = Draw(random);
            if (held.Add(item.Question)) heldOut.Add(item);
        }

        var layout = new FewShotLayout();
        var corpus = new StringBuilder();
        int corpusCharacters = settings.PretrainSteps * settings.BatchSize * Context;
        int trainingExamples = 0;
        while (corpus.Length < corpusCharacters)
        {
            var item = Draw(random);
            if (held.Contains(item.Question)) continue;
            // Exactly what a chain-of-thought FewShotPrompt writes for an exemplar, so the prompt's layout is the training data's.
            corpus.Append(layout.QuestionPrefix).Append(item.Question).Append(layout.AnswerPrefix).Append(item.Solution).Append(' ')
                .Append(string.Format(CultureInfo.InvariantCulture, layout.AnswerSentence, item.Answer)).Append(layout.Separator);
            trainingExamples++;
        }
        var tokenizer = CharTokenizer.FromCorpus(corpus.ToString());
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = Context, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };

        log.WriteLine($"eval reasoning: pretraining a {config.LayerCount}-layer, {config.EmbeddingSize}-wide model for {settings.PretrainSteps} steps " +
            "on worked sums");
        using var model = new GptModel(config, device, settings.Seed);
        var pretrain = await BenchStages.PretrainAsync(model, tokenizer.Encode(corpus.ToString()), settings.BatchSize, Context, settings.PretrainSteps,
            settings.LearningRate, settings.Seed, folder: null, log, cancellationToken);

        log.WriteLine($"eval reasoning: greedy and {settings.Samples} sampled paths on {heldOut.Count} held-out questions");
        var evaluationClock = Stopwatch.StartNew();
        var selfConsistency = new SelfConsistency(new Generator(model, tokenizer));
        var options = new SelfConsistencyOptions { Samples = settings.Samples, Temperature = settings.Temperature, MaxTokens = 56, Seed = settings.Seed };
        var evaluation = await selfConsistency.EvaluateAsync(heldOut, new FewShotPrompt { ChainOfThought = true, Layout = layout }, options,
            cancellationToken: cancellationToken);

        double greedy = Math.Round(evaluation.GreedyAccuracy, 4), vote = Math.Round(evaluation.SelfConsistencyAccuracy, 4);
        // Single sampled paths, scored as greedy answers are: what one sample is worth without the vote.
        double pathAccuracy = evaluation.Items.Average(i =>
            i.SelfConsistency.Paths.Count(p => p.Answer == AnswerExtractor.Normalize(i.Item.Answer)) / (double)i.SelfConsistency.Paths.Count);
        var wrong = evaluation.Items.FirstOrDefault(i => !i.GreedyCorrect);
        return new Dictionary<string, object?>
        {
            ["task"] = "sums of 3-4 digits 1-9 with worked solutions adding in an order drawn per example: 'Q: 3+5+8+6=?\\nA: 8+6=14. 14+3=17. 17+5=22. The answer is 22.'; " +
                "held out: questions absent from training; zero-shot prompt 'Q: ...=?\\nA:'",
            ["device"] = device.Name,
            ["threads"] = CpuParallel.ThreadCount,
            ["seed"] = settings.Seed,
            ["model"] = BenchFigures.Model(model),
            ["pretrain"] = new Dictionary<string, object>
            {
                ["examples"] = trainingExamples,
                ["characters"] = corpus.Length,
                ["steps"] = settings.PretrainSteps,
                ["batch"] = settings.BatchSize,
                ["learning_rate"] = settings.LearningRate,
                ["final_loss"] = Math.Round(pretrain.FinalLoss, 4),
                ["seconds"] = Math.Round(pretrain.Elapsed.TotalSeconds, 1),
            },
            ["evaluation"] = new Dictionary<string, object>
            {
                ["questions"] = heldOut.Count,
                ["samples"] = settings.Samples,
                ["temperature"] = settings.Temperature,
                ["top_p"] = options.TopP,
                ["max_tokens"] = options.MaxTokens,
                ["seconds"] = Math.Round(evaluationClock.Elapsed.TotalSeconds, 1),
            },
            ["greedy_accuracy"] = greedy,
            ["self_consistency_accuracy"] = vote,
            ["single_sample_accuracy"] = Math.Round(pathAccuracy, 4),
            ["mean_vote_share"] = Math.Round(evaluation.MeanVoteShare, 4),
            ["goals"] = new Dictionary<string, object> { ["self_consistency_beats_greedy"] = vote > greedy },
            ["example_greedy_miss"] = wrong is null ? null
                : $"{wrong.Item.Question} greedy: {wrong.Greedy.Text.Trim()} | vote: {wrong.SelfConsistency.Answer} ({wrong.SelfConsistency.Vote.Votes}/{settings.Samples})",
            ["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1),
        };
    }

    // Three or four digits 1-9, equally likely; the solution adds them one sentence a step, in an order drawn per
    // example. Self-consistency rests on there being several reasoning paths to one answer whose mistakes are
    // independent (Wang et al. 2022): with one fixed order, every sampled path repeats the greedy path's hard step.
    private static QuestionAnswer Draw(Random random)
    {
        int count = random.Next(3, 5);
        var digits = new int[count];
        for (int i = 0; i < count; i++) digits[i] = random.Next(1, 10);
        int[] order = [.. digits.OrderBy(_ => random.Next())];
        var steps = new StringBuilder();
        int sum = order[0];
        for (int i = 1; i < count; i++)
        {
            if (i > 1) steps.Append(' ');
            steps.Append(CultureInfo.InvariantCulture, $"{sum}+{order[i]}={sum + order[i]}.");
            sum += order[i];
        }
        return new QuestionAnswer(string.Join('+', digits) + "=?", sum.ToString(CultureInfo.InvariantCulture), steps.ToString());
    }
}
