using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Generation;

/// <summary>
/// The rows being generated together: one key/value cache whose rows (slots) belong to the admitted
/// <see cref="GenerationRun"/>s, and the <see cref="Step(Func{GenerationRun, bool})"/> that moves every one of them on. A step first spends a
/// budget of prompt tokens on prefill (the oldest runs first, a long prompt split over several steps), then feeds every
/// row that was decoding when the step began its last token, one forward pass per LoRA adapter in use (the rows of
/// other adapters inside that pass's row range ride along on a scratch position and are rewound). Each row keeps its
/// own positions, so rows of different lengths share a pass. Runs join with <see cref="TryAdmit"/> and leave with
/// <see cref="Remove"/>; the cache grows (doubling, up to the row limit) as runs join. Not thread-safe: one thread steps it.
/// </summary>
internal sealed class DecodingBatch : IDisposable
{
    private readonly GptModel _model;
    private readonly int _maxRows;
    private readonly int _capacity;
    private readonly int _prefillBudget;
    private readonly int _vocab;
    private readonly List<GenerationRun> _runs = [];
    private GenerationRun?[] _owners = [];
    private int _usedRows;
    private KvCache? _cache;
    private Tape? _tape;
    private float[] _logits = [];

    /// <summary>Creates an empty batch; its memory is allocated as runs join.</summary>
    /// <param name="model">The model every row runs on.</param>
    /// <param name="maxRows">The most rows (completions) at once.</param>
    /// <param name="capacity">Positions per row.</param>
    /// <param name="prefillBudget">Prompt tokens fed per step, across runs.</param>
    public DecodingBatch(GptModel model, int maxRows, int capacity, int prefillBudget)
    {
        _model = model;
        _maxRows = maxRows;
        _capacity = capacity;
        _prefillBudget = prefillBudget;
        _vocab = model.Config.VocabularySize;
    }

    /// <summary>The admitted runs, oldest first.</summary>
    public IReadOnlyList<GenerationRun> Runs => _runs;

    /// <summary>Rows not owned by a run.</summary>
    public int FreeRows => _maxRows - _usedRows;

    /// <summary>Gives <paramref name="run"/> a row per completion and copies its prompt-cache prefix in, if its rows fit.</summary>
    /// <returns>False, changing nothing, when fewer rows are free than the run needs.</returns>
    public bool TryAdmit(GenerationRun run)
    {
        if (run.RowCount > FreeRows) return false;
        Grow(_usedRows + run.RowCount);
        int row = 0;
        for (int slot = 0; slot < _owners.Length && row < run.RowCount; slot++)
        {
            if (_owners[slot] is not null) continue;
            _owners[slot] = run;
            _cache!.Truncate(slot, 0);
            run.Slots[row++] = slot;
        }
        _usedRows += run.RowCount;
        if (run.Options.PromptCache is { } prefix)
            for (int p = 0; p < run.Prompts.Count; p++)
            {
                int[] prompt = run.Prompts[p];
                int reused = Math.Min(prefix.CommonPrefixLength(prompt), prompt.Length - 1); // the last prompt token must run for its logits
                _cache!.CopyPrefix(prefix.Cache, 0, run.Slots[p * run.PerPrompt], reused);
            }
        _runs.Add(run);
        return true;
    }

    /// <summary>Frees the rows of <paramref name="run"/> (finished, cancelled or failed).</summary>
    public void Remove(GenerationRun run)
    {
        if (!_runs.Remove(run)) return;
        foreach (int slot in run.Slots)
        {
            _owners[slot] = null;
            _cache!.Truncate(slot, 0);
        }
        _usedRows -= run.RowCount;
    }

    /// <summary>One step of every run: see <see cref="Step(Func{GenerationRun, bool})"/>.</summary>
    public StepResult Step() => Step(static _ => true);

    /// <summary>One step of the runs <paramref name="ready"/> picks (the others wait, their rows untouched): a budget of
    /// prefill, then one token for every row that was decoding when the step began (a row whose first token comes from
    /// this step's prefill waits for the next, so a step gives a row at most one token).</summary>
    /// <param name="ready">Which runs to move on: those whose callers are waiting for more.</param>
    /// <returns>The chunks made, and the runs that failed (an exception of their own: the others go on).</returns>
    public StepResult Step(Func<GenerationRun, bool> ready)
    {
        var result = new StepResult();
        if (_cache is null) return result;
        var runs = _runs.Where(ready).ToList();
        var decoding = new List<(GenerationRun Run, int Row)>();
        foreach (var run in runs)
            for (int row = 0; row < run.RowCount; row++)
                if (run.Decoding(row)) decoding.Add((run, row));
        Prefill(runs, result);
        foreach (var group in decoding.Where(d => !result.Failures.ContainsKey(d.Run)).GroupBy(d => d.Run.Adapter))
            Decode(group.Key, group.ToList(), result);
        return result;
    }

    /// <summary>Frees the cache and the tape.</summary>
    public void Dispose()
    {
        _cache?.Dispose();
        _tape?.Dispose();
    }

    private void Prefill(List<GenerationRun> runs, StepResult result)
    {
        int budget = _prefillBudget;
        var cache = _cache!;
        foreach (var run in runs)
        {
            if (budget == 0) break;
            try
            {
                while (budget > 0 && run.PrefilledPrompts < run.Prompts.Count)
                {
                    int p = run.PrefilledPrompts, first = p * run.PerPrompt, slot = run.Slots[first];
                    int[] prompt = run.Prompts[p];
                    int done = cache.Length(slot), take = Math.Min(budget, prompt.Length - done);
                    _tape!.Reset();
                    var logits = _model.ForwardCached(_tape, cache, slot, 1, prompt.AsSpan(done, take), adapter: run.Adapter);   // (1, V)
                    budget -= take;
                    if (done + take < prompt.Length) break;
                    var row = _logits.AsSpan(slot * _vocab, _vocab);
                    logits.CopyTo(row);
                    for (int i = 1; i < run.PerPrompt; i++) cache.CopyPrefix(cache, slot, run.Slots[first + i], prompt.Length);
                    run.PrefilledPrompts++;
                    for (int i = 0; i < run.PerPrompt; i++)
                        result.Chunks.Add((run, run.Choose(first + i, row, cache.Length(run.Slots[first + i]) < cache.Capacity)));
                }
            }
            catch (Exception e)
            {
                result.Failures[run] = e;
            }
        }
    }

    // Feeds the rows of one adapter their last tokens in one pass over the cache rows they span.
    private void Decode(LoraAdapter? adapter, List<(GenerationRun Run, int Row)> rows, StepResult result)
    {
        var cache = _cache!;
        var fed = new Dictionary<int, (GenerationRun Run, int Row)>(rows.Count);
        foreach (var entry in rows) fed[entry.Run.Slots[entry.Row]] = entry;
        int first = fed.Keys.Min(), last = fed.Keys.Max(), count = last - first + 1;
        var ids = new int[count];
        var lengths = new int[count];
        Tensor logits;
        try
        {
            for (int slot = first; slot <= last; slot++)
            {
                lengths[slot - first] = cache.Length(slot);
                if (fed.TryGetValue(slot, out var entry)) ids[slot - first] = entry.Run.Row(entry.Row).LastToken;
                else cache.Truncate(slot, Math.Min(lengths[slot - first], cache.Capacity - 1));
            }
            _tape!.Reset();
            logits = _model.ForwardCached(_tape, cache, first, count, ids, adapter: adapter);   // (count, V)
            result.RowsDecoded += fed.Count;
            result.LargestPass = Math.Max(result.LargestPass, fed.Count);
            logits.CopyTo(_logits.AsSpan(first * _vocab, count * _vocab));
        }
        catch (Exception e)
        {
            foreach (var entry in rows) result.Failures.TryAdd(entry.Run, e);
            return;
        }
        finally
        {
            for (int slot = first; slot <= last; slot++)
                if (!fed.ContainsKey(slot)) cache.Truncate(slot, Math.Min(lengths[slot - first], cache.Length(slot)));
        }
        foreach (var (slot, (run, row)) in fed.OrderBy(f => f.Key))
        {
            if (result.Failures.ContainsKey(run)) continue;
            try
            {
                result.Chunks.Add((run, run.Choose(row, _logits.AsSpan(slot * _vocab, _vocab), cache.Length(slot) < cache.Capacity)));
            }
            catch (Exception e)
            {
                result.Failures[run] = e;
            }
        }
    }

    // Reallocates the cache for at least `rows` rows (doubling, within the limit), keeping every owned row's positions.
    private void Grow(int rows)
    {
        if (_cache is not null && _cache.Batch >= rows) return;
        int size = Math.Min(_maxRows, Math.Max(rows, 2 * (_cache?.Batch ?? 0)));
        var grown = new KvCache(_model.Config, _model.Device, size, _capacity);
        try
        {
            if (_cache is not null)
                for (int slot = 0; slot < _owners.Length; slot++)
                    if (_owners[slot] is not null) grown.CopyPrefix(_cache, slot, slot, _cache.Length(slot));
        }
        catch
        {
            grown.Dispose();
            throw;
        }
        _cache?.Dispose();
        _cache = grown;
        _tape ??= new Tape(_model.Device);
        Array.Resize(ref _owners, size);
        _logits = new float[size * _vocab];
    }

    /// <summary>What one step made: chunks in the order made, and the runs that failed with their exceptions.</summary>
    internal sealed class StepResult
    {
        public List<(GenerationRun Run, GenerationChunk Chunk)> Chunks { get; } = [];

        public Dictionary<GenerationRun, Exception> Failures { get; } = [];

        /// <summary>Rows fed a token in the decoding passes (riders excluded).</summary>
        public int RowsDecoded { get; set; }

        /// <summary>Rows fed in the largest decoding pass.</summary>
        public int LargestPass { get; set; }
    }
}
