using System.Text;
using Gpt.Kernels.Random;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Sdk.Tests.Training.Sft;

/// <summary>Tokenizers, JSONL files and random examples for the fine-tuning data tests.</summary>
internal static class SftTestData
{
    /// <summary>A character tokenizer over printable ASCII and the newline: no special tokens, so no end token.</summary>
    public static CharTokenizer Chars { get; } =
        CharTokenizer.FromCorpus("\n" + new string(Enumerable.Range(32, 95).Select(c => (char)c).ToArray()));

    private static readonly Lazy<BpeTokenizer> s_chatBpe = new(() => ChatTemplate.AddChatTokens(BpeTrainer.Train(
        ["You are brief. What is two plus two? Four. The answer is four. Hello there, hello again."],
        new BpeTrainerOptions { VocabularySize = 256 + 20 + 1 })));

    /// <summary>A small byte-level BPE with <c>&lt;|endoftext|&gt;</c> and the chat markers: the ChatML template applies.</summary>
    public static BpeTokenizer ChatBpe => s_chatBpe.Value;

    /// <summary>Writes <paramref name="lines"/> as a UTF-8 JSONL file in <paramref name="folder"/>.</summary>
    public static string WriteJsonl(string folder, params string[] lines)
    {
        string path = Path.Combine(folder, "data.jsonl");
        File.WriteAllText(path, string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        return path;
    }

    /// <summary>Random examples of 2 .. maxTokens tokens with ids in [1, 50) (0 is the padding id, so padding is
    /// recognisable) and random loss masks with at least one target.</summary>
    public static SftDataset RandomDataset(int count, int maxTokens, int sequenceLength, ulong seed)
    {
        var rng = new CounterRng(seed);
        var examples = new List<TokenizedExample>();
        for (int e = 0; e < count; e++)
        {
            int n = 2 + rng.NextInt(maxTokens - 1);
            var tokens = new int[n];
            var mask = new bool[n];
            for (int i = 0; i < n; i++)
            {
                tokens[i] = 1 + rng.NextInt(49);
                mask[i] = rng.NextInt(3) > 0;
            }
            mask[1 + rng.NextInt(n - 1)] = true;
            examples.Add(new TokenizedExample(tokens, mask));
        }
        return new SftDataset(examples, sequenceLength);
    }

    /// <summary>What an example contributes to a batch: (position, input, target) per pair, as text.</summary>
    public static string Expected(TokenizedExample example)
    {
        var text = new StringBuilder();
        for (int i = 0; i < example.PairCount; i++)
            text.Append($"({i},{example.Tokens[i]},{(example.LossMask[i + 1] ? example.Tokens[i + 1] : -1)})");
        return text.ToString();
    }

    /// <summary>(position, input, target) of batch entries [from, to), as text.</summary>
    public static string Triples(TokenBatch batch, int from, int to)
    {
        var text = new StringBuilder();
        for (int at = from; at < to; at++) text.Append($"({batch.Positions[at]},{batch.Inputs[at]},{batch.Targets[at]})");
        return text.ToString();
    }

    /// <summary>Tokens that carry loss in an unpacked one-row batch, i.e. the targets ≥ 0.</summary>
    public static int[] LearnedTargets(TokenBatch batch) => batch.Targets.Where(t => t >= 0).ToArray();

    /// <summary>Fills one unpacked batch of the whole (single-example) dataset.</summary>
    public static TokenBatch FirstBatch(SftDataset dataset, bool pack = false)
    {
        var source = new SftBatchSource(dataset, 1, seed: 1, pack);
        var batch = source.CreateBatch();
        source.Next(batch);
        return batch;
    }
}
