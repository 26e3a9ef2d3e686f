using Gpt.Sdk.Nn;
using Gpt.Sdk.Training;
using Gpt.Sdk.Tests.Training.Sft;

namespace Gpt.Sdk.Tests.Training.Reward;

/// <summary>A preference a tiny model learns in seconds: a response with the letter x beats one without (a ranked list
/// puts two x's above one above none).</summary>
internal static class RewardTestData
{
    private const string Letters = "abcdefgh";

    public static GptModel Model(ulong seed = 5) =>
        new(new GptConfig { VocabularySize = SftTestData.Chars.VocabularySize, ContextLength = 16, EmbeddingSize = 32, LayerCount = 1, HeadCount = 2 }, seed: seed);

    /// <summary><paramref name="count"/> prompts; every fourth is a ranked list of three, the others pairs.</summary>
    public static List<PreferenceExample> Examples(int count, int seed)
    {
        var random = new Random(seed);
        string Word(int xs)
        {
            var chars = Enumerable.Range(0, 5).Select(_ => Letters[random.Next(Letters.Length)]).ToArray();
            foreach (int i in Enumerable.Range(0, 5).OrderBy(_ => random.Next()).Take(xs)) chars[i] = 'x';
            return " " + new string(chars);
        }

        return [.. Enumerable.Range(0, count).Select(i =>
        {
            string prompt = $"{Letters[random.Next(Letters.Length)]}{Letters[random.Next(Letters.Length)]}:";
            return i % 4 == 3 ? new PreferenceExample(prompt, [Word(2), Word(1), Word(0)]) : PreferenceExample.Pair(prompt, Word(1), Word(0));
        })];
    }

    public static TrainingOptions Options(TrainingOptions o) => o with
    {
        SequenceLength = 16, BatchSize = 8, MaxSteps = 60, LearningRate = 3e-3f, MinLearningRate = 3e-4f, WarmupSteps = 5, EvalInterval = 20,
        EvalBatches = 50, Seed = 11,
    };
}
