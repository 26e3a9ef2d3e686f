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

    // The wake-up protocol. Everything that can give the loop work (a request queued, a caller asking for more, a cancelled
    // token, a caller that stops reading) changes its state inside _gate and pulses _gate before leaving it. The loop
    // waits only inside _gate, with Monitor.Wait, and only once it has looked, in the same hold of _gate, at all of that
    // state and found nothing it can do now (or, in a grace period, nothing but wait for the callers it has just served,
    // for a bounded time). Monitor.Wait releases the gate and starts waiting as one step, so a change made after the look
    // is either seen by it or wakes the wait: no work is lost between the look and the wait. A pulse carries no count; the
    // state decides, so a pulse the loop does not need only costs it one more look.
    private readonly object _gate = new();
    private readonly List<Request> _queue = [];   // guarded by _gate
    private bool _running;                        // guarded by _gate
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

        var request = new Request(run, cancellationToken);
        using var wakeOnCancel = cancellationToken.UnsafeRegister(static state => ((GenerationScheduler)state!).Pulse(), this);
        lock (_gate)
        {
            _queue.Add(request);
            if (!_running)
            {
                _running = true;
                new Thread(Loop) { IsBackground = true, Name = "gpt-decoding" }.Start();
            }
            Monitor.Pulse(_gate);
        }
        try
        {
            await foreach (var chunk in ReadChunks(request.Chunks.Reader, () => AskForMore(request)).ConfigureAwait(false)) yield return chunk;
        }
        finally
        {
            Abandon(request); // a caller that stops reading early frees the request's rows at the next step
        }
    }

    /// <summary>A caller's side of a request: every chunk as it comes, asking for more each time it has read them all.</summary>
    /// <remarks>The end and a failure are taken from <see cref="ChannelReader{T}.WaitToReadAsync"/> (false, or the request's
    /// exception), never from <see cref="ChannelReader{T}.Completion"/>, which a channel can leave unset (see Request.Chunks).</remarks>
    internal static async IAsyncEnumerable<GenerationChunk> ReadChunks(ChannelReader<GenerationChunk> reader, Action askForMore)
    {
        while (true)
        {
            while (reader.TryRead(out var chunk)) yield return chunk;
            askForMore();
            if (!await reader.WaitToReadAsync(CancellationToken.None).ConfigureAwait(false)) yield break;
        }
    }

    // The producers of the wake-up protocol: each changes state and pulses inside the gate.
    private void AskForMore(Request request)
    {
        lock (_gate)
        {
            request.AskForMore();
            Monitor.Pulse(_gate);
        }
    }

    private void Abandon(Request request)
    {
        lock (_gate)
        {
            request.Abandon();
            Monitor.Pulse(_gate);
        }
    }

    // A cancelled token: its state changed before this runs, and the loop reads it inside the gate, so taking the gate to
    // pulse is enough (a look that missed the cancellation still holds the gate, and this pulse waits for its wait).
    private void Pulse()
    {
        lock (_gate) Monitor.Pulse(_gate);
    }

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
                if (!WaitForCallers(batch, active, lastStep)) continue;

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

    // True when some request is ready for a step; false when the top of the loop has work (a cancelled request, a queued
    // request to admit or to end) or no request is active. The callers served by the last step are given a grace period to
    // come back, so that they join the next step together; one that does not is stepped without until it asks again.
    // With nothing to do the loop sleeps until a producer pulses (see _gate).
    private bool WaitForCallers(DecodingBatch batch, Dictionary<GenerationRun, Request> active, TimeSpan lastStep)
    {
        if (active.Count == 0) return false;
        var grace = Stopwatch.StartNew();
        var limit = TimeSpan.FromTicks(Math.Clamp(lastStep.Ticks / 4, MinimumGrace.Ticks, MaximumGrace.Ticks));
        lock (_gate)
        {
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
                if (awaited && left > TimeSpan.Zero)
                {
                    // Requests arriving now are admitted after the step, as the grace is short (at most MaximumGrace).
                    Monitor.Wait(_gate, (int)Math.Ceiling(left.TotalMilliseconds));
                    continue;
                }
                foreach (var request in active.Values) request.JustServed = false;
                if (anyReady) return true;
                if (QueueHasWork(batch)) return false;
                Monitor.Wait(_gate);
            }
        }
    }

    // True when Admit would change something: the oldest waiting request fits the free rows, or a waiting one is cancelled.
    // (A request that fits nowhere until a row is freed is not work: the loop frees rows itself, and admits after.)
    private bool QueueHasWork(DecodingBatch batch) =>
        _queue.Count > 0 && (_queue[0].Run.RowCount <= batch.FreeRows || _queue.Exists(r => r.Cancelled));

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
    private sealed class Request(GenerationRun run, CancellationToken cancellationToken)
    {
        // Changed inside the scheduler's gate (the wake-up protocol's state); _served is the loop's own.
        private volatile int _asked;
        private volatile bool _abandoned;
        private int _served;

        public GenerationRun Run { get; } = run;

        // Not SingleReader, and Completion never awaited. A channel's TryRead sets Completion when it takes the last item of
        // a channel the writer has completed; that check and the writer's TryComplete can miss each other (neither side
        // fences between its write and its read), and then Completion is never set. Measured on .NET 10.0.12: 10 lost
        // completions in 200,000 races for the single-consumer channel, none for the general one (its dequeue is an
        // interlocked operation; the same race was reported against it, dotnet/runtime#123544). A caller awaiting Completion
        // hung the soak (gpt bench serve --parts soak) about every other run; ReadChunks takes the end from WaitToReadAsync. A
        // chunk costs far more than the general channel's allocation per wait.
        public Channel<GenerationChunk> Chunks { get; } =
            Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleWriter = true });

        // Read inside the gate when the loop decides whether to wait; also by the step's filter outside it, where a late
        // answer only moves a request on one step later (asking and cancelling only ever go one way).
        public bool Cancelled => _abandoned || cancellationToken.IsCancellationRequested;

        /// <summary>The caller has read every chunk and waits for more.</summary>
        public bool Ready => _asked > _served;

        /// <summary>Set by the loop when a step answered this request; cleared once the loop stops waiting for it.</summary>
        public bool JustServed { get; set; }

        /// <summary>The caller has read everything and asks for more (inside the gate).</summary>
        public void AskForMore() => _asked++;

        /// <summary>The caller stopped reading (inside the gate).</summary>
        public void Abandon() => _abandoned = true;

        public void Served()
        {
            _served++;
            JustServed = true;
        }

        public void Finish(IEnumerable<GenerationChunk> last)
        {
            foreach (var chunk in last) Chunks.Writer.TryWrite(chunk);
            Chunks.Writer.TryComplete();
        }

        public void Fail(Exception error) => Chunks.Writer.TryComplete(error);
    }
}
