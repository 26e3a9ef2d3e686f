using System.Diagnostics;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// Part (c) of <c>gpt bench serve</c>: many requests from many concurrent clients against one generator with
/// continuous batching and a small queue, as a service meets them. Requests vary in prompt length, length, sampling and
/// stop sequences; some are cancelled by their client mid-stream and a few ask for the impossible (every token banned),
/// so each way a request can end is exercised. Process figures are taken after the first thousand requests (warm), at
/// half way and at the end, each after a full garbage collection, so growth between them is a leak, not garbage not yet collected.
/// </summary>
internal static class ServeSoak
{
    private const int Checkpoint = 1_000;

    private enum Outcome { Answered, Cancelled, Refused, Failed }

    public static async Task<Dictionary<string, object>> Run(GptModel model, ITokenizer tokenizer, int requests, int clients,
        BatchingOptions batching, CancellationToken cancellationToken)
    {
        var generator = new Generator(model, tokenizer, null, batching);
        int vocabulary = model.Config.VocabularySize;
        var banAll = Enumerable.Range(0, vocabulary).ToDictionary(id => id, _ => float.NegativeInfinity);
        var counts = new int[4];
        var reasons = new Dictionary<string, int>();
        int next = -1, finished = 0, unexplained = 0;
        int half = Math.Max(Math.Min(Checkpoint, requests), requests / 2);
        var checkpointReached = new SemaphoreSlim(0);
        var started = Stopwatch.StartNew();

        async Task Client(int client)
        {
            var random = new Random(1000 + client);
            int index;
            while ((index = Interlocked.Increment(ref next)) < requests)
            {
                var prompt = ServeBenchCommand.RandomPrompt(random, random.Next(4, 33), vocabulary);
                var options = new GenerationOptions
                {
                    MaxTokens = random.Next(2, 17),
                    Temperature = index % 4 == 0 ? 0 : 0.8f,
                    TopK = index % 3 == 0 ? 40 : 0,
                    Seed = (ulong)index,
                    StopSequences = index % 5 == 0 ? [tokenizer.Decode([random.Next(vocabulary)])] : null,
                    LogitBias = index % 97 == 0 ? banAll : null,
                };
                bool cancelMidway = index % 23 == 0;
                using var cancel = new CancellationTokenSource();
                var (outcome, reason) = await Request(generator, prompt, options, cancelMidway ? cancel : null, cancellationToken);
                lock (counts)
                {
                    counts[(int)outcome]++;
                    if (reason is not null) reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
                    if (outcome is Outcome.Refused or Outcome.Failed && string.IsNullOrWhiteSpace(reason)) unexplained++;
                }
                if (outcome == Outcome.Refused) await Task.Delay(10, cancellationToken);   // a client backs off when told the service is busy
                int done = Interlocked.Increment(ref finished);
                if (done == Math.Min(Checkpoint, requests) || done == half) checkpointReached.Release();
            }
        }

        var all = Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => Client(c), cancellationToken)));
        await checkpointReached.WaitAsync(cancellationToken);
        var atCheckpoint = ProcessFigures(Volatile.Read(ref finished));
        if (half > Math.Min(Checkpoint, requests)) await checkpointReached.WaitAsync(cancellationToken);
        var atHalf = ProcessFigures(Volatile.Read(ref finished));
        await all;
        double seconds = started.Elapsed.TotalSeconds;
        var atEnd = ProcessFigures(finished);
        var statistics = generator.BatchingStatistics;

        return new Dictionary<string, object>
        {
            ["requests"] = requests,
            ["clients"] = clients,
            ["max_batch"] = batching.MaxBatchSize,
            ["max_queued"] = batching.MaxQueuedRequests,
            ["seconds"] = Math.Round(seconds, 2),
            ["requests_per_s"] = Math.Round(requests / seconds, 1),
            ["answered"] = counts[(int)Outcome.Answered],
            ["cancelled_by_client"] = counts[(int)Outcome.Cancelled],
            ["refused"] = counts[(int)Outcome.Refused],
            ["failed"] = counts[(int)Outcome.Failed],
            ["every_request_accounted_for"] = counts.Sum() == requests && unexplained == 0,
            ["reasons"] = reasons,
            ["mean_rows_per_step"] = Math.Round(statistics.MeanRowsPerStep, 2),
            ["at_1k"] = atCheckpoint,
            ["at_half"] = atHalf,
            ["at_end"] = atEnd,
            ["working_set_growth_mb"] = Math.Round((double)atEnd["working_set_mb"] - (double)atCheckpoint["working_set_mb"], 1),
            ["working_set_growth_second_half_mb"] = Math.Round((double)atEnd["working_set_mb"] - (double)atHalf["working_set_mb"], 1),
            ["thread_growth"] = (int)atEnd["threads"] - (int)atCheckpoint["threads"],
            ["handle_growth"] = (int)atEnd["open_handles"] - (int)atCheckpoint["open_handles"],
        };
    }

    // One request, streamed; how it ended and, for a refusal or failure, the reason it was given.
    private static async Task<(Outcome, string?)> Request(Generator generator, int[] prompt, GenerationOptions options,
        CancellationTokenSource? cancelMidway, CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cancelMidway?.Token ?? CancellationToken.None);
        try
        {
            FinishReason? finish = null;
            await foreach (var chunk in generator.StreamAsync(prompt, options, linked.Token))
            {
                finish = chunk.FinishReason ?? finish;
                if (cancelMidway is not null && !cancelMidway.IsCancellationRequested) await cancelMidway.CancelAsync();
            }
            return finish switch
            {
                FinishReason.Cancelled => (Outcome.Cancelled, null),
                null => (Outcome.Failed, "the stream ended without a finish reason"),
                _ => (Outcome.Answered, null),
            };
        }
        catch (GenerationQueueFullException e)
        {
            return (Outcome.Refused, $"{e.GetType().Name}: queue limit {e.QueueLimit}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            return (Outcome.Failed, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static Dictionary<string, object> ProcessFigures(int requestsDone)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return new Dictionary<string, object>
        {
            ["requests_done"] = requestsDone,
            ["working_set_mb"] = Math.Round(process.WorkingSet64 / 1e6, 1),
            ["managed_heap_mb"] = Math.Round(GC.GetTotalMemory(forceFullCollection: false) / 1e6, 1),
            ["threads"] = process.Threads.Count,
            ["open_handles"] = Directory.Exists("/proc/self/fd") ? Directory.GetFiles("/proc/self/fd").Length : process.HandleCount,
        };
    }
}
