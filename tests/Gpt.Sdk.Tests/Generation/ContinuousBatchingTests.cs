using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tests.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gpt.Sdk.Tests.Generation;

/// <summary>
/// Continuous batching: concurrent requests share decoding steps, each getting what it gets alone. The CPU GEMM sums a
/// row in an order that depends on the rows in the step (one row: four interleaved chains; two to eight: one chain per
/// output; more: the packed kernel), so a row's logits may differ in the last bits between a solo step and a shared one.
/// What holds, and is tested: identical tokens (greedy and seeded sampling; a flip would need two candidates within a
/// few ulps) and log-probabilities equal to within 1e-4.
/// </summary>
public class ContinuousBatchingTests
{
    private const float LogprobTolerance = 1e-4f; // a few float32 ulps of the logits, through log-softmax

    private static string Prompt(int i) => $"Request {i}: tell me about the number {i * 7 % 13}.";

    // Sixteen requests that differ in every per-request option the batch must keep apart.
    private static GenerationOptions Options(int i) => new()
    {
        MaxTokens = 12 + i,
        Temperature = i % 3 == 0 ? 0 : 0.7f + 0.1f * (i % 4),
        TopK = i % 4 == 1 ? 20 : 0,
        TopP = i % 5 == 2 ? 0.9f : 1f,
        RepetitionPenalty = i % 6 == 3 ? 1.3f : 1f,
        Seed = (ulong)(100 + i),
        StopSequences = i % 7 == 4 ? ["e"] : null,
        Logprobs = i % 2 == 0 ? 2 : null,
    };

    private static ServiceProvider Service(Func<BatchingOptions, BatchingOptions>? batching = null) =>
        HostingModels.Services(gpt =>
        {
            gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer);
            if (batching is not null) gpt.WithBatching(batching);
        });

    private static void AssertSameCompletion(GenerationResult solo, GenerationResult batched)
    {
        var expected = solo.Completions[0];
        var actual = batched.Completions[0];
        Assert.Equal(expected.TokenIds, actual.TokenIds);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        for (int t = 0; t < expected.Tokens.Count; t++)
        {
            Assert.Equal(expected.Tokens[t].Logprob, actual.Tokens[t].Logprob, LogprobTolerance);
            Assert.Equal(expected.Tokens[t].TopAlternatives.Select(a => a.TokenId), actual.Tokens[t].TopAlternatives.Select(a => a.TokenId));
        }
    }

    [Fact]
    public async Task SixteenConcurrentRequestsThroughTheServiceEachEqualTheirSoloRun()
    {
        using var services = Service();
        var generator = services.GetRequiredService<Generator>();
        Assert.True(generator.Batching.Enabled);
        const int requests = 16;
        var solo = new GenerationResult[requests];
        for (int i = 0; i < requests; i++) solo[i] = await generator.GenerateAsync(Prompt(i), Options(i));
        Assert.Equal(1, generator.BatchingStatistics.LargestStep);   // alone, every step had one row

        // Half stream, half not; all start together.
        var together = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            if (i % 2 == 1) return await generator.GenerateAsync(Prompt(i), Options(i));
            var chunks = await GenerationModels.Collect(generator.StreamAsync(Prompt(i), Options(i)));
            var tokens = chunks.SelectMany(c => c.Tokens).ToArray();
            return new GenerationResult(
                [new Completion(0, string.Concat(chunks.Select(c => c.Text)), chunks[^1].FinishReason!.Value, tokens)],
                new Usage(0, tokens.Length));
        })));

        for (int i = 0; i < requests; i++) AssertSameCompletion(solo[i], together[i]);
        Assert.Equal(requests, solo.Select(s => s.Text).Distinct().Count());
        Assert.InRange(generator.BatchingStatistics.LargestStep, 4, requests);   // they did share steps
    }

    [Fact]
    public async Task CancellingSomeRequestsMidBatchLeavesTheOthersUntouched()
    {
        using var services = Service();
        var generator = services.GetRequiredService<Generator>();
        const int requests = 12;
        var options = Enumerable.Range(0, requests).Select(i => Options(i) with { MaxTokens = 40, StopSequences = null }).ToArray();
        var solo = new GenerationResult[requests];
        for (int i = 0; i < requests; i++) solo[i] = await generator.GenerateAsync(Prompt(i), options[i]);

        var results = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            using var cancel = new CancellationTokenSource();
            var chunks = new List<GenerationChunk>();
            await foreach (var chunk in generator.StreamAsync(Prompt(i), options[i], cancel.Token))
            {
                chunks.Add(chunk);
                if (i % 3 == 0 && chunks.Count == 5 + i / 3) cancel.Cancel();
            }
            return chunks;
        })));

        for (int i = 0; i < requests; i++)
        {
            int[] ids = [.. results[i].SelectMany(c => c.Tokens).Select(t => t.TokenId)];
            if (i % 3 == 0)
            {
                Assert.Equal(FinishReason.Cancelled, results[i][^1].FinishReason);
                Assert.Equal(5 + i / 3, ids.Length);                            // ended at the next chunk after the cancel
                Assert.Equal(solo[i].Completions[0].TokenIds.Take(ids.Length), ids);
            }
            else
            {
                Assert.Equal(solo[i].Completions[0].FinishReason, results[i][^1].FinishReason);
                Assert.Equal(solo[i].Completions[0].TokenIds, ids);
            }
        }
    }

    [Fact]
    public async Task ARequestWithABadOptionFailsAloneAndTheOthersComplete()
    {
        using var services = Service();
        var generator = services.GetRequiredService<Generator>();
        int vocab = HostingModels.Config.VocabularySize;
        // Valid at the door, impossible at the first draw: every token banned.
        var banAll = new GenerationOptions { Temperature = 1, MaxTokens = 10, LogitBias = Enumerable.Range(0, vocab).ToDictionary(id => id, _ => float.NegativeInfinity) };
        var solo = new GenerationResult[8];
        for (int i = 0; i < solo.Length; i++) solo[i] = await generator.GenerateAsync(Prompt(i), Options(i));

        var good = Enumerable.Range(0, solo.Length).Select(i => generator.GenerateAsync(Prompt(i), Options(i))).ToArray();
        var banned = generator.GenerateAsync(Prompt(99), banAll);
        var refused = Assert.Throws<ArgumentException>(() => generator.StreamAsync(Prompt(98), new GenerationOptions { TopP = 2 }));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => banned);
        Assert.Contains("every token was removed", error.Message);
        Assert.Contains("top-p", refused.Message);
        for (int i = 0; i < solo.Length; i++) AssertSameCompletion(solo[i], await good[i]);
    }

    [Fact]
    public async Task PastTheQueueLimitARequestIsRefusedWithAReasonOrWaits()
    {
        using var services = Service(b => b with { MaxBatchSize = 1, MaxQueuedRequests = 1 });
        var generator = services.GetRequiredService<Generator>();
        var options = new GenerationOptions { Temperature = 0, MaxTokens = 20 };

        // A holds the batch's one row (paused after its first chunk); B waits in the queue's one place.
        await using var a = generator.StreamAsync(Prompt(1), options).GetAsyncEnumerator();
        Assert.True(await a.MoveNextAsync());
        await using var b = generator.StreamAsync(Prompt(2), options).GetAsyncEnumerator();
        var bFirst = b.MoveNextAsync().AsTask();
        await WaitUntil(() => generator.QueuedRequests == 1);

        var full = await Assert.ThrowsAsync<GenerationQueueFullException>(() => generator.GenerateAsync(Prompt(3), options));
        Assert.Equal(1, full.QueueLimit);
        Assert.Contains("MaxQueuedRequests", full.Message);
        Assert.False(bFirst.IsCompleted);

        while (await a.MoveNextAsync()) { }                 // A ends, B gets the row
        Assert.True(await bFirst);
        while (await b.MoveNextAsync()) { }
        Assert.Equal(20, (await generator.GenerateAsync(Prompt(3), options)).Completions[0].Tokens.Count);   // room again

        // Waiting instead: the third request is served once the others are done, and one cancelled while waiting ends cleanly.
        using var waiting = Service(o => o with { MaxBatchSize = 1, MaxQueuedRequests = 1, WaitWhenQueueFull = true });
        var patient = waiting.GetRequiredService<Generator>();
        await using var holder = patient.StreamAsync(Prompt(1), options).GetAsyncEnumerator();
        Assert.True(await holder.MoveNextAsync());
        var queued = patient.GenerateAsync(Prompt(2), options);
        await WaitUntil(() => patient.QueuedRequests == 1);
        using var cancel = new CancellationTokenSource();
        var third = patient.GenerateAsync(Prompt(3), options);
        var cancelled = patient.GenerateAsync(Prompt(4), options, cancel.Token);
        cancel.Cancel();
        Assert.Equal(FinishReason.Cancelled, (await cancelled).FinishReason);
        Assert.False(third.IsCompleted);
        while (await holder.MoveNextAsync()) { }
        Assert.Equal(20, (await queued).Completions[0].Tokens.Count);
        Assert.Equal(20, (await third).Completions[0].Tokens.Count);
    }

    [Fact]
    public void LimitsOfZeroAreRefusedAtValidation()
    {
        Assert.Contains("max batch size", Assert.Throws<ArgumentException>(() => new BatchingOptions { MaxBatchSize = 0 }.Validate()).Message);
        Assert.Contains("max queued requests", Assert.Throws<ArgumentException>(() => new BatchingOptions { MaxQueuedRequests = 0 }.Validate()).Message);
        Assert.Throws<ArgumentException>(() => new BatchingOptions { PrefillChunkTokens = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new Generator(HostingModels.Model, HostingModels.Tokenizer, null, new BatchingOptions { MaxBatchSize = 0 }));

        using var services = Service(b => b with { MaxQueuedRequests = 0 });
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<Generator>());
        Assert.Contains("Batching.MaxQueuedRequests", error.Message);
    }

    [Fact]
    public async Task RowsUnderDifferentAdaptersShareABatchAndEachFollowsItsOwnAdapter()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 31);
        var adapters = new[] { TinyModels.AddRandomLoraAdapter(model, "A", seed: 6), TinyModels.AddRandomLoraAdapter(model, "B", seed: 7), null };
        var chars = new Gpt.Sdk.Tokenization.CharTokenizer("abcdefghijklmnopqrstuvwxyz .,!?0123456789"[..37]);
        var generator = new Generator(model, chars);
        const int requests = 12;
        int[] Ids(int i) => chars.Encode($"row {(char)('a' + i)} asks");
        GenerationOptions Greedy(int i) => new() { Temperature = 0, MaxTokens = 16 + i, Adapter = adapters[i % 3]?.Name };

        var results = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(() => generator.GenerateAsync(Ids(i), Greedy(i)))));

        Assert.InRange(generator.BatchingStatistics.LargestStep, 2, requests);
        for (int i = 0; i < requests; i++)   // against full recomputation under the row's own adapter, an independent path
            Assert.Equal(GenerationModels.GreedyByRecomputation(model, Ids(i), 16 + i, adapters[i % 3]), results[i].Completions[0].TokenIds);
    }

    [Fact]
    public async Task ALongPromptIsPrefilledInChunksWhileTheOthersKeepDecoding()
    {
        using var model = new GptModel(GenerationModels.LongContext(), seed: 32);
        var chars = new Gpt.Sdk.Tokenization.CharTokenizer("abcdefghijklmnopqrstuvwxyz .,!?0123456789"[..37]);
        var generator = new Generator(model, chars, null, new BatchingOptions { PrefillChunkTokens = 4 });
        int[] shortPrompt = chars.Encode("short one");
        int[] longPrompt = chars.Encode(string.Concat(Enumerable.Repeat("a much longer prompt, ", 9)));   // 198 tokens: 50 chunks
        var greedy = new GenerationOptions { Temperature = 0, MaxTokens = 60 };

        await using var running = generator.StreamAsync(shortPrompt, greedy).GetAsyncEnumerator();
        Assert.True(await running.MoveNextAsync());
        var shortTokens = new List<int>(running.Current.Tokens.Select(t => t.TokenId));
        var longRequest = generator.StreamAsync(longPrompt, greedy with { MaxTokens = 10 }).GetAsyncEnumerator();
        var longFirst = longRequest.MoveNextAsync().AsTask();
        int tokensWhileLongPrefilled = 0;
        while (!longFirst.IsCompleted && await running.MoveNextAsync())
        {
            shortTokens.AddRange(running.Current.Tokens.Select(t => t.TokenId));
            tokensWhileLongPrefilled++;
        }
        // Prefilled whole, the long prompt would hold the short request to at most one token until its first; in chunks, the
        // short request keeps decoding in the steps between (as many as its caller comes back for in time).
        Assert.InRange(tokensWhileLongPrefilled, 3, 60);
        while (await running.MoveNextAsync()) shortTokens.AddRange(running.Current.Tokens.Select(t => t.TokenId));
        Assert.True(await longFirst);
        var longTokens = new List<int>(longRequest.Current.Tokens.Select(t => t.TokenId));
        while (await longRequest.MoveNextAsync()) longTokens.AddRange(longRequest.Current.Tokens.Select(t => t.TokenId));
        await longRequest.DisposeAsync();

        Assert.Equal(GenerationModels.GreedyByRecomputation(model, shortPrompt, 60), shortTokens);
        Assert.Equal(GenerationModels.GreedyByRecomputation(model, longPrompt, 10), longTokens);

        // The prompt cache still applies in the shared batch: its positions are copied, the rest prefilled in chunks.
        using var prefix = generator.CreatePromptCache(longPrompt[..150]);
        var cached = await generator.GenerateAsync(longPrompt, greedy with { MaxTokens = 10, PromptCache = prefix });
        Assert.Equal(longTokens, cached.Completions[0].TokenIds);
    }

    [Fact]
    public async Task WithBatchingOffEachRequestRunsAloneAndGivesTheSameTokens()
    {
        using var on = Service();
        using var off = Service(b => b with { Enabled = false });
        var batched = on.GetRequiredService<Generator>();
        var alone = off.GetRequiredService<Generator>();
        Assert.False(alone.Batching.Enabled);
        var fromOff = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => alone.GenerateAsync(Prompt(i), Options(i)))));
        var fromOn = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => batched.GenerateAsync(Prompt(i), Options(i)))));
        for (int i = 0; i < 8; i++) AssertSameCompletion(fromOff[i], fromOn[i]);
        Assert.Equal(0, alone.BatchingStatistics.LargestStep);
    }

    [Fact]
    public async Task ARequestWithMoreCompletionsThanTheBatchHoldsRunsOnItsOwn()
    {
        using var services = Service(b => b with { MaxBatchSize = 2 });
        var generator = services.GetRequiredService<Generator>();
        var options = new GenerationOptions { Temperature = 1, Seed = 5, N = 3, MaxTokens = 8 };
        var result = await generator.GenerateAsync(Prompt(1), options);
        Assert.Equal(3, result.Completions.Count);
        Assert.Equal(0, generator.BatchingStatistics.LargestStep);
        var reference = await new Generator(HostingModels.Model, HostingModels.Tokenizer, null, new BatchingOptions { Enabled = false }).GenerateAsync(Prompt(1), options);
        Assert.Equal(reference.Completions.Select(c => c.TokenIds), result.Completions.Select(c => c.TokenIds));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 3000 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }
}
