namespace Gpt.Benchmarks.Llama;

/// <summary>One greedy decode: the tokens chosen, the logits after the prompt, and how long prefill and each step took.</summary>
/// <param name="Tokens">The new tokens, in order.</param>
/// <param name="PromptLogits">Logits at the prompt's last position (what the first new token is chosen from).</param>
/// <param name="PrefillSeconds">Time to feed the prompt.</param>
/// <param name="SecondsPerStep">Time per decoding step after the prompt (feeding one token, getting its logits).</param>
internal sealed record GreedyRun(int[] Tokens, float[] PromptLogits, double PrefillSeconds, double SecondsPerStep)
{
    /// <summary>Tokens per second of the decoding steps.</summary>
    public double DecodeTokensPerSecond => 1 / SecondsPerStep;

    /// <summary>How many leading tokens two runs share.</summary>
    public int CommonPrefix(GreedyRun other)
    {
        int n = 0;
        while (n < Tokens.Length && n < other.Tokens.Length && Tokens[n] == other.Tokens[n]) n++;
        return n;
    }
}
