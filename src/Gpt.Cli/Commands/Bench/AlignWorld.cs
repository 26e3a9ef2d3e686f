using System.Text;
using System.Text.Json;
using Gpt.Cli.Rewards;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The world of <c>gpt bench align</c>: a task with a reward a program computes, small enough that a baby GPT learns it
/// on two cores in minutes, with room for RL above the SFT model.
/// <para>Sentences come from a grammar over a few dozen words, <c>the red cat sees a small boat .</c> (determiner,
/// optional adjective, noun, verb, determiner, optional adjective, noun). A prompt asks for two nouns, <c>Use the words
/// cat and boat:</c>, and the true score of a response is the fraction of them it uses (<see cref="RequestedWordsReward"/>):
/// 0, ½ or 1, so ranked lists of three exist. The demonstrations use the requested words only part of the time
/// (<see cref="Settings.DemonstrationMix"/>), so the SFT model imitates a mediocre demonstrator and scores well below 1,
/// while preference pairs and rankings, labelled by the program, show what is better.</para>
/// <para>Held-out prompts ask for pairs of nouns no training prompt asks for (in either order), so a rise in their score
/// is the skill "copy the requested words" and not a memorised answer to a prompt seen in training.</para>
/// </summary>
internal sealed class AlignWorld
{
    private static readonly string[] Determiners = ["the", "a"];
    private static readonly string[] Adjectives = ["red", "blue", "green", "small", "big", "old", "new", "happy"];
    private static readonly string[] Nouns = ["cat", "dog", "bird", "fish", "boat", "car", "tree", "house", "ball", "book", "cup", "hat"];
    private static readonly string[] Verbs = ["sees", "likes", "finds", "takes", "wants", "holds", "makes", "needs"];

    /// <summary>Every piece GPT-2's pre-tokenizer cuts the world's lines into: a word with its leading space, a
    /// sentence's first word and the prompt's first without, the colon and the newline. A tokenizer for the world makes
    /// each one token, so a model's step is a word.</summary>
    public static IEnumerable<string> Pieces =>
        [.. Determiners, "Use", .. InLine.Select(w => " " + w), ":", "\n"];

    private static readonly string[] InLine = [.. Determiners, .. Adjectives, .. Nouns, .. Verbs, "words", "and", "."];

    /// <summary>The file names of a world's folder (<see cref="Write"/>).</summary>
    public const string CorpusFile = "corpus.txt", HeldOutCorpusFile = "corpus_heldout.txt", SftFile = "sft.jsonl",
        PreferencesFile = "preferences.jsonl", RankingsFile = "rankings.jsonl", PpoPromptsFile = "ppo_prompts.jsonl",
        EvalPromptsFile = "eval_prompts.jsonl", DescriptionFile = "world.json";

    /// <summary>The sizes and the demonstrator of a world, all reported.</summary>
    internal sealed record Settings
    {
        /// <summary>Seed of every draw.</summary>
        public ulong Seed { get; init; } = 1;

        /// <summary>Sentences of the pretraining corpus.</summary>
        public int CorpusSentences { get; init; } = 20_000;

        /// <summary>How often a noun of the corpus repeats one of the sentence before (<see cref="Story"/>).</summary>
        public double NounReuse { get; init; } = 0.8;

        /// <summary>Sentences of held-out pretraining text, drawn apart from the corpus, for the language-modelling loss (the alignment tax).</summary>
        public int HeldOutSentences { get; init; } = 500;

        /// <summary>SFT demonstrations.</summary>
        public int SftExamples { get; init; } = 2_000;

        /// <summary>Preference pairs.</summary>
        public int PreferencePairs { get; init; } = 2_000;

        /// <summary>Ranked lists of three.</summary>
        public int Rankings { get; init; } = 1_000;

        /// <summary>PPO prompts.</summary>
        public int PpoPrompts { get; init; } = 1_000;

        /// <summary>Unordered noun pairs kept for evaluation; each gives two held-out prompts (both orders).</summary>
        public int HeldOutPairs { get; init; } = 16;

        /// <summary>How often a demonstration uses none, one and both of the requested words: a demonstrator scoring
        /// 0.35·1 + 0.40·½ = 0.55 on average.</summary>
        public IReadOnlyList<double> DemonstrationMix { get; init; } = [0.25, 0.40, 0.35];
    }

    private AlignWorld(Settings settings) => Configuration = settings;

    /// <summary>The settings the world was drawn with.</summary>
    public Settings Configuration { get; }

    /// <summary>Pretraining sentences, one a line, in the order of the text (<see cref="Story"/>).</summary>
    public IReadOnlyList<string> Corpus { get; private init; } = [];

    /// <summary>Held-out pretraining text, drawn like the corpus, for the language-modelling loss after each stage.</summary>
    public IReadOnlyList<string> HeldOutCorpus { get; private init; } = [];

    /// <summary>Demonstrations: a prompt and the sentence (with its newline) the demonstrator wrote.</summary>
    public IReadOnlyList<(string Prompt, string Completion)> Sft { get; private init; } = [];

    /// <summary>Pairs labelled by the program: the chosen response uses more of the requested words.</summary>
    public IReadOnlyList<(string Prompt, string Chosen, string Rejected)> Preferences { get; private init; } = [];

    /// <summary>Responses using both, one and none of the requested words, best first.</summary>
    public IReadOnlyList<(string Prompt, string[] Responses)> Rankings { get; private init; } = [];

    /// <summary>Prompts for PPO's rollouts.</summary>
    public IReadOnlyList<string> PpoPrompts { get; private init; } = [];

    /// <summary>Held-out prompts: pairs of nouns no other prompt of the world asks for.</summary>
    public IReadOnlyList<string> EvalPrompts { get; private init; } = [];

    /// <summary>Draws a world; equal settings give an equal world.</summary>
    public static AlignWorld Generate(Settings settings)
    {
        if (settings.DemonstrationMix.Count != 3 || settings.DemonstrationMix.Any(p => !(p >= 0)) || Math.Abs(settings.DemonstrationMix.Sum() - 1) > 1e-9)
            throw new ArgumentException("the demonstration mix is three probabilities (none, one, both requested words) that sum to 1.");
        // One generator a stream, so changing one count leaves the other files as they were.
        Random Stream(int stream) => new(unchecked((int)(settings.Seed * 1_000_003UL + (ulong)stream)));

        var pairs = Nouns.SelectMany((a, i) => Nouns.Skip(i + 1).Select(b => (a, b))).ToArray();
        if (settings.HeldOutPairs < 1 || settings.HeldOutPairs > pairs.Length / 2)
            throw new ArgumentException($"hold out between 1 and {pairs.Length / 2} of the {pairs.Length} noun pairs; got {settings.HeldOutPairs}.");
        Stream(0).Shuffle(pairs);
        var heldOutPairs = pairs.Take(settings.HeldOutPairs).ToList();
        var trainPairs = pairs.Skip(settings.HeldOutPairs).ToList();

        var corpus = Story(Stream(1), settings.CorpusSentences, settings.NounReuse);
        var heldOut = Story(Stream(6), settings.HeldOutSentences, settings.NounReuse);

        var sftRandom = Stream(2);
        var sft = new List<(string, string)>(settings.SftExamples);
        for (int i = 0; i < settings.SftExamples; i++)
        {
            var (prompt, a, b) = Prompt(sftRandom, trainPairs);
            int used = Draw(sftRandom, settings.DemonstrationMix);
            sft.Add((prompt, Response(sftRandom, a, b, used) + "\n"));
        }

        var preferenceRandom = Stream(3);
        (int Better, int Worse)[] orders = [(2, 1), (2, 0), (1, 0)];
        var preferences = new List<(string, string, string)>(settings.PreferencePairs);
        for (int i = 0; i < settings.PreferencePairs; i++)
        {
            var (prompt, a, b) = Prompt(preferenceRandom, trainPairs);
            var (better, worse) = orders[preferenceRandom.Next(orders.Length)];
            preferences.Add((prompt, Response(preferenceRandom, a, b, better) + "\n", Response(preferenceRandom, a, b, worse) + "\n"));
        }

        var rankingRandom = Stream(4);
        var rankings = new List<(string, string[])>(settings.Rankings);
        for (int i = 0; i < settings.Rankings; i++)
        {
            var (prompt, a, b) = Prompt(rankingRandom, trainPairs);
            rankings.Add((prompt, [.. new[] { 2, 1, 0 }.Select(used => Response(rankingRandom, a, b, used) + "\n")]));
        }

        var ppoRandom = Stream(5);
        var ppo = Enumerable.Range(0, settings.PpoPrompts).Select(_ => Prompt(ppoRandom, trainPairs).Prompt).ToList();
        var eval = heldOutPairs.SelectMany(p => new[] { RequestedWordsPrompt.Format([p.Item1, p.Item2]), RequestedWordsPrompt.Format([p.Item2, p.Item1]) }).ToList();

        return new AlignWorld(settings)
        {
            Corpus = corpus, HeldOutCorpus = heldOut, Sft = sft, Preferences = preferences, Rankings = rankings, PpoPrompts = ppo, EvalPrompts = eval,
        };
    }

    /// <summary>Sentences in a row, each noun slot taking a noun of the sentence before with probability <paramref name="reuse"/>
    /// (else any noun): text in which a word just mentioned is likely again, so pretraining teaches the base model to copy
    /// words from its context, the skill SFT then points at the prompt's words.</summary>
    private static List<string> Story(Random random, int count, double reuse)
    {
        var sentences = new List<string>(count);
        string[] previous = [];
        for (int i = 0; i < count; i++)
        {
            var nouns = new string[2];
            for (int slot = 0; slot < 2; slot++)
                nouns[slot] = previous.Length > 0 && random.NextDouble() < reuse ? previous[random.Next(previous.Length)] : Nouns[random.Next(Nouns.Length)];
            sentences.Add(Sentence(random, nouns[0], nouns[1]));
            previous = nouns;
        }
        return sentences;
    }

    private static int Draw(Random random, IReadOnlyList<double> probabilities)
    {
        double u = random.NextDouble();
        for (int i = 0; i < probabilities.Count - 1; i++)
        {
            if (u < probabilities[i]) return i;
            u -= probabilities[i];
        }
        return probabilities.Count - 1;
    }

    // A training pair in a random order: the prompt and the two nouns it asks for.
    private static (string Prompt, string A, string B) Prompt(Random random, IReadOnlyList<(string, string)> pairs)
    {
        var (a, b) = pairs[random.Next(pairs.Count)];
        if (random.Next(2) == 1) (a, b) = (b, a);
        return (RequestedWordsPrompt.Format([a, b]), a, b);
    }

    /// <summary>A sentence using <paramref name="used"/> (0, 1 or 2) of the nouns <paramref name="a"/> and <paramref name="b"/>, in random slots;
    /// the other slots hold nouns asked for by neither.</summary>
    private static string Response(Random random, string a, string b, int used)
    {
        var others = Nouns.Where(n => n != a && n != b).ToArray();
        string Other() => others[random.Next(others.Length)];
        var (subject, obj) = used switch
        {
            2 => (a, b),
            1 => (random.Next(2) == 0 ? a : b, Other()),
            _ => (Other(), Other()),
        };
        if (random.Next(2) == 1) (subject, obj) = (obj, subject);
        return Sentence(random, subject, obj);
    }

    private static string Sentence(Random random, string subject, string obj)
    {
        var text = new StringBuilder();
        void Phrase(string noun)
        {
            text.Append(Determiners[random.Next(Determiners.Length)]).Append(' ');
            if (random.Next(2) == 1) text.Append(Adjectives[random.Next(Adjectives.Length)]).Append(' ');
            text.Append(noun);
        }
        Phrase(subject);
        text.Append(' ').Append(Verbs[random.Next(Verbs.Length)]).Append(' ');
        Phrase(obj);
        return text.Append(" .").ToString();
    }

    /// <summary>Writes the world's files to <paramref name="folder"/>: the corpus as text, a line a sentence; the rest as
    /// JSONL in the formats <c>gpt sft</c> (prompt/completion), <c>gpt rm</c> and <c>gpt dpo</c> (prompt/chosen/rejected,
    /// prompt/responses best first) and <c>gpt ppo</c> (prompt) read; and <see cref="DescriptionFile"/>, what was drawn.</summary>
    public void Write(string folder)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, CorpusFile), string.Concat(Corpus.Select(s => s + "\n")));
        File.WriteAllText(Path.Combine(folder, HeldOutCorpusFile), string.Concat(HeldOutCorpus.Select(s => s + "\n")));
        WriteLines(folder, SftFile, Sft.Select(e => new Dictionary<string, object> { ["prompt"] = e.Prompt, ["completion"] = e.Completion }));
        WriteLines(folder, PreferencesFile, Preferences.Select(e => new Dictionary<string, object> { ["prompt"] = e.Prompt, ["chosen"] = e.Chosen, ["rejected"] = e.Rejected }));
        WriteLines(folder, RankingsFile, Rankings.Select(e => new Dictionary<string, object> { ["prompt"] = e.Prompt, ["responses"] = e.Responses }));
        WriteLines(folder, PpoPromptsFile, PpoPrompts.Select(p => new Dictionary<string, object> { ["prompt"] = p }));
        WriteLines(folder, EvalPromptsFile, EvalPrompts.Select(p => new Dictionary<string, object> { ["prompt"] = p }));
        File.WriteAllText(Path.Combine(folder, DescriptionFile), JsonSerializer.Serialize(Describe(), new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>What the world is, for the benchmark's JSON and <see cref="DescriptionFile"/>.</summary>
    public Dictionary<string, object> Describe() => new()
    {
        ["task"] = "a prompt 'Use the words cat and boat:' asks for two nouns; the response is one sentence of a small grammar; " +
            "the true score (reward 'requested-words') is the fraction of the requested nouns the sentence uses",
        ["seed"] = Configuration.Seed,
        ["words"] = new Dictionary<string, object> { ["determiners"] = Determiners, ["adjectives"] = Adjectives, ["nouns"] = Nouns, ["verbs"] = Verbs },
        ["demonstration_mix"] = new Dictionary<string, object>
        {
            ["none"] = Configuration.DemonstrationMix[0], ["one"] = Configuration.DemonstrationMix[1], ["both"] = Configuration.DemonstrationMix[2],
            ["expected_score"] = Math.Round(Configuration.DemonstrationMix[1] / 2 + Configuration.DemonstrationMix[2], 4),
        },
        ["counts"] = new Dictionary<string, object>
        {
            ["corpus_sentences"] = Corpus.Count, ["held_out_sentences"] = HeldOutCorpus.Count, ["sft_examples"] = Sft.Count,
            ["preference_pairs"] = Preferences.Count, ["rankings"] = Rankings.Count, ["ppo_prompts"] = PpoPrompts.Count, ["eval_prompts"] = EvalPrompts.Count,
        },
        ["corpus_noun_reuse"] = Configuration.NounReuse,
        ["held_out_prompts_from"] = "noun pairs no training prompt asks for, in either order",
    };

    private static void WriteLines(string folder, string name, IEnumerable<Dictionary<string, object>> rows) =>
        File.WriteAllText(Path.Combine(folder, name), string.Concat(rows.Select(r => JsonSerializer.Serialize(r) + "\n")));
}
