using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tests.Tokenization;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Tests.Generation;

public class GeneratorTests
{
    private static readonly CharTokenizer Chars = new("abcdefghijklmnopqrstuvwxyz .,!?0123456789"[..37]);

    private static GenerationOptions Sampled(ulong seed, int maxTokens = 24) => new() { Temperature = 1f, Seed = seed, MaxTokens = maxTokens };

    // Acceptance: the same seed gives the same text across runs.
    [Fact]
    public async Task SameSeedGivesTheSameText()
    {
        var generator = GenerationModels.Gpt2Generator();
        var first = await generator.GenerateAsync("Once upon a time", Sampled(5));
        var again = await new Generator(GenerationModels.Gpt2Model, Gpt2Fixture.Tokenizer).GenerateAsync("Once upon a time", Sampled(5));
        var other = await generator.GenerateAsync("Once upon a time", Sampled(6));
        Assert.Equal(first.Text, again.Text);
        Assert.NotEqual(first.Text, other.Text);
        Assert.Equal(24, first.Completions[0].Tokens.Count);
        Assert.Equal(FinishReason.Length, first.FinishReason);
        Assert.Equal(new Usage(4, 24), first.Usage);
    }

    [Fact]
    public async Task GreedyDecodingMatchesFullRecomputation()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 3);
        var generator = new Generator(model, Chars);
        int[] prompt = Chars.Encode("hello there");
        var result = await generator.GenerateAsync(prompt, new GenerationOptions { Temperature = 0, MaxTokens = 60 });
        Assert.Equal(GenerationModels.GreedyByRecomputation(model, prompt, 60), result.Completions[0].TokenIds);
        Assert.Equal(Chars.Decode(result.Completions[0].TokenIds.ToArray()), result.Text);
    }

    // Acceptance: a reused prefix cache gives the same output as no reuse.
    [Fact]
    public async Task PromptCacheGivesTheSameOutputAsNoCache()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 4);
        var generator = new Generator(model, Chars);
        const string prefix = "a long shared system prompt, then ";
        using var cache = generator.CreatePromptCache(prefix);
        Assert.Equal(Chars.Encode(prefix), cache.Tokens);
        foreach (string prompt in (string[])[prefix + "one question", prefix + "another", prefix[..10], prefix])
        {
            var plain = await generator.GenerateAsync(prompt, Sampled(9, 40));
            var reused = await generator.GenerateAsync(prompt, Sampled(9, 40) with { PromptCache = cache });
            Assert.Equal(plain.Completions[0].TokenIds, reused.Completions[0].TokenIds);
            Assert.Equal(plain.Text, reused.Text);
        }

        // A cache built on another reuses its positions and still equals one made from scratch.
        using var longer = generator.CreatePromptCache(Chars.Encode(prefix + "more"), cache);
        var fromLonger = await generator.GenerateAsync(prefix + "more text", Sampled(2) with { PromptCache = longer });
        Assert.Equal((await generator.GenerateAsync(prefix + "more text", Sampled(2))).Text, fromLonger.Text);
    }

    // Acceptance: stop sequences spanning two and three tokens stop generation; the stop text is not returned.
    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public async Task GenerationStopsAtASequenceSpanningTokens(int spanned)
    {
        var generator = GenerationModels.Gpt2Generator();
        var free = await generator.GenerateAsync("The answer is", Sampled(11, 40));
        var pieces = free.Completions[0].Tokens.Select(t => t.Text).ToArray();
        // A stop that starts inside one token and ends inside the token spanned−1 later (printable ASCII pieces),
        // and occurs nowhere earlier in the text.
        string StopAt(int i) => pieces[i][1..] + string.Concat(pieces[(i + 1)..(i + spanned - 1)]) + pieces[i + spanned - 1][..1];
        int at = Enumerable.Range(1, pieces.Length - spanned).First(i =>
            pieces.Skip(i).Take(spanned).All(p => p.Length >= 2 && p.All(ch => ch is >= ' ' and <= '~'))
            && free.Text.IndexOf(StopAt(i), StringComparison.Ordinal) == string.Concat(pieces[..i]).Length + 1);
        string stop = StopAt(at), before = string.Concat(pieces[..at]);

        var stopped = await generator.GenerateAsync("The answer is", Sampled(11, 40) with { StopSequences = [stop] });
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);
        Assert.Equal(before + pieces[at][..1], stopped.Text);
        Assert.Equal(at + spanned, stopped.Completions[0].Tokens.Count);
    }

    [Fact]
    public async Task StreamedChunksConcatenateToTheGeneratedText()
    {
        var generator = GenerationModels.Gpt2Generator();
        var options = Sampled(21, 40) with { Logprobs = 2 };
        var result = await generator.GenerateAsync("Emoji: 😀", options);
        var chunks = await GenerationModels.Collect(generator.StreamAsync("Emoji: 😀", options));
        Assert.Equal(result.Text, string.Concat(chunks.Select(c => c.Text)));
        Assert.Equal(result.Completions[0].TokenIds, chunks.SelectMany(c => c.Tokens).Select(t => t.TokenId));
        Assert.Equal(FinishReason.Length, chunks[^1].FinishReason);
        Assert.All(chunks[..^1], c => Assert.Null(c.FinishReason));
        Assert.All(chunks[..^1], c => Assert.False(GenerationModels.HasLoneSurrogate(c.Text)));
    }

    [Fact]
    public async Task LogprobsAreTheModelsLogSoftmaxWithTopAlternatives()
    {
        var generator = GenerationModels.Gpt2Generator();
        int[] prompt = Gpt2Fixture.Tokenizer.Encode("Logprobs of");
        var result = await generator.GenerateAsync(prompt, new GenerationOptions { Temperature = 0, MaxTokens = 3, Logprobs = 5 });
        var context = prompt.ToList();
        foreach (var token in result.Completions[0].Tokens)
        {
            float[] logits = GenerationModels.LastLogits(GenerationModels.Gpt2Model, context);
            double max = logits.Max(), logSumExp = max + Math.Log(logits.Sum(x => Math.Exp(x - max)));
            Assert.Equal(logits[token.TokenId] - logSumExp, token.Logprob, 4);
            Assert.Equal(5, token.TopAlternatives.Count);
            Assert.Equal(token.TokenId, token.TopAlternatives[0].TokenId); // greedy picks the likeliest
            Assert.True(token.TopAlternatives.Zip(token.TopAlternatives.Skip(1)).All(p => p.First.Logprob >= p.Second.Logprob));
            Assert.Equal(Gpt2Fixture.Tokenizer.Decode([token.TopAlternatives[1].TokenId]), token.TopAlternatives[1].Text);
            context.Add(token.TokenId);
        }
        Assert.Equal(result.Completions[0].Tokens.Average(t => (double)t.Logprob), result.Completions[0].MeanLogprob, 6);
    }

    [Fact]
    public async Task NCompletionsShareThePromptAndDrawIndependently()
    {
        var generator = GenerationModels.Gpt2Generator();
        var three = await generator.GenerateAsync("Many", Sampled(31, 16) with { N = 3 });
        Assert.Equal([0, 1, 2], three.Completions.Select(c => c.Index));
        Assert.Equal(3, three.Completions.Select(c => c.Text).Distinct().Count());
        Assert.Equal(new Usage(1, 48), three.Usage);
        // Completion 0 draws from the same stream as a lone completion with that seed.
        Assert.Equal((await generator.GenerateAsync("Many", Sampled(31, 16))).Text, three.Text);
    }

    [Fact]
    public async Task BestOfKeepsTheCompletionsWithHighestMeanLogprob()
    {
        var generator = GenerationModels.Gpt2Generator();
        var all = await generator.GenerateAsync("Best", Sampled(41, 12) with { N = 5 });
        var best = await generator.GenerateAsync("Best", Sampled(41, 12) with { N = 2, BestOf = 5 });
        var expected = all.Completions.OrderByDescending(c => c.MeanLogprob).Take(2).Select(c => c.Text);
        Assert.Equal(expected, best.Completions.Select(c => c.Text));
        Assert.Equal([0, 1], best.Completions.Select(c => c.Index));
        Assert.Equal(60, best.Usage.CompletionTokens);
    }

    [Fact]
    public async Task BatchedPromptsMatchPromptsGeneratedAlone()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 12);
        var generator = new Generator(model, Chars);
        string[] prompts = ["a", "a much longer prompt than the others", "mid length"];
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 30, StopSequences = ["zz"] };
        var batched = await generator.GenerateBatchAsync(prompts, options);
        Assert.Equal(3, batched.Count);
        for (int i = 0; i < prompts.Length; i++)
        {
            var alone = await generator.GenerateAsync(prompts[i], options);
            Assert.Equal(alone.Completions[0].TokenIds, batched[i].Completions[0].TokenIds);
            Assert.Equal(prompts[i].Length, batched[i].Usage.PromptTokens);
        }
    }

    [Fact]
    public async Task MaxTokensAndTheContextEndGenerationWithLength()
    {
        var generator = GenerationModels.Gpt2Generator(); // context 64
        int[] prompt = Enumerable.Repeat(Gpt2Fixture.Tokenizer.Encode(" x")[0], 60).ToArray();
        var result = await generator.GenerateAsync(prompt, Sampled(1, 100));
        Assert.Equal(FinishReason.Length, result.FinishReason);
        // 60 + 4 fill the context; the fifth is still predicted from those 64 positions.
        Assert.Equal(5, result.Completions[0].Tokens.Count);
    }

    [Fact]
    public async Task EndOfTextTokenEndsTheCompletion()
    {
        var generator = GenerationModels.Gpt2Generator();
        var options = new GenerationOptions { Temperature = 0, LogitBias = new Dictionary<int, float> { [50256] = 100f } };
        var result = await generator.GenerateAsync("The end", options);
        Assert.Equal(FinishReason.EndOfText, result.FinishReason);
        Assert.Equal("", result.Text);
        Assert.Empty(result.Completions[0].Tokens);
        Assert.Contains(50256, generator.EndTokens);
    }

    [Fact]
    public async Task CancellationEndsWithinOneStepAndKeepsTheText()
    {
        var generator = GenerationModels.Gpt2Generator();
        using var cancel = new CancellationTokenSource();
        var chunks = new List<GenerationChunk>();
        await foreach (var chunk in generator.StreamAsync("Stop me", Sampled(3, 50), cancel.Token))
        {
            chunks.Add(chunk);
            if (chunks.Count == 3) cancel.Cancel();
        }
        Assert.Equal(4, chunks.Count);
        Assert.Equal(FinishReason.Cancelled, chunks[^1].FinishReason);

        var cancelled = await generator.GenerateAsync("Stop me", Sampled(3), new CancellationToken(canceled: true));
        Assert.Equal(FinishReason.Cancelled, cancelled.FinishReason);
        Assert.Equal("", cancelled.Text);
    }

    [Fact]
    public async Task ConcurrentRequestsGiveTheSameResultsAsSequentialOnes()
    {
        var generator = GenerationModels.Gpt2Generator();
        string[] prompts = ["First request", "Second one", "Third"];
        var sequential = new List<string>();
        foreach (string p in prompts) sequential.Add((await generator.GenerateAsync(p, Sampled(8))).Text);
        var concurrent = await Task.WhenAll(prompts.Select(p => Task.Run(() => generator.GenerateAsync(p, Sampled(8)))));
        Assert.Equal(sequential, concurrent.Select(r => r.Text));
    }

    [Fact]
    public void BadInputIsRefusedWithClearErrors()
    {
        var generator = GenerationModels.Gpt2Generator();
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { Temperature = -1 })).Message);
        Assert.Contains("Temperature", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { Temperature = float.NaN })).Message);
        Assert.Contains("TopP", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { TopP = 0 })).Message);
        Assert.Contains("TopP", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { TopP = 1.5f })).Message);
        Assert.Contains("MinP", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { MinP = -0.1f })).Message);
        Assert.Contains("TopK", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { TopK = -1 })).Message);
        Assert.Contains("MaxTokens", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { MaxTokens = 0 })).Message);
        Assert.Contains("RepetitionPenalty", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { RepetitionPenalty = 0 })).Message);
        Assert.Contains("StopSequences", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { StopSequences = [""] })).Message);
        Assert.Contains("BestOf", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { N = 2, BestOf = 1 })).Message);
        Assert.Contains("cannot stream", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { N = 1, BestOf = 2 })).Message);
        Assert.Contains("LogitBias", Assert.Throws<ArgumentException>(() => generator.StreamAsync("x", new() { LogitBias = new Dictionary<int, float> { [1] = float.NaN } })).Message);

        string tooLong = string.Concat(Enumerable.Repeat(" word", 64));
        var error = Assert.Throws<ArgumentException>(() => generator.StreamAsync(tooLong));
        Assert.Contains("context holds 64", error.Message);
        Assert.Contains("vocabulary", Assert.Throws<ArgumentException>(() => generator.StreamAsync([50300])).Message);
        Assert.Throws<ArgumentException>(() => new Generator(GenerationModels.Gpt2Model, Chars).StreamAsync(""));
    }
}
