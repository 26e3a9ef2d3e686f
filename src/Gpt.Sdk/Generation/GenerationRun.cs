using Gpt.Kernels.Random;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Sdk.Generation;

/// <summary>
/// One request's state while it is generated: its prompts, options and adapter, and one
/// <see cref="GenerationSequence"/> per completion (prompt p's completions are rows p·k .. p·k + k − 1,
/// k = best-of or N). It holds no model state: the <see cref="DecodingBatch"/> that admits it gives each row a
/// slot of its key/value cache and feeds the rows; the run turns each row's logits into the next chunk and, at the
/// end, into the results. Touched by one thread at a time (the batch's), read by the caller once it has ended.
/// </summary>
internal sealed class GenerationRun
{
    private readonly Generator _generator;
    private readonly GenerationSequence[] _rows;
    private readonly int _vocab;

    public GenerationRun(Generator generator, IReadOnlyList<int[]> prompts, GenerationOptions options, LoraAdapter? adapter,
        IReadOnlyList<ulong>? promptSeeds = null)
    {
        _generator = generator;
        Options = options;
        Adapter = adapter;
        Prompts = prompts;
        _vocab = generator.Model.Config.VocabularySize;
        PerPrompt = options.BestOf ?? options.N;
        ulong seed = options.Seed ?? (ulong)System.Random.Shared.NextInt64();

        _rows = new GenerationSequence[prompts.Count * PerPrompt];
        for (int p = 0; p < prompts.Count; p++)
        for (int i = 0; i < PerPrompt; i++)
        {
            // Completion i of a request draws from stream i of its seed, whatever the batch around it.
            // With per-prompt seeds (PPO's rollouts), prompts of one batch draw independent streams instead.
            ulong promptSeed = promptSeeds is null ? seed : promptSeeds[p];
            var sampler = new TokenSampler(options, _vocab, prompts[p], new CounterRng(promptSeed).Fork((ulong)i).Seed);
            _rows[p * PerPrompt + i] = new GenerationSequence(p, i, prompts[p].Length, sampler, generator.Tokenizer, options);
        }
        Slots = new int[_rows.Length];
    }

    /// <summary>The request's checked options.</summary>
    public GenerationOptions Options { get; }

    /// <summary>The LoRA adapter every pass of this run applies, or null for the base model.</summary>
    public LoraAdapter? Adapter { get; }

    /// <summary>The prompts, checked.</summary>
    public IReadOnlyList<int[]> Prompts { get; }

    /// <summary>Completions per prompt (best-of or N).</summary>
    public int PerPrompt { get; }

    /// <summary>Completions in all: the cache rows the run needs.</summary>
    public int RowCount => _rows.Length;

    /// <summary>The longest prompt, in tokens.</summary>
    public int LongestPrompt => Prompts.Max(p => p.Length);

    /// <summary>The cache row of each completion, set by the batch that admits the run.</summary>
    public int[] Slots { get; }

    /// <summary>Prompts whose every token has been fed (their completions decode); the next one is being prefilled.</summary>
    public int PrefilledPrompts { get; set; }

    /// <summary>True once every completion has ended.</summary>
    public bool Done => Array.TrueForAll(_rows, r => r.FinishReason is not null);

    /// <summary>Completion <paramref name="row"/>.</summary>
    public GenerationSequence Row(int row) => _rows[row];

    /// <summary>True while completion <paramref name="row"/> has its prompt fed and has not ended: the next step feeds it.</summary>
    public bool Decoding(int row) => row / PerPrompt < PrefilledPrompts && _rows[row].FinishReason is null;

    /// <summary>Chooses completion <paramref name="row"/>'s next token from its logits and returns the chunk to stream.</summary>
    /// <param name="row">The completion.</param>
    /// <param name="logits">The model's V logits for its next position.</param>
    /// <param name="roomLeft">False when the cache row has no room to feed the chosen token back.</param>
    public GenerationChunk Choose(int row, ReadOnlySpan<float> logits, bool roomLeft)
    {
        var sequence = _rows[row];
        int token = sequence.Sampler.Next(logits);
        float logSumExp = LogSumExp(logits);
        var alternatives = Options.Logprobs is > 0 and var n ? TopAlternatives(logits, n, logSumExp) : [];
        return sequence.Accept(token, logits[token] - logSumExp, alternatives, _generator.IsEndToken(token), roomLeft);
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
        var results = new GenerationResult[Prompts.Count];
        for (int p = 0; p < Prompts.Count; p++)
        {
            var candidates = _rows.Skip(p * PerPrompt).Take(PerPrompt).Select(r => r.ToCompletion(r.Index)).ToList();
            int generated = candidates.Sum(c => c.Tokens.Count);
            if (Options.BestOf is not null)
                candidates = candidates.OrderByDescending(c => c.MeanLogprob).ThenBy(c => c.Index).Take(Options.N)
                    .Select((c, i) => c with { Index = i }).ToList();
            results[p] = new GenerationResult(candidates, new Usage(Prompts[p].Length, generated));
        }
        return results;
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
