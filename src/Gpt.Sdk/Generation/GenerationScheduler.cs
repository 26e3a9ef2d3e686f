using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Continuous batching: one decoding loop per generator, on a thread of its own while there is work, steps one
/// <see cref="DecodingBatch"/> that every request joins at the next step (when its rows fit) and leaves when it ends.
/// Requests that do not fit wait in a first-come queue of bounded length (<see cref="BatchingOptions.MaxQueuedRequests"/>);
/// each receives its chunks through a channel of its own. Between steps the loop admits waiting requests, ends the
/// cancelled ones (and those whose caller stopped reading) with <see cref="FinishReason.Cancelled"/>, and after a step
/// completes the finished ones and fails, alone, those whose step threw. When nothing is left it frees the batch's
/// memory and its thread ends.
/// </summary>
internal sealed class GenerationScheduler
{
    private readonly Generator _generator;
    private readonly BatchingOptions _options;
    private readonly SemaphoreSlim _queueSlots;
    private readonly Lock _gate = new();
    private readonly List<Request> _queue = [];
    private bool _running;

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

    /// <summary>Streams <paramref name="run"/>'s chunks as the shared batch makes them.</summary>
    /// <exception cref="GenerationQueueFullException">The queue is full and waiting is off.</exception>
    public async IAsyncEnumerable<GenerationChunk> Run(GenerationRun run, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!cancellationToken.IsCancellationRequested && !_queueSlots.Wait(0))
        {
            if (!_options.WaitWhenQueueFull) throw new GenerationQueueFullException(_options.MaxQueuedRequests);
            try
            {
                await _queueSlots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ended below, as any request cancelled before it ran.
            }
        }
        if (cancellationToken.IsCancellationRequested)
        {
            foreach (var chunk in run.Cancel()) yield return chunk;
            yield break;
        }

        var request = new Request(run, cancellationToken);
        lock (_gate)
        {
            _queue.Add(request);
            if (!_running)
            {
                _running = true;
                new Thread(Loop) { IsBackground = true, Name = "gpt-decoding" }.Start();
            }
        }
        try
        {
            await foreach (var chunk in request.Chunks.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false)) yield return chunk;
        }
        finally
        {
            request.Abandon(); // a caller that stops reading early frees the request's rows at the next step
        }
    }

    private void Loop()
    {
        var batch = new DecodingBatch(_generator.Model, _options.MaxBatchSize, _generator.Model.Config.ContextLength, _options.PrefillChunkTokens);
        var active = new Dictionary<GenerationRun, Request>();
        try
        {
            while (true)
            {
                if (!Admit(batch, active)) return;
                foreach (var request in active.Values.Where(r => r.Cancelled).ToList())
                {
                    request.Finish(request.Run.Cancel());
                    Leave(batch, active, request);
                }
                if (active.Count == 0) continue;

                var step = batch.Step();
                foreach (var (run, chunk) in step.Chunks)
                    if (!step.Failures.ContainsKey(run)) active[run].Chunks.Writer.TryWrite(chunk);
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
                _queueSlots.Release(_queue.Count);
                _queue.Clear();
                _running = false;
            }
        }
        finally
        {
            batch.Dispose();
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

    /// <summary>A request in the scheduler: its run, its caller's token, and the channel its chunks go through.</summary>
    private sealed class Request(GenerationRun run, CancellationToken cancellationToken)
    {
        private volatile bool _abandoned;

        public GenerationRun Run { get; } = run;

        public Channel<GenerationChunk> Chunks { get; } =
            Channel.CreateUnbounded<GenerationChunk>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        public bool Cancelled => _abandoned || cancellationToken.IsCancellationRequested;

        public void Abandon() => _abandoned = true;

        public void Finish(IEnumerable<GenerationChunk> last)
        {
            foreach (var chunk in last) Chunks.Writer.TryWrite(chunk);
            Chunks.Writer.TryComplete();
        }

        public void Fail(Exception error) => Chunks.Writer.TryComplete(error);
    }
}
