using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>
/// Turns a <see cref="PreferenceExample"/> into its tokenized pairs (one for a pair, K·(K−1)/2 for a ranked list of K),
/// after checking it: at least two responses, none empty, no two the same. Problems are
/// <see cref="TrainingDataException"/>s at the example's location.
/// </summary>
internal sealed class PreferenceEncoder
{
    private readonly ITokenizer _tokenizer;
    private readonly int _vocabularySize;
    private readonly int? _endOfText;

    public PreferenceEncoder(ITokenizer tokenizer, PreferenceDataOptions options)
    {
        _tokenizer = tokenizer;
        _vocabularySize = options.VocabularySize ?? tokenizer.VocabularySize;
        // Responses end with the end token when there is one, as the SFT model was taught to stop: the reward model reads
        // it last and DPO learns where a response ends.
        _endOfText = tokenizer is BpeTokenizer bpe && bpe.SpecialTokens.TryGetValue(WellKnownSpecialTokens.EndOfText, out int end) ? end : null;
    }

    /// <summary>The example's pairs, best response first in each, or the longest prompt + response length when that
    /// exceeds <paramref name="limit"/> (the caller skips or refuses the line).</summary>
    public (TokenizedPreference[] Pairs, int LongestSequence) Encode(PreferenceExample example, int group, int limit, string? fileName, int line)
    {
        TrainingDataException Problem(string problem, Exception? inner = null) => new(fileName, line, problem, inner);

        if (example is null) throw Problem("the example is null.");
        if (example.Prompt is null) throw Problem("the prompt is null; give a string (it may be empty).");
        var responses = example.Responses ?? throw Problem("the responses are null; give at least two, best first.");
        if (responses.Count < 2)
            throw Problem($"there {(responses.Count == 1 ? "is 1 response" : $"are {responses.Count} responses")}; a preference needs at least two, best first.");
        bool isPair = responses.Count == 2;
        string Name(int i) => isPair ? (i == 0 ? "the chosen response" : "the rejected response") : $"response {i + 1}";
        for (int i = 0; i < responses.Count; i++)
        {
            if (string.IsNullOrEmpty(responses[i]))
                throw Problem($"{Name(i)} is empty; every response needs text to be judged by.");
            for (int j = 0; j < i; j++)
                if (responses[i] == responses[j])
                    throw Problem(isPair
                        ? "the chosen and rejected responses are the same text; a preference needs two different responses (remove the line)."
                        : $"responses {j + 1} and {i + 1} are the same text; every response of a ranked list must differ (remove the duplicate).");
        }

        int[] prompt = Tokenize(example.Prompt, "the prompt", Problem);
        var tokenized = new int[responses.Count][];
        int longest = 0;
        for (int i = 0; i < responses.Count; i++)
        {
            int[] text = Tokenize(responses[i], Name(i), Problem);
            tokenized[i] = _endOfText is int end ? [.. text, end] : text;
            longest = Math.Max(longest, prompt.Length + tokenized[i].Length);
        }
        if (prompt.Length + tokenized.Min(t => t.Length) < 2)
            throw Problem("the prompt and its shortest response make fewer than two tokens, which leaves nothing to score; give a longer prompt or response.");
        if (longest > limit) return ([], longest);

        var pairs = new TokenizedPreference[responses.Count * (responses.Count - 1) / 2];
        int k = 0;
        for (int better = 0; better < responses.Count; better++)
            for (int worse = better + 1; worse < responses.Count; worse++)
            {
                // Different texts can still tokenize alike (a tokenizer that maps unknown characters to one id).
                if (tokenized[better].AsSpan().SequenceEqual(tokenized[worse]))
                    throw Problem($"{Name(better)} and {Name(worse)} differ as text but not as tokens, so no model can tell them apart; remove one.");
                pairs[k++] = new TokenizedPreference(prompt, tokenized[better], tokenized[worse], group);
            }
        return (pairs, longest);
    }

    /// <summary>One prompt + response as a training row holds it (prompt, response, then the end token when there is one),
    /// for scoring it as the reward model was trained to; no length or content checks.</summary>
    public int[] Sequence(string prompt, string response)
    {
        int[] p = _tokenizer.Encode(prompt), r = _tokenizer.Encode(response);
        return _endOfText is int end ? [.. p, .. r, end] : [.. p, .. r];
    }

    private int[] Tokenize(string text, string what, Func<string, Exception?, TrainingDataException> problem)
    {
        int[] ids;
        try
        {
            ids = _tokenizer.Encode(text);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw problem($"{what} cannot be tokenized: {e.Message}", e);
        }
        foreach (int id in ids)
            if ((uint)id >= (uint)_vocabularySize)
                throw problem($"{what} has token id {id}, outside the model's vocabulary of {_vocabularySize} ids; use the model's tokenizer.", null);
        return ids;
    }
}
