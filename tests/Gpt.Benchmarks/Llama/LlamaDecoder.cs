using System.Diagnostics;
using Gpt.Sdk.Generation;
using LLama;
using LLama.Common;
using LLama.Native;

namespace Gpt.Benchmarks.Llama;

/// <summary>
/// llama.cpp (through LLamaSharp and its CPU backend) decoding a GGUF file greedily from token ids, so both sides get the
/// same ids with no tokenizer in between; the next token is chosen with the SDK's own arg-max, so ties break alike.
/// </summary>
internal sealed class LlamaDecoder : IDisposable
{
    private static readonly List<string> s_log = [];
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    private LlamaDecoder(LLamaWeights weights, LLamaContext context) => (_weights, _context) = (weights, context);

    /// <summary>llama.cpp's log, kept (not printed) so that a failure can show it.</summary>
    public static IReadOnlyList<string> Log
    {
        get
        {
            lock (s_log) return [.. s_log];
        }
    }

    /// <summary>Routes llama.cpp's log into <see cref="Log"/>; must run before the native library is first used.</summary>
    public static void CaptureLog() => NativeLibraryConfig.All.WithLogCallback((_, message) =>
    {
        lock (s_log) s_log.Add(message.TrimEnd());
    });

    /// <summary>Loads <paramref name="path"/> on the CPU with <paramref name="threads"/> threads for prompts and steps alike.</summary>
    public static LlamaDecoder Load(string path, int threads, int contextSize)
    {
        var parameters = new ModelParams(path)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        var weights = LLamaWeights.LoadFromFile(parameters);
        try
        {
            return new LlamaDecoder(weights, weights.CreateContext(parameters));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    /// <summary>The model's vocabulary size as llama.cpp read it.</summary>
    public int VocabularySize => _weights.Vocab.Count;

    /// <summary>Feeds <paramref name="prompt"/> in one batch, then chooses and feeds <paramref name="newTokens"/> tokens one at a time.</summary>
    public GreedyRun Greedy(int[] prompt, int newTokens)
    {
        var handle = _context.NativeHandle;
        handle.MemoryClear(true);
        var batch = new LLamaBatch();
        var ids = prompt.Select(id => (LLamaToken)id).ToArray();
        batch.AddRange(ids, 0, LLamaSeqId.Zero, true);

        long start = Stopwatch.GetTimestamp();
        Decode(batch);
        float[] promptLogits = handle.GetLogitsIth(batch.TokenCount - 1).ToArray();
        double prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var tokens = new int[newTokens];
        ReadOnlySpan<float> logits = promptLogits;
        start = Stopwatch.GetTimestamp();
        for (int step = 0; step < newTokens; step++)
        {
            tokens[step] = LogitProcessors.ArgMax(logits);
            if (step == newTokens - 1) break; // the last token is chosen, not fed (as gpt bench decode)
            batch.Clear();
            batch.Add(tokens[step], prompt.Length + step, LLamaSeqId.Zero, true);
            Decode(batch);
            logits = handle.GetLogitsIth(0);
        }

        double perStep = Stopwatch.GetElapsedTime(start).TotalSeconds / Math.Max(1, newTokens - 1);
        return new GreedyRun(tokens, promptLogits, prefill, perStep);
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }

    private void Decode(LLamaBatch batch)
    {
        var result = _context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}.");
    }
}
