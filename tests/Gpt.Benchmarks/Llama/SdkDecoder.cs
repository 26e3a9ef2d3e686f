using System.Diagnostics;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;

namespace Gpt.Benchmarks.Llama;

/// <summary>The SDK's side: KV-cached greedy decoding through the public <see cref="GptModel.ForwardCached(Tape, KvCache, ReadOnlySpan{int}, bool, Gpt.Sdk.Nn.Lora.LoraAdapter?)"/>,
/// step for step what <see cref="LlamaDecoder.Greedy"/> does (and what <c>gpt bench decode</c> times).</summary>
internal static class SdkDecoder
{
    public static GreedyRun Greedy(GptModel model, int[] prompt, int newTokens)
    {
        using var cache = new KvCache(model.Config, model.Device, 1, prompt.Length + newTokens);
        using var tape = new Tape(model.Device);
        var logits = new float[model.Config.VocabularySize];

        long start = Stopwatch.GetTimestamp();
        model.ForwardCached(tape, cache, prompt).CopyTo(logits);
        double prefill = Stopwatch.GetElapsedTime(start).TotalSeconds;
        float[] promptLogits = (float[])logits.Clone();

        var tokens = new int[newTokens];
        start = Stopwatch.GetTimestamp();
        for (int step = 0; step < newTokens; step++)
        {
            tokens[step] = LogitProcessors.ArgMax(logits);
            if (step == newTokens - 1) break;
            tape.Reset();
            model.ForwardCached(tape, cache, [tokens[step]]).CopyTo(logits);
        }

        double perStep = Stopwatch.GetElapsedTime(start).TotalSeconds / Math.Max(1, newTokens - 1);
        return new GreedyRun(tokens, promptLogits, prefill, perStep);
    }
}
