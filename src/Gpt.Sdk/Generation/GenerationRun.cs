using Gpt.Kernels.Random;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tensors;

namespace Gpt.Sdk.Generation;

/// <summary>
/// One request in flight: its own tape and key/value cache, one cache row per completion (prompt p's
/// completions are rows p·k .. p·k + k − 1, k = best-of or N). <see cref="Prefill"/> runs each prompt
/// once and copies its keys and values to its other rows; every <see cref="Step"/> then feeds each
/// unfinished row its last token, all rows in one batch. Every pass of the run, prefill and decode, applies the
/// request's own LoRA adapter (or none), so runs under different adapters share the model without meeting.
/// Disposing frees the tape and the cache.
/// </summary>
internal sealed class GenerationRun : IDisposable
{
    private readonly Generator _generator;
    private readonly GenerationOptions _options;
    private readonly LoraAdapter? _adapter;
    private readonly IReadOnlyList<int[]> _prompts;
    private readonly GenerationSequence[] _rows;
    private readonly int _perPrompt;
    private readonly Tape _tape;
    private readonly KvCache _cache;
    private readonly float[] _logits;
    private readonly int _vocab;

    public GenerationRun(Generator generator, IReadOnlyList<int[]> prompts, GenerationOptions options, LoraAdapter? adapter,
        IReadOnlyList<ulong>? promptSeeds = null)
    {
        _generator = generator;
        _options = options;
        _adapter = adapter;
        _prompts = prompts;
        var model = generator.Model;
        _vocab = model.Config.VocabularySize;
        _perPrompt = options.BestOf ?? options.N;
        ulong seed = options.Seed ?? (ulong)System.Random.Shared.NextInt64();
        int longest = prompts.Max(p => p.Length);
        int capacity = (int)Math.Min(model.Config.ContextLength, (long)longest + options.MaxTokens);

        _rows = new GenerationSequence[prompts.Count * _perPrompt];
        for (int p = 0; p < prompts.Count; p++)
        for (int i = 0; i < _perPrompt; i++)
        {
            // Completion i of a request draws from stream i of its seed, whatever the batch around it.
            // With per-prompt seeds (PPO's rollouts), prompts of one batch draw independent streams instead.
            ulong promptSeed = promptSeeds is null ? seed : promptSeeds[p];
            var sampler = new TokenSampler(options, _vocab, prompts[p], new CounterRng(promptSeed).Fork((ulong)i).Seed);
            _rows[p * _perPrompt + i] = new GenerationSequence(p, i, prompts[p].Length, sampler, generator.Tokenizer, options);
        }
        _tape = new Tape(model.Device);
        try
        {
            _cache = new KvCache(model.Config, model.Device, _rows.Length, capacity);
        }
        catch
        {
            _tape.Dispose();
            throw;
        }
        _logits = new float[_rows.Length * _vocab];
    }

    /// <summary>True once every completion has ended.</summary>
    public bool Done => Array.TrueForAll(_rows, r => r.FinishReason is not null);

    /// <summary>Runs every prompt through the model and chooses each completion's first token.</summary>
    public List<GenerationChunk> Prefill()
    {
        var chunks = new List<GenerationChunk>(_rows.Length);
        var model = _generator.Model;
        for (int p = 0; p < _prompts.Count; p++)
        {
            int[] prompt = _prompts[p];
            int row = p * _perPrompt;
            int reused = 0;
            if (_options.PromptCache is { } prefix)
            {
                reused = Math.Min(prefix.CommonPrefixLength(prompt), prompt.Length - 1); // the last prompt token must run for its logits
                _cache.CopyPrefix(prefix.Cache, 0, row, reused);
            }
            _tape.Reset();
            var logits = model.ForwardCached(_tape, _cache, row, 1, prompt.AsSpan(reused), adapter: _adapter);   // (1, V)
            logits.CopyTo(_logits.AsSpan(row * _vocab, _vocab));
            for (int i = 1; i < _perPrompt; i++)
            {
                _cache.CopyPrefix(_cache, row, row + i, prompt.Length);
                _logits.AsSpan(row * _vocab, _vocab).CopyTo(_logits.AsSpan((row + i) * _vocab, _vocab));
            }
            for (int i = 0; i < _perPrompt; i++) chunks.Add(Choose(row + i));
        }
        return chunks;
    }

    /// <summary>Feeds every unfinished completion its last token and chooses the next.</summary>
    public List<GenerationChunk> Step()
    {
        int first = Array.FindIndex(_rows, r => r.FinishReason is null), last = Array.FindLastIndex(_rows, r => r.FinishReason is null);
        var chunks = new List<GenerationChunk>(last - first + 1);
        if (first < 0) return chunks;

        // Finished rows inside the fed range ride along on a scratch position and are rewound after.
        int count = last - first + 1;
        var ids = new int[count];
        var lengths = new int[count];
        for (int r = first; r <= last; r++)
        {
            lengths[r - first] = _cache.Length(r);
            if (_rows[r].FinishReason is null) ids[r - first] = _rows[r].LastToken;
            else _cache.Truncate(r, Math.Min(lengths[r - first], _cache.Capacity - 1));
        }
        _tape.Reset();
        var logits = _generator.Model.ForwardCached(_tape, _cache, first, count, ids, adapter: _adapter);   // (count, V)
        logits.CopyTo(_logits.AsSpan(first * _vocab, count * _vocab));
        for (int r = first; r <= last; r++)
        {
            if (_rows[r].FinishReason is null) chunks.Add(Choose(r));
            else _cache.Truncate(r, Math.Min(lengths[r - first], _cache.Length(r)));
        }
        return chunks;
    }

    /// <summary>Ends every unfinished completion with <see cref="FinishReason.Cancelled"/>.</summary>
    public List<GenerationChunk> Cancel()
    {
        var chunks = new List<GenerationChunk>();
        foreach (var row in _rows)
            if (row.FinishReason is null) chunks.Add(row.Cancel());
        return chunks;
    }

    /// <summary>The results, one per prompt: best-of keeps the N completions of highest mean log-probability.</summary>
    public GenerationResult[] Results()
    {
        var results = new GenerationResult[_prompts.Count];
        for (int p = 0; p < _prompts.Count; p++)
        {
            var candidates = _rows.Skip(p * _perPrompt).Take(_perPrompt).Select(r => r.ToCompletion(r.Index)).ToList();
            int generated = candidates.Sum(c => c.Tokens.Count);
            if (_options.BestOf is not null)
                candidates = candidates.OrderByDescending(c => c.MeanLogprob).ThenBy(c => c.Index).Take(_options.N)
                    .Select((c, i) => c with { Index = i }).ToList();
            results[p] = new GenerationResult(candidates, new Usage(_prompts[p].Length, generated));
        }
        return results;
    }

    public void Dispose()
    {
        _cache.Dispose();
        _tape.Dispose();
    }

    private GenerationChunk Choose(int row)
    {
        var sequence = _rows[row];
        ReadOnlySpan<float> logits = _logits.AsSpan(row * _vocab, _vocab);
        int token = sequence.Sampler.Next(logits);
        float logSumExp = LogSumExp(logits);
        var alternatives = _options.Logprobs is > 0 and var n ? TopAlternatives(logits, n, logSumExp) : [];
        bool roomLeft = _cache.Length(row) < _cache.Capacity;
        return sequence.Accept(token, logits[token] - logSumExp, alternatives, _generator.IsEndToken(token), roomLeft);
    }

    private static float LogSumExp(ReadOnlySpan<float> logits)
    {
        float max = LogitProcessors.Max(logits);
        double sum = 0;
        foreach (float x in logits) sum += Math.Exp(x - max);
        return max + (float)Math.Log(sum);
    }

    private TopLogprob[] TopAlternatives(ReadOnlySpan<float> logits, int n, float logSumExp)
    {
        n = Math.Min(n, logits.Length);
        var best = new List<int>(n + 1); // ids, most likely first; ties: lower id first
        for (int i = 0; i < logits.Length; i++)
        {
            if (best.Count == n && logits[i] <= logits[best[^1]]) continue;
            int at = best.Count;
            while (at > 0 && logits[i] > logits[best[at - 1]]) at--;
            best.Insert(at, i);
            if (best.Count > n) best.RemoveAt(n);
        }
        var alternatives = new TopLogprob[best.Count];
        for (int i = 0; i < best.Count; i++)
            alternatives[i] = new TopLogprob(best[i], _generator.Tokenizer.Decode([best[i]]), logits[best[i]] - logSumExp);
        return alternatives;
    }
}
