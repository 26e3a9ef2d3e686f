namespace Gpt.Sdk.Training;

/// <summary>
/// A prompt and responses ranked best first. Two responses are a preference pair (TRL's <c>chosen</c> and
/// <c>rejected</c>); K &gt; 2 are a ranked list, which trains all its K·(K−1)/2 pairs together (InstructGPT's
/// comparisons). The texts are used as given: prompt, then response, then <c>&lt;|endoftext|&gt;</c> when the tokenizer
/// has it.
/// </summary>
/// <param name="Prompt">The prompt (it may be empty).</param>
/// <param name="Responses">At least two different, non-empty responses, best first.</param>
public sealed record PreferenceExample(string Prompt, IReadOnlyList<string> Responses)
{
    /// <summary>A preference pair: <paramref name="chosen"/> is better than <paramref name="rejected"/>.</summary>
    /// <param name="prompt">The prompt.</param>
    /// <param name="chosen">The preferred response.</param>
    /// <param name="rejected">The other response.</param>
    public static PreferenceExample Pair(string prompt, string chosen, string rejected) => new(prompt, [chosen, rejected]);
}
