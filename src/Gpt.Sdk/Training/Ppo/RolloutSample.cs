namespace Gpt.Sdk.Training;

/// <summary>One prompt's sampled response and what PPO computes about it: per response token the rollout policy's and the
/// reference's log-probabilities, the value, and GAE's advantage and return.</summary>
internal sealed class RolloutSample(string prompt, int[] promptTokens, string response, int[] responseTokens)
{
    public string Prompt { get; } = prompt;

    public int[] PromptTokens { get; } = promptTokens;

    public string Response { get; } = response;

    /// <summary>The generated tokens, the end token included when one ended the response; never empty.</summary>
    public int[] ResponseTokens { get; } = responseTokens;

    public float Score { get; set; }

    public float[] LogProbs { get; } = new float[responseTokens.Length];

    public float[] ReferenceLogProbs { get; } = new float[responseTokens.Length];

    public float[] Values { get; } = new float[responseTokens.Length];

    public float[] Advantages { get; } = new float[responseTokens.Length];

    public float[] Returns { get; } = new float[responseTokens.Length];

    public int Length => ResponseTokens.Length;
}
