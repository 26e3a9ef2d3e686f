using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Continuous batching: one decoding loop per generator, on a thread of its own while there is work, steps one
/// <see cref="DecodingBatch"/> that every request joins at the next step (when its rows fit) and leaves when it ends.
/// Requests that do not fit wait in a first-come queue of bounded length (<see cref="BatchingOptions.MaxQueuedRequests"/>);
/// each receives its chunks through a channel of its own.
/// <para>A request moves on only when its caller has read everything and asks for more, as a lone request does: so a
/// paused stream holds its rows but no one else's steps, and a cancellation seen by the caller ends the request at its
/// very next chunk. Callers come back a few microseconds after a step; the loop waits for the ones it has just served
/// (up to a quarter of a step's time) so that they share the next step rather than split into half-full ones.</para>
/// <para>Between steps the loop admits waiting requests, ends the cancelled ones (and those whose caller stopped reading)
/// with <see cref="FinishReason.Cancelled"/>, and after a step completes the finished ones and fails, alone, those whose
/// step threw. When nothing is left it frees the batch's memory and its thread ends.</para>
/// </summary>
internal sealed class GenerationScheduler
{
    private static readonly TimeSpan MinimumGrace = TimeSpan.FromMilliseconds(1), MaximumGrace = TimeSpan.FromMilliseconds(20);

    private readonly Generator _generator;
    private readonly BatchingOptions _options;
    private readonly SemaphoreSlim _queueSlots;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Lock _gate = new();
    private readonly List<Request> _queue = [];
    private bool _running;
    private long _steps, _rowsDecoded;
    private int _largestStep;

    public GenerationScheduler(Generator generator, BatchingOptions options)
    {
        _generator = generator;
        _options = options;
        _queueSlots = new SemaphoreSlim(options.MaxQueuedRequests, options.MaxQueuedRequests);
    }

    /// <summary>Requests waiting for room in the batch.</summary>
    public int Queued
    {
        get
        {
            lock (_gate) return _queue.Count;
        }
    }

    /// <summary>What the loop has done so far.</summary>
    public BatchingStatistics Statistics => new(Interlocked.Read(ref _steps), Interlocked.Read(ref _rowsDecoded), Volatile.Read(ref _largestStep));

    /// <summary>Streams <paramref name="run"/>'s chunks as the shared batch makes them.</summary>
    /// <exception cref="GenerationQueueFullException">The queue is full and waiting is off.</exception>
    public async IAsyncEnumerable<GenerationChunk> Run(GenerationRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool inQueue = false;
        if (!cancellationToken.IsCancellationRequested)
        {
            inQueue = _queueSlots.Wait(0);
            if (!inQueue && !_options.WaitWhenQueueFull) throw new GenerationQueueFullException(_options.MaxQueuedRequests);
            if (!inQueue)
            {
                try
                {
                    await _queueSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    inQueue = true;
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // Ended below, as any request cancelled before it ran.
                }
            }
        }
        if (cancellationToken.IsCancellationRequested)
        {
            if (inQueue) _queueSlots.Release();
            foreach (var chunk in run.Cancel()) yield return chunk;
            yield break;
        }

        var request = new Request(run, cancellationToken, this);
        using var wakeOnCancel = cancellationToken.UnsafeRegister(static state => ((GenerationScheduler)state!).Wake(), this);
        lock (_gate)
        {
            _queue.Add(request);
            if (!_running)
            {
                _running = true;
                new Thread(Loop) { IsBackground = true, Name = "gpt-decoding" }.Start();
            }
        }
        Wake();
        var reader = request.Chunks.Reader;
        try
        {
            while (true)
            {
                if (reader.TryRead(out var chunk))
                {
                    yield return chunk;
                    continue;
                }
                if (reader.Completion.IsCompleted) break;
                request.AskForMore();
                if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false)) break;
            }
            await reader.Completion.ConfigureAwait(false); // a failed request throws its exception here
        }
        finally
        {
            request.Abandon(); // a caller that stops reading early frees the request's rows at the next step
        }
    }

    private void Wake() => _wake.Release();

    private void Loop()
    {
        var batch = new DecodingBatch(_generator.Model, _options.MaxBatchSize, _generator.Model.Config.ContextLength, _options.PrefillChunkTokens);
        var active = new Dictionary<GenerationRun, Request>();
        var lastStep = TimeSpan.Zero;
        try
        {
            while (Admit(batch, active))
            {
                foreach (var request in active.Values.Where(r => r.Cancelled).ToList())
                {
                    request.Finish(request.Run.Cancel());
                    Leave(batch, active, request);
                }
                if (!WaitForCallers(active, lastStep)) continue;

                long started = Stopwatch.GetTimestamp();
                var step = batch.Step(run => active[run] is { Ready: true, Cancelled: false });
                lastStep = Stopwatch.GetElapsedTime(started);
                if (step.RowsDecoded > 0)
                {
                    Interlocked.Increment(ref _steps);
                    Interlocked.Add(ref _rowsDecoded, step.RowsDecoded);
                    Volatile.Write(ref _largestStep, Math.Max(_largestStep, step.LargestPass));
                }
                var served = new HashSet<Request>();
                foreach (var (run, chunk) in step.Chunks)
                {
                    if (step.Failures.ContainsKey(run)) continue;
                    var request = active[run];
                    if (served.Add(request)) request.Served();
                    request.Chunks.Writer.TryWrite(chunk);
                }
                foreach (var (run, error) in step.Failures)
                {
                    active[run].Fail(error);
                    Leave(batch, active, active[run]);
                }
                foreach (var request in active.Values.Where(r => r.Run.Done).ToList())
                {
                    request.Finish([]);
                    Leave(batch, active, request);
                }
            }
        }
        catch (Exception e)
        {
            // A fault outside any one request's work (the batch itself): every request still here ends with it, rather
            // than waiting forever on a loop that is gone.
            lock (_gate)
            {
                foreach (var request in active.Values.Concat(_queue)) request.Fail(e);
                if (_queue.Count > 0) _queueSlots.Release(_queue.Count);
                _queue.Clear();
                _running = false;
            }
        }
        finally
        {
            batch.Dispose();
        }
    }

    // True when some request is ready for a step. The callers served by the last step are given a grace period to come
    // back, so that they join the next step together; one that does not is stepped without until it asks again.
    // With no one ready the loop sleeps until a caller asks, cancels or a request arrives.
    private bool WaitForCallers(Dictionary<GenerationRun, Request> active, TimeSpan lastStep)
    {
        if (active.Count == 0) return false;
        var grace = Stopwatch.StartNew();
        var limit = TimeSpan.FromTicks(Math.Clamp(lastStep.Ticks / 4, MinimumGrace.Ticks, MaximumGrace.Ticks));
        while (true)
        {
            bool anyReady = false, awaited = false;
            foreach (var request in active.Values)
            {
                if (request.Cancelled) return false; // ended before any step, at the top of the loop
                if (request.Ready) anyReady = true;
                else if (request.JustServed) awaited = true;
            }
            var left = limit - grace.Elapsed;
            if (!awaited || left <= TimeSpan.Zero)
            {
                foreach (var request in active.Values) request.JustServed = false;
                if (anyReady) return true;
                // A request that arrived during the grace period is in the queue, not among the active: its wake-ups were
                // spent on the waits above, so sleeping now could wait for it forever (while a paused stream holds its rows).
                if (Queued > 0) return false;
                _wake.Wait();
                return false; // look at the queue and cancellations again
            }
            _wake.Wait(left);
        }
    }

    // Lets waiting requests in, oldest first, while their rows fit (a request that does not fit holds back those
    // behind it, so a large one is not starved); ends cancelled waiters. False when there is nothing left to do.
    private bool Admit(DecodingBatch batch, Dictionary<GenerationRun, Request> active)
    {
        lock (_gate)
        {
            for (int i = 0; i < _queue.Count; i++)
            {
                var request = _queue[i];
                if (!request.Cancelled) continue;
                request.Finish(request.Run.Cancel());
                _queue.RemoveAt(i--);
                _queueSlots.Release();
            }
            while (_queue.Count > 0)
            {
                var request = _queue[0];
                try
                {
                    if (!batch.TryAdmit(request.Run)) break;
                    active.Add(request.Run, request);
                }
                catch (Exception e)
                {
                    request.Fail(e); // e.g. no memory for its rows: this request fails, the batch goes on
                }
                _queue.RemoveAt(0);
                _queueSlots.Release();
            }
            if (active.Count > 0 || _queue.Count > 0) return true;
            _running = false;
            return false;
        }
    }

    private static void Leave(DecodingBatch batch, Dictionary<GenerationRun, Request> active, Request request)
    {
        batch.Remove(request.Run);
        active.Remove(request.Run);
    }

    /// <summary>A request in the scheduler: its run, its caller's token, the channel its chunks go through, and how many
    /// times its caller has asked for more against how many steps have answered.</summary>
    private sealed class Request(GenerationRun run, CancellationToken cancellationToken, GenerationScheduler scheduler)
    {
        private volatile bool _abandoned;
        private int _asked, _served;

        public GenerationRun Run { get; } = run;

        // Not SingleReader: the single-consumer channel reuses one waiter for every WaitToReadAsync, and under the soak
        // (gpt bench serve --parts soak, 10,000 requests) a caller now and then stayed awaiting a wait that its completed
        // channel never answered (a dump showed the channel done, no waiter registered, the caller still awaiting). The
        // general channel allocates a waiter per wait; a chunk costs far more than that allocation.
        public Channel<GenerationChunk> Chunks { get; } =
            Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleWriter = true });

        public bool Cancelled => _abandoned || cancellationToken.IsCancellationRequested;

        /// <summary>The caller has read every chunk and waits for more.</summary>
        public bool Ready => Volatile.Read(ref _asked) > _served;

        /// <summary>Set by the loop when a step answered this request; cleared once the loop stops waiting for it.</summary>
        public bool JustServed { get; set; }

        public void AskForMore()
        {
            Interlocked.Increment(ref _asked);
            scheduler.Wake();
        }

        public void Served()
        {
            _served++;
            JustServed = true;
        }

        public void Abandon()
        {
            _abandoned = true;
            scheduler.Wake();
        }

        public void Finish(IEnumerable<GenerationChunk> last)
        {
            foreach (var chunk in last) Chunks.Writer.TryWrite(chunk);
            Chunks.Writer.TryComplete();
        }

        public void Fail(Exception error) => Chunks.Writer.TryComplete(error);
    }
}
