using Gpt.Sdk.Training;
using static Gpt.Sdk.Tests.Training.Sft.SftTestData;

namespace Gpt.Sdk.Tests.Training.Preference;

/// <summary>Whole prompts per batch, every prompt once an epoch, and a stream that is a function of seed and position.</summary>
public sealed class PreferenceBatchSourceTests
{
    private static PreferenceDataset Data() => PreferenceDataset.FromExamples(
        Enumerable.Range(0, 7).Select(i => i % 2 == 0 ? new PreferenceExample($"P{i}", ["a", "b", "c"]) : PreferenceExample.Pair($"P{i}", "a", "b")),
        Chars, new PreferenceDataOptions { SequenceLength = 16 });

    private static string Prompts(IReadOnlyList<TokenizedPreference> pairs) => string.Join(",", pairs.Select(p => Chars.Decode(p.Prompt)));

    [Fact]
    public void EachEpochVisitsEveryPromptOnceWithAllItsPairsTogether()
    {
        var source = new PreferenceBatchSource(Data(), promptsPerBatch: 3, seed: 1);
        Assert.Equal(3, source.BatchesPerEpoch);
        var seen = new List<string>();
        int[] sizes = new int[3];
        for (int b = 0; b < 3; b++)
        {
            var pairs = source.NextPairs();
            sizes[b] = pairs.Select(p => p.Group).Distinct().Count();
            foreach (var group in pairs.GroupBy(p => p.Group))
            {
                Assert.Equal(group.Key % 2 == 0 ? 3 : 1, group.Count());
                seen.Add(Chars.Decode(group.First().Prompt));
            }
        }
        Assert.Equal([3, 3, 1], sizes);                   // the last batch of the epoch holds what is left
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"P{i}").Order(), seen.Order());
        Assert.Equal(7ul, source.Position);
    }

    [Fact]
    public void TheStreamIsAFunctionOfSeedAndPosition()
    {
        var a = new PreferenceBatchSource(Data(), 2, seed: 5);
        var expected = Enumerable.Range(0, 9).Select(_ => Prompts(a.NextPairs())).ToArray();
        var b = new PreferenceBatchSource(Data(), 2, seed: 5);
        for (int i = 0; i < 4; i++) b.NextPairs();
        var resumed = new PreferenceBatchSource(Data(), 2, seed: 5) { Position = b.Position };
        Assert.Equal(expected[4..], Enumerable.Range(0, 5).Select(_ => Prompts(resumed.NextPairs())));
        var other = new PreferenceBatchSource(Data(), 2, seed: 6);
        Assert.NotEqual(expected, Enumerable.Range(0, 9).Select(_ => Prompts(other.NextPairs())));
    }
}
