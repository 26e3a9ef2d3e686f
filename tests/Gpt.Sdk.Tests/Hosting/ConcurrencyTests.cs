using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Tokenization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Gpt.Sdk.Tests.Hosting;

public class ConcurrencyTests
{
    [Fact]
    public async Task SixteenConcurrentRequestsEachGiveTheirSoloReply()
    {
        using var services = HostingModels.Services(gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer));
        var client = services.GetRequiredService<IChatClient>();
        const int requests = 16;
        var solo = new string[requests];
        for (int i = 0; i < requests; i++) solo[i] = (await client.GetResponseAsync(Question(i), HostingModels.Sampled(seed: i, maxTokens: 20 + i))).Text;

        // Half stream, half not; all start together on the thread pool.
        var together = await Task.WhenAll(Enumerable.Range(0, requests).Select(i => Task.Run(async () =>
        {
            if (i % 2 == 1) return (await client.GetResponseAsync(Question(i), HostingModels.Sampled(seed: i, maxTokens: 20 + i))).Text;
            var text = new System.Text.StringBuilder();
            await foreach (var update in client.GetStreamingResponseAsync(Question(i), HostingModels.Sampled(seed: i, maxTokens: 20 + i))) text.Append(update.Text);
            return text.ToString();
        })));

        Assert.Equal(solo, together);
        Assert.Equal(requests, solo.Distinct().Count());
    }

    [Fact]
    public async Task ARequestPausedMidStreamDoesNotHoldUpAnother()
    {
        var client = HostingModels.Client();
        string expected = (await client.GetResponseAsync(Question(1), HostingModels.Sampled(seed: 1, maxTokens: 30))).Text;

        await using var paused = client.GetStreamingResponseAsync(Question(1), HostingModels.Sampled(seed: 1, maxTokens: 30)).GetAsyncEnumerator();
        Assert.True(await paused.MoveNextAsync());                      // request 1 is in flight, holding its cache
        var text = new System.Text.StringBuilder(paused.Current.Text);

        // A global lock held per request would make this wait forever.
        var other = await client.GetResponseAsync(Question(2), HostingModels.Sampled(seed: 2, maxTokens: 30)).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(30, other.Usage!.OutputTokenCount);

        while (await paused.MoveNextAsync()) text.Append(paused.Current.Text);
        Assert.Equal(expected, text.ToString());
    }

    [Fact]
    public async Task CancellingAStreamEndsItWithinOneDecodingStep()
    {
        var client = HostingModels.Client();
        using var cancel = new CancellationTokenSource();
        int steps = 0, stepsAfterCancel = 0;
        var stream = client.GetStreamingResponseAsync(Question(3), HostingModels.Sampled(seed: 3, maxTokens: 100), cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in stream)
            {
                steps += ((GenerationChunk)update.RawRepresentation!).Tokens.Count;
                if (cancel.IsCancellationRequested) stepsAfterCancel++;
                if (steps == 5) cancel.Cancel();
            }
        });
        Assert.Equal(5, steps - stepsAfterCancel);
        Assert.InRange(stepsAfterCancel, 0, 1);
    }

    [Fact]
    public async Task CancellingAResponseEndsItWithinOneDecodingStepAndLogsWhatItHad()
    {
        using var cancel = new CancellationTokenSource();
        // Each generated token is decoded at least once in its own step, so when the k-th decode fires at most
        // k tokens exist; a request that stops within one step ends with at most k + 1.
        const int k = 6;
        var tokenizer = new DecodeCountingTokenizer(HostingModels.Tokenizer, k, cancel);
        var logger = new ListLogger<GptChatClient>();
        var client = HostingModels.Client(tokenizer, logger: logger);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            client.GetResponseAsync(Question(4), HostingModels.Sampled(seed: 4, maxTokens: 100), cancel.Token));

        var cancelled = Assert.Single(logger.Entries, e => e.EventId == 5);
        Assert.InRange((int)cancelled.Values["CompletionTokens"]!, 1, k + 1);
        Assert.DoesNotContain(logger.Entries, e => e.EventId == 4 || e.EventId == 6);
    }

    [Fact]
    public async Task AnAlreadyCancelledTokenRunsNoStep()
    {
        var logger = new ListLogger<GptChatClient>();
        var client = HostingModels.Client(logger: logger);
        var token = new CancellationToken(canceled: true);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync(Question(5), HostingModels.Sampled(5), token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync(Question(5), HostingModels.Sampled(5), token)) Assert.Fail("no update expected");
        });
        Assert.All(logger.Entries.Where(e => e.EventId == 5), e => Assert.Equal(0, e.Values["CompletionTokens"]));
        Assert.Equal(2, logger.Entries.Count(e => e.EventId == 5));
    }

    private static ChatMessage[] Question(int i) => HostingModels.Ask($"Question number {i}: what comes next?");

    /// <summary>Cancels a token source on the k-th call to <see cref="Decode"/>.</summary>
    private sealed class DecodeCountingTokenizer(ITokenizer inner, int cancelAt, CancellationTokenSource cancel) : ITokenizer
    {
        private int _decodes;

        public int VocabularySize => inner.VocabularySize;

        public int[] Encode(string text) => inner.Encode(text);

        public string Decode(ReadOnlySpan<int> ids)
        {
            if (Interlocked.Increment(ref _decodes) == cancelAt) cancel.Cancel();
            return inner.Decode(ids);
        }
    }
}
