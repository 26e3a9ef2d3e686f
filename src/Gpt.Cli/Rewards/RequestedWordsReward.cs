using Gpt.Sdk.Training;

namespace Gpt.Cli.Rewards;

/// <summary>
/// <c>requested-words</c>: the true score of the alignment world, the fraction of the words a prompt asks for
/// (<see cref="RequestedWordsPrompt"/>) that the response uses (0, ½ or 1 for two words). The response is its first
/// line, the sentence the world asks for: what a model writes after that newline is not the answer, and counting it
/// would pay a policy for rambling through every noun it knows. Words match whole and ignoring case, after trimming
/// punctuation, so "boat." counts and "boats" does not. A prompt that asks for no word scores NaN, which PPO reports
/// and skips, as <see cref="IResponseScorer"/> specifies.
/// </summary>
internal sealed class RequestedWordsReward : IResponseScorer
{
    /// <summary>The name <c>gpt ppo --reward</c> takes.</summary>
    public const string Name = "requested-words";

    private static readonly char[] Punctuation = ['.', ',', ';', ':', '!', '?', '"', '\''];

    /// <inheritdoc />
    public float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(responses);
        if (prompts.Count != responses.Count)
            throw new ArgumentException($"give one response per prompt: {prompts.Count} prompts, {responses.Count} responses.", nameof(responses));
        var scores = new float[prompts.Count];
        for (int i = 0; i < scores.Length; i++) scores[i] = ScoreOne(prompts[i], responses[i]);
        return scores;
    }

    /// <summary>The score of one response; NaN when the prompt asks for no word.</summary>
    public static float ScoreOne(string prompt, string response)
    {
        if (RequestedWordsPrompt.TryParse(prompt ?? "") is not { } requested) return float.NaN;
        var used = new HashSet<string>(Words(response ?? ""), StringComparer.OrdinalIgnoreCase);
        int found = requested.Distinct(StringComparer.OrdinalIgnoreCase).Count(used.Contains);
        return (float)found / requested.Distinct(StringComparer.OrdinalIgnoreCase).Count();
    }

    private static IEnumerable<string> Words(string response)
    {
        int newline = response.IndexOf('\n');
        string sentence = newline < 0 ? response : response[..newline];
        return sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(w => w.Trim(Punctuation)).Where(w => w.Length > 0);
    }
}
