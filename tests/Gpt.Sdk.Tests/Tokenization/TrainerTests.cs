using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Tokenization;

/// <summary>The BPE trainer: against a plain reference, round trips, compression, determinism.</summary>
public sealed class TrainerTests
{
    private static readonly string[] s_words =
    [
        "the", "lighthouse", "keeper", "counted", "ships", "twice", "once", "at", "dusk", "and", "when", "fog", "lifted",
        "she", "didn't", "think", "bridge", "would", "hold", "they'd", "already", "paid", "toll", "crossed", "anyway",
        "rain", "fell", "on", "tin", "roof", "all", "night", "garden", "became", "lake", "1969", "384,400", "km",
    ];

    /// <summary>A seeded corpus of made-up sentences with some other scripts mixed in.</summary>
    private static string Corpus(int sentences, int seed = 1234)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < sentences; i++)
        {
            int length = random.Next(4, 14);
            for (int w = 0; w < length; w++)
            {
                string word = s_words[random.Next(s_words.Length)];
                text.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : " " + word);
            }
            text.Append(random.Next(8) switch { 0 => "?\n", 1 => " 日本語です。", 2 => "!\n\n", 3 => " 👍🏽", _ => ". " });
        }
        return text.ToString();
    }

    [Fact]
    public void Train_LearnsTheSameMergesAsAPlainReference()
    {
        string corpus = Corpus(600);
        var options = new BpeTrainerOptions { VocabularySize = 256 + 150 + 1 };
        var trained = BpeTrainer.Train([corpus], options);
        var expected = ReferenceTrainer.Train(corpus, merges: 150, minFrequency: options.MinPairFrequency);

        Assert.Equal(expected.Count, trained.VocabularySize - 257);
        for (int i = 0; i < expected.Count; i++)
            Assert.True(expected[i].AsSpan().SequenceEqual(trained.GetTokenBytes(256 + i)),
                $"token {256 + i}: expected '{Encoding.UTF8.GetString(expected[i])}', got '{Encoding.UTF8.GetString(trained.GetTokenBytes(256 + i))}'");
    }

    [Fact]
    public void Train_VocabularyHasTheRequestedSizeAndShape()
    {
        var trained = BpeTrainer.Train([Corpus(2000)], new BpeTrainerOptions
        {
            VocabularySize = 420,
            SpecialTokens = [WellKnownSpecialTokens.EndOfText, WellKnownSpecialTokens.FimPrefix],
        });
        Assert.Equal(420, trained.VocabularySize);
        Assert.Equal(418, trained.SpecialTokens[WellKnownSpecialTokens.EndOfText]);
        Assert.Equal(419, trained.SpecialTokens[WellKnownSpecialTokens.FimPrefix]);
        Assert.Equal("!"u8.ToArray(), trained.GetTokenBytes(0).ToArray());   // byte tokens numbered as in GPT-2
        Assert.Equal(" "u8.ToArray(), trained.GetTokenBytes(220).ToArray());
    }

    [Fact]
    public void Trained_EncodesItsCorpusInFewerTokensThanBytes_AndRoundTrips()
    {
        string corpus = Corpus(2000);
        var trained = BpeTrainer.Train([corpus], new BpeTrainerOptions { VocabularySize = 500 });
        int[] ids = trained.Encode(corpus);
        Assert.True(ids.Length * 2 < Encoding.UTF8.GetByteCount(corpus), $"{ids.Length} tokens for {Encoding.UTF8.GetByteCount(corpus)} bytes");
        Assert.Equal(corpus, trained.Decode(ids));

        string unseen = "Zebras x-ray 42 quietly — ünïcödé ☃ \u0000 unseen text";
        Assert.Equal(unseen, trained.Decode(trained.Encode(unseen))); // byte fallback: nothing is unknown
    }

    [Fact]
    public void Trained_RoundTripsThroughSaveAndLoad()
    {
        string corpus = Corpus(1500);
        var trained = BpeTrainer.Train([corpus], new BpeTrainerOptions { VocabularySize = 450 });
        using var temp = new TempFolder();
        trained.Save(temp.Path);
        trained.SaveTiktoken(temp["trained.tiktoken"]);
        foreach (var loaded in new[]
                 {
                     BpeTokenizer.FromPretrained(temp.Path),
                     BpeTokenizer.LoadHuggingFace(temp["vocab.json"], temp["merges.txt"]),
                     BpeTokenizer.LoadTiktoken(temp["trained.tiktoken"], trained.SpecialTokens),
                 })
        {
            Assert.Equal(trained.VocabularySize, loaded.VocabularySize);
            for (int id = 0; id < trained.VocabularySize; id++)
                Assert.True(trained.GetTokenBytes(id).SequenceEqual(loaded.GetTokenBytes(id)), $"token {id} differs");
            Assert.Equal(trained.Encode(corpus), loaded.Encode(corpus));
        }
    }

    [Fact]
    public void Train_IsDeterministic()
    {
        var options = new BpeTrainerOptions { VocabularySize = 400 };
        string[] texts = [Corpus(500, seed: 1), Corpus(500, seed: 2)];
        using var temp = new TempFolder();
        BpeTrainer.Train(texts, options).Save(temp["a"]);
        BpeTrainer.Train(texts, options).Save(temp["b"]);
        foreach (string file in new[] { "vocab.json", "merges.txt", "tokenizer.json" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(temp["a"], file)), File.ReadAllBytes(Path.Combine(temp["b"], file)));
    }

    [Fact]
    public void TrainFromFile_ReportsProgressThroughBothStages()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["corpus.txt"], Corpus(1000));
        var reports = new List<BpeTrainingProgress>();
        var trained = BpeTrainer.TrainFromFile(temp["corpus.txt"], new BpeTrainerOptions { VocabularySize = 400 }, new SyncProgress(reports.Add));

        Assert.Contains(reports, r => r.Stage == BpeTrainingStage.CountingWords && r.Completed > 0);
        var last = reports[^1];
        Assert.Equal(BpeTrainingStage.Merging, last.Stage);
        Assert.Equal(400 - 257, last.Total);
        Assert.Equal(last.Total, last.Completed);
        Assert.Equal(400, trained.VocabularySize);
    }

    [Fact]
    public void Train_StopsWhenNoPairIsFrequentEnough()
    {
        var trained = BpeTrainer.Train(["abab cdcd"], new BpeTrainerOptions { VocabularySize = 1000, SpecialTokens = [] });
        Assert.Equal(["ab", "cd"], Enumerable.Range(256, trained.VocabularySize - 256).Select(id => Encoding.UTF8.GetString(trained.GetTokenBytes(id))));
    }

    [Fact]
    public void Train_HonoursCancellationAndValidatesOptions()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => BpeTrainer.Train(["some text"], new BpeTrainerOptions { VocabularySize = 300 }, null, cancelled.Token));
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions { VocabularySize = 256 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions { VocabularySize = 300, MinPairFrequency = 0 }));
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions { VocabularySize = 300, SpecialTokens = ["<a>", "<a>"] }));
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SyncProgress(Action<BpeTrainingProgress> report) : IProgress<BpeTrainingProgress>
    {
        public void Report(BpeTrainingProgress value) => report(value);
    }

    /// <summary>
    /// BPE training as plainly as it can be written: recount every pair of every word before each
    /// merge, take the most frequent (ties: lower left id, then lower right id), merge it everywhere.
    /// </summary>
    private static class ReferenceTrainer
    {
        public static List<byte[]> Train(string corpus, int merges, int minFrequency)
        {
            var tokens = new List<byte[]>();
            var idOfByte = new int[256];
            var printable = Enumerable.Range(0, 256).Where(b => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF);
            foreach (int b in printable.Concat(Enumerable.Range(0, 256).Except(printable)))
            {
                idOfByte[b] = tokens.Count;
                tokens.Add([(byte)b]);
            }

            var words = PreTokenizerTests.Pieces(corpus).GroupBy(p => p, StringComparer.Ordinal)
                .Select(g => (Symbols: Encoding.UTF8.GetBytes(g.Key).Select(b => idOfByte[b]).ToList(), Count: g.Count())).ToList();
            var learned = new List<byte[]>();
            while (learned.Count < merges)
            {
                var pairs = new Dictionary<(int, int), long>();
                foreach (var (symbols, count) in words)
                    for (int i = 0; i + 1 < symbols.Count; i++)
                        pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
                if (pairs.Count == 0) break;
                var best = pairs.OrderByDescending(p => p.Value).ThenBy(p => p.Key.Item1).ThenBy(p => p.Key.Item2).First();
                if (best.Value < minFrequency) break;

                byte[] joined = [.. tokens[best.Key.Item1], .. tokens[best.Key.Item2]];
                int merged = tokens.FindIndex(t => t.AsSpan().SequenceEqual(joined));
                if (merged < 0)
                {
                    merged = tokens.Count;
                    tokens.Add(joined);
                    learned.Add(joined);
                }
                foreach (var (symbols, _) in words)
                    for (int i = 0; i + 1 < symbols.Count; i++)
                        if (symbols[i] == best.Key.Item1 && symbols[i + 1] == best.Key.Item2)
                        {
                            symbols[i] = merged;
                            symbols.RemoveAt(i + 1);
                        }
            }
            return learned;
        }
    }
}
