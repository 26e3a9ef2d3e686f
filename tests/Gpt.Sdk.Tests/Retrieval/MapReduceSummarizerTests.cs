using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Retrieval;

public sealed class MapReduceSummarizerTests
{
    private static readonly CharTokenizer s_chars = new(new string(Enumerable.Range(32, 95).Select(c => (char)c).Append('\n').ToArray()));
    private const int Context = 200;
    private static readonly SummarizationOptions s_options = new() { MapInstruction = "Sum up.", ReduceInstruction = "Merge.", MaxSummaryTokens = 20 };

    /// <summary>A scripted model: each summary is exactly <see cref="SummarizationOptions.MaxSummaryTokens"/> characters, and
    /// every prompt it is given is checked to fit the context with room for that summary.</summary>
    private sealed class ScriptedSummaries(SummarizationOptions options, Action<int>? afterCall = null)
    {
        public List<(string Instruction, string Text)> Calls { get; } = [];

        public Task<string> Summarize(IReadOnlyList<ChatTurn> turns, CancellationToken cancellationToken)
        {
            int prompt = ChatTemplate.PlainText.Encode(s_chars, turns).Tokens.Length;
            Assert.True(prompt + options.MaxSummaryTokens <= Context, $"a prompt of {prompt} tokens leaves no room for the summary");
            Calls.Add((turns[0].Text, turns[1].Text));
            afterCall?.Invoke(Calls.Count);
            string summary = $"s{Calls.Count}:";
            return Task.FromResult(summary + new string('x', options.MaxSummaryTokens - summary.Length));
        }
    }

    [Fact]
    public async Task A_long_text_is_mapped_by_chunks_and_reduced_round_after_round_until_one_summary_fits()
    {
        var script = new ScriptedSummaries(s_options);
        var summarizer = new MapReduceSummarizer(s_chars, ChatTemplate.PlainText, Context, script.Summarize, s_options);
        string text = string.Concat(Enumerable.Range(0, 400).Select(i => $"Line {i} says something. "));
        var reports = new List<SummarizationProgress>();
        var result = await summarizer.SummarizeAsync(text, new SyncProgress<SummarizationProgress>(reports.Add));

        var maps = script.Calls.Where(c => c.Instruction == "Sum up.").ToList();
        Assert.Equal(result.Chunks, maps.Count);
        // The chunks are the text, in order, without gaps (no overlap was asked for).
        Assert.Equal(text, string.Concat(maps.Select(m => m.Text)));
        Assert.All(maps, m => Assert.True(m.Text.Length <= result.ChunkTokens));

        // Reduce rounds: each step takes as many 20-token summaries as fit beside the instruction, so the count shrinks
        // by that factor each round until one step holds them all.
        int reducePerStep = (result.ChunkTokens + 2) / (20 + 2); // summaries joined by "\n\n" (2 characters)
        Assert.True(reducePerStep >= 2);
        var expectedRounds = new List<int>();
        for (int count = maps.Count; count > 1; count = (count + reducePerStep - 1) / reducePerStep) expectedRounds.Add((count + reducePerStep - 1) / reducePerStep);
        Assert.True(expectedRounds.Count >= 2, "the test text should need more than one reduce round");
        Assert.Equal(expectedRounds.Count, result.ReduceRounds);
        Assert.Equal(maps.Count + expectedRounds.Sum(), result.ModelCalls);
        Assert.Equal(script.Calls.Count, result.ModelCalls);
        Assert.Equal($"s{script.Calls.Count}:", result.Summary[..$"s{script.Calls.Count}:".Length]);

        // Progress: every call reported, stage by stage, the counts of each round.
        Assert.Equal(result.ModelCalls, reports.Count);
        Assert.Equal(Enumerable.Range(1, maps.Count).Select(i => new SummarizationProgress(SummarizationStage.Map, 0, i, maps.Count)), reports.Take(maps.Count));
        var reduceReports = reports.Skip(maps.Count).ToList();
        Assert.All(reduceReports, r => Assert.Equal(SummarizationStage.Reduce, r.Stage));
        Assert.Equal(expectedRounds, reduceReports.GroupBy(r => r.Round).Select(g => g.Last().Total));
        Assert.All(reduceReports.GroupBy(r => r.Round), g => Assert.Equal(g.Last().Total, g.Last().Completed));

        // The first reduce step is given the first map summaries, joined.
        var firstReduce = script.Calls[maps.Count];
        Assert.Equal("Merge.", firstReduce.Instruction);
        Assert.StartsWith("s1:xx", firstReduce.Text);
        Assert.Contains("\n\ns2:", firstReduce.Text);
    }

    [Fact]
    public async Task A_text_that_fits_is_summarised_in_one_call()
    {
        var script = new ScriptedSummaries(s_options);
        var summarizer = new MapReduceSummarizer(s_chars, ChatTemplate.PlainText, Context, script.Summarize, s_options);
        var result = await summarizer.SummarizeAsync("A short text.");
        Assert.Equal((1, 0, 1), (result.Chunks, result.ReduceRounds, result.ModelCalls));
        Assert.Equal("A short text.", Assert.Single(script.Calls).Text);
    }

    [Fact]
    public async Task Cancellation_stops_between_calls_and_bad_input_is_refused()
    {
        using var cancel = new CancellationTokenSource();
        var script = new ScriptedSummaries(s_options, calls => { if (calls == 2) cancel.Cancel(); });
        var summarizer = new MapReduceSummarizer(s_chars, ChatTemplate.PlainText, Context, script.Summarize, s_options);
        string text = string.Concat(Enumerable.Repeat("Words and more words. ", 100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => summarizer.SummarizeAsync(text, null, cancel.Token));
        Assert.Equal(2, script.Calls.Count);

        await Assert.ThrowsAsync<ArgumentException>(() => summarizer.SummarizeAsync(" "));
        var tooLong = s_options with { MaxSummaryTokens = 60 };
        var cramped = new MapReduceSummarizer(s_chars, ChatTemplate.PlainText, Context, new ScriptedSummaries(tooLong).Summarize, tooLong);
        Assert.Contains("room for two summaries", (await Assert.ThrowsAsync<InvalidOperationException>(() => cramped.SummarizeAsync(text))).Message);
        Assert.Throws<ArgumentException>(() => new MapReduceSummarizer(s_chars, ChatTemplate.PlainText, Context, script.Summarize, s_options with { MaxSummaryTokens = 0 }));
    }

    [Fact]
    public async Task A_real_model_summarises_through_its_generator_and_reports_every_step()
    {
        var config = new GptConfig { VocabularySize = s_chars.VocabularySize, ContextLength = 160, EmbeddingSize = 16, LayerCount = 1, HeadCount = 2 };
        using var model = new GptModel(config, seed: 3);
        var summarizer = new MapReduceSummarizer(new Generator(model, s_chars), s_options with { MaxSummaryTokens = 12 });
        var reports = new List<SummarizationProgress>();
        var result = await summarizer.SummarizeAsync(string.Concat(Enumerable.Repeat("The river floods in spring. ", 30)),
            new SyncProgress<SummarizationProgress>(reports.Add));
        Assert.True(result.Chunks > 1);
        Assert.True(result.ReduceRounds >= 1);
        Assert.Equal(result.ModelCalls, reports.Count);
        Assert.Equal(SummarizationStage.Reduce, reports[^1].Stage);
        Assert.Equal((1, 1), (reports[^1].Completed, reports[^1].Total));
    }
}
