using System.Diagnostics;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Tests.Hosting;
using Xunit.Abstractions;

namespace Gpt.Sdk.Tests.Generation;

/// <summary>
/// A soak of the continuous-batching scheduler: many short requests from many concurrent clients on a tiny model, with
/// every way a request can end mixed in (answered, paused between chunks, cancelled mid-stream or before it starts,
/// refused at a full queue, refused for a bad option, failed alone in the batch). Both hangs the scheduler has had showed
/// only under load like this, so a hang fails the test after a generous limit, naming the requests still open, rather
/// than hanging the run. Tokens are checked too: a request's tokens do not depend on the batch around it (seeded
/// sampling; see <see cref="ContinuousBatchingTests"/>), so each answer must equal the same request run alone.
/// </summary>
public class SchedulerSoakTests(ITestOutputHelper output)
{
    private const int Requests = 1_500, Clients = 24, Variants = 8, QueueLimit = 4;
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);   // about 2 s on 2 busy cores

    private enum Kind { Plain, Pausing, CancelMidStream, CancelledBefore, BadOption, BansEveryToken }

    private enum Outcome { Answered, Cancelled, Refused, Failed }

    private sealed record Ending(Outcome Outcome, List<int> Tokens, Exception? Error = null);

    private static Kind KindOf(int i) => i switch
    {
        _ when i % 50 == 17 => Kind.BadOption,
        _ when i % 50 == 33 => Kind.BansEveryToken,
        _ when i % 40 == 9 => Kind.CancelledBefore,
        _ when i % 11 == 5 => Kind.CancelMidStream,
        _ when i % 3 == 1 => Kind.Pausing,
        _ => Kind.Plain,
    };

    private static string Prompt(int variant) => $"Soak {variant}, go:";

    // Variant v = i mod 8 fixes the prompt and options, so each answer has a solo run to equal; at least 3 tokens, so a
    // cancel after the first chunk always lands before the natural end.
    private static GenerationOptions Options(int i, Kind kind)
    {
        int v = i % Variants;
        var options = new GenerationOptions
        {
            MaxTokens = 3 + v % 4, Temperature = v % 2 == 0 ? 0 : 0.9f, TopK = v % 4 == 3 ? 10 : 0, Seed = (ulong)(40 + v),
        };
        return kind switch
        {
            Kind.BadOption => options with { TopP = 2 },
            Kind.BansEveryToken => options with
            {
                LogitBias = Enumerable.Range(0, HostingModels.Config.VocabularySize).ToDictionary(id => id, _ => float.NegativeInfinity),
            },
            _ => options,
        };
    }

    [Fact]
    public async Task FifteenHundredRequestsFromTwentyFourClientsAllEndAsTheyShould()
    {
        var generator = new Generator(HostingModels.Model, HostingModels.Tokenizer, null,
            new BatchingOptions { MaxBatchSize = 16, MaxQueuedRequests = QueueLimit });
        var solo = new List<int>[Variants];
        for (int v = 0; v < Variants; v++)
            solo[v] = [.. (await generator.GenerateAsync(Prompt(v), Options(v, Kind.Plain))).Completions[0].TokenIds];

        var endings = new Ending?[Requests];
        var progress = new string?[Requests];   // what an open request last did, for the report of a hang
        int next = -1;
        async Task Client(int client)
        {
            var random = new Random(client);
            int i;
            while ((i = Interlocked.Increment(ref next)) < Requests)
            {
                progress[i] = "calling";
                var ending = await RunOne(generator, i, random, progress);
                Volatile.Write(ref endings[i], ending);
                if (ending.Outcome == Outcome.Refused) await Task.Delay(20);   // a client backs off when told the service is busy
            }
        }

        var clock = Stopwatch.StartNew();
        var all = Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(() => Client(c))));
        if (await Task.WhenAny(all, Task.Delay(HangLimit)) != all)
        {
            var open = Enumerable.Range(0, Requests).Where(i => Volatile.Read(ref endings[i]) is null && progress[i] is not null)
                .Select(i => $"#{i} ({KindOf(i)}): {progress[i]}");
            Assert.Fail($"the soak hung: after {HangLimit.TotalSeconds} s, {Requests - endings.Count(e => e is not null)} requests had not ended " +
                        $"({generator.QueuedRequests} queued); open: {string.Join("; ", open)}");
        }
        await all;
        var elapsed = clock.Elapsed;

        var problems = new List<string>();
        for (int i = 0; i < Requests; i++)
        {
            var ending = endings[i];
            var expected = solo[i % Variants];
            string? problem = (KindOf(i), ending) switch
            {
                (_, null) => "never ended",
                (_, { Outcome: Outcome.Refused, Error: GenerationQueueFullException { QueueLimit: QueueLimit } }) when KindOf(i) is not (Kind.BadOption or Kind.CancelledBefore) => null,
                (Kind.BadOption, { Outcome: Outcome.Failed, Error: ArgumentException e }) when e.Message.Contains("top-p") => null,
                (Kind.BansEveryToken, { Outcome: Outcome.Failed, Error: InvalidOperationException e }) when e.Message.Contains("every token was removed") => null,
                (Kind.CancelledBefore, { Outcome: Outcome.Cancelled, Tokens.Count: 0 }) => null,
                (Kind.CancelMidStream, { Outcome: Outcome.Cancelled } e) when e.Tokens.SequenceEqual(expected.Take(1)) => null,   // ended at the chunk after the cancel
                (Kind.Plain or Kind.Pausing, { Outcome: Outcome.Answered } e) when e.Tokens.SequenceEqual(expected) => null,
                (var kind, { } e) => $"{kind} ended {e.Outcome} with tokens [{string.Join(",", e.Tokens)}] (alone: [{string.Join(",", expected)}]) {e.Error?.GetType().Name} {e.Error?.Message}",
            };
            if (problem is not null) problems.Add($"#{i}: {problem}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems.Take(20)));

        var counts = endings.GroupBy(e => e!.Outcome).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{Requests} requests in {elapsed.TotalSeconds:F2} s: {string.Join(", ", counts.OrderBy(c => c.Key))}; " +
                         $"mean rows per step {generator.BatchingStatistics.MeanRowsPerStep:F2}");
        Assert.Equal(Requests, counts.Values.Sum());
        foreach (var outcome in Enum.GetValues<Outcome>()) Assert.True(counts.GetValueOrDefault(outcome) > 0, $"no request ended {outcome}: {string.Join(", ", counts)}");
        Assert.InRange(generator.BatchingStatistics.LargestStep, 2, 16);   // the clients did share steps
        Assert.Equal(0, generator.QueuedRequests);
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"the soak took {elapsed.TotalSeconds:F1} s; it takes about 2 s on 2 busy cores");
    }

    [Fact]
    public async Task ARequestArrivingWhileTheLoopWaitsForAPausedStreamIsServedWhileThatStreamStaysPaused()
    {
        // The loop gives the caller it has just served a grace period to come back. A request that arrives inside it (here,
        // at once, from the caller itself) must be served even though that caller then stays paused until the request is
        // done: a wake-up spent on the grace wait must not leave the loop asleep with the request queued. Each round is
        // one more chance to arrive inside the window.
        var generator = new Generator(HostingModels.Model, HostingModels.Tokenizer);
        const int rounds = 50;
        var quick = new GenerationOptions { Temperature = 0, MaxTokens = 2 };
        var alone = (await generator.GenerateAsync(Prompt(1), quick)).Completions[0].TokenIds;
        await using var paused = generator.StreamAsync(Prompt(0), new GenerationOptions { Temperature = 0, MaxTokens = rounds }).GetAsyncEnumerator();
        for (int round = 0; round < rounds; round++)
        {
            Assert.True(await paused.MoveNextAsync());
            var other = generator.GenerateAsync(Prompt(1), quick);
            if (await Task.WhenAny(other, Task.Delay(TimeSpan.FromSeconds(10))) != other)
                Assert.Fail($"round {round}: a request that arrived while the loop waited for a paused stream was not served in 10 s " +
                            $"({generator.QueuedRequests} queued)");
            Assert.Equal(alone, (await other).Completions[0].TokenIds);
        }
        Assert.False(await paused.MoveNextAsync());
    }

    // One request, streamed as its kind of client reads it.
    private static async Task<Ending> RunOne(Generator generator, int i, Random random, string?[] progress)
    {
        var kind = KindOf(i);
        using var cancel = new CancellationTokenSource();
        if (kind == Kind.CancelledBefore) cancel.Cancel();
        var tokens = new List<int>();
        try
        {
            FinishReason? finish = null;
            await foreach (var chunk in generator.StreamAsync(Prompt(i % Variants), Options(i, kind), cancel.Token))
            {
                tokens.AddRange(chunk.Tokens.Select(t => t.TokenId));
                finish = chunk.FinishReason ?? finish;
                progress[i] = $"read {tokens.Count} tokens, waiting for more";
                if (kind == Kind.CancelMidStream && !cancel.IsCancellationRequested) await cancel.CancelAsync();
                if (kind == Kind.Pausing) await Task.Delay(random.Next(0, 3));   // 0: no pause; 1–2 ms: about the grace period, or past it
            }
            return finish switch
            {
                FinishReason.Cancelled => new Ending(Outcome.Cancelled, tokens),
                null => new Ending(Outcome.Failed, tokens, new InvalidOperationException("the stream ended without a finish reason")),
                _ => new Ending(Outcome.Answered, tokens),
            };
        }
        catch (GenerationQueueFullException e)
        {
            return new Ending(Outcome.Refused, tokens, e);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return new Ending(Outcome.Failed, tokens, e);
        }
    }
}
