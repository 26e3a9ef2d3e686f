using System.Globalization;
using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// A k-shot prompt as GPT-3 evaluates with it: an optional instruction, solved exemplars, then the question to answer,
/// laid out by <see cref="Layout"/>. With <see cref="ChainOfThought"/> the exemplars show their worked solutions
/// (Wei et al., 2022); with <see cref="ZeroShotChainOfThought"/> the answer starts with "Let's think step by step."
/// (Kojima et al., 2022).
/// <para>Fitting a context: the exemplar list is in priority order, and when the prompt would exceed the token budget
/// whole exemplars are dropped from the end of the list until it fits. An exemplar is never cut, because half a
/// demonstration teaches the wrong format; the instruction and the question are never dropped, and a question that
/// does not fit even alone is an error rather than a silently truncated prompt.</para>
/// </summary>
public sealed class FewShotPrompt
{
    private readonly IReadOnlyList<QuestionAnswer> _exemplars = [];
    private readonly FewShotLayout _layout = new();

    /// <summary>Solved examples shown before the question, most important first (the last ones are dropped first).</summary>
    public IReadOnlyList<QuestionAnswer> Exemplars
    {
        get => _exemplars;
        init => _exemplars = value ?? throw new ArgumentNullException(nameof(value), "exemplars are null; give an empty list for a zero-shot prompt.");
    }

    /// <summary>Text put before everything else (a task description), or null for none.</summary>
    public string? Instruction { get; init; }

    /// <summary>The text layout (prefixes, separators, answer sentence, trigger).</summary>
    public FewShotLayout Layout
    {
        get => _layout;
        init => _layout = (value ?? throw new ArgumentNullException(nameof(value))).Validate();
    }

    /// <summary>Shows each exemplar's worked solution followed by the answer sentence, so the model reasons before it
    /// answers. Every exemplar then needs a <see cref="QuestionAnswer.Solution"/>.</summary>
    public bool ChainOfThought { get; init; }

    /// <summary>Starts the answer with <see cref="FewShotLayout.ZeroShotTrigger"/>, which makes a model reason without
    /// worked exemplars.</summary>
    public bool ZeroShotChainOfThought { get; init; }

    /// <summary>The prompt with every exemplar, no budget applied.</summary>
    /// <param name="question">The question the model should answer.</param>
    public FewShotPromptText Build(string question)
    {
        CheckExemplars();
        return new FewShotPromptText(Format(question, _exemplars.Count), null, _exemplars.Count, 0);
    }

    /// <summary>The prompt with as many exemplars, from the start of the list, as fit in <paramref name="tokenBudget"/>
    /// tokens. Assumes what every real tokenizer does: an added exemplar never makes the prompt shorter.</summary>
    /// <param name="question">The question the model should answer.</param>
    /// <param name="tokenizer">Counts tokens, the model's own.</param>
    /// <param name="tokenBudget">The most tokens the prompt may take: the model's context length minus the tokens
    /// kept for the answer (<see cref="TokenBudget"/>).</param>
    /// <exception cref="ArgumentException">The question (with the instruction) alone exceeds the budget.</exception>
    public FewShotPromptText Build(string question, ITokenizer tokenizer, int tokenBudget)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(tokenBudget, 1);
        CheckExemplars();
        int Count(int kept) => tokenizer.Encode(Format(question, kept)).Length;

        int bare = Count(0);
        if (bare > tokenBudget)
            throw new ArgumentException(
                $"the question{(Instruction is null ? "" : " with the instruction")} alone is {bare} tokens, over the prompt budget of {tokenBudget} " +
                "(the context length minus the tokens kept for the answer); shorten it, or keep fewer tokens for the answer.", nameof(question));
        // Binary search for the most exemplars that fit: one encode per halving instead of one per exemplar.
        int low = 0, high = _exemplars.Count, lowCount = bare;
        while (low < high)
        {
            int mid = (low + high + 1) / 2, count = Count(mid);
            if (count <= tokenBudget) (low, lowCount) = (mid, count);
            else high = mid - 1;
        }
        return new FewShotPromptText(Format(question, low), lowCount, low, _exemplars.Count - low);
    }

    /// <summary>The prompt budget for a model: its context length minus the tokens kept for the answer.</summary>
    /// <param name="contextLength">The model's context length.</param>
    /// <param name="answerTokens">The most tokens the answer may take (the generation's max tokens).</param>
    public static int TokenBudget(int contextLength, int answerTokens)
    {
        if (answerTokens < 1 || answerTokens >= contextLength)
            throw new ArgumentOutOfRangeException(nameof(answerTokens), answerTokens,
                $"the answer needs at least 1 token and must leave room for a prompt in the {contextLength}-token context; lower the max tokens.");
        return contextLength - answerTokens;
    }

    /// <summary>The prompt text with the first <paramref name="exemplarCount"/> exemplars, laid out by <see cref="Layout"/>.</summary>
    /// <param name="question">The question the model should answer.</param>
    /// <param name="exemplarCount">How many exemplars to include, from the start of the list.</param>
    public string Format(string question, int exemplarCount)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentOutOfRangeException.ThrowIfNegative(exemplarCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(exemplarCount, _exemplars.Count);
        var layout = _layout;
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(Instruction)) text.Append(Instruction).Append(layout.Separator);
        for (int i = 0; i < exemplarCount; i++)
        {
            var exemplar = _exemplars[i];
            text.Append(layout.QuestionPrefix).Append(exemplar.Question).Append(layout.AnswerPrefix);
            if (ChainOfThought)
                text.Append(exemplar.Solution!.Trim()).Append(' ').Append(string.Format(CultureInfo.InvariantCulture, layout.AnswerSentence, exemplar.Answer));
            else
                text.Append(exemplar.Answer);
            text.Append(layout.Separator);
        }
        text.Append(layout.QuestionPrefix).Append(question);
        // The answer prefix without its trailing space: the model's first token carries the space (GPT-2's " 42"),
        // as it did after each exemplar's prefix. The trigger, when there is one, takes the space instead.
        if (ZeroShotChainOfThought) text.Append(layout.AnswerPrefix).Append(layout.ZeroShotTrigger);
        else text.Append(layout.AnswerPrefix.TrimEnd(' '));
        return text.ToString();
    }

    private void CheckExemplars()
    {
        for (int i = 0; i < _exemplars.Count; i++)
        {
            var exemplar = _exemplars[i] ?? throw new ArgumentException($"exemplar {i + 1} is null.", nameof(Exemplars));
            if (exemplar.Question is null || exemplar.Answer is null)
                throw new ArgumentException($"exemplar {i + 1} has no {(exemplar.Question is null ? "question" : "answer")}.", nameof(Exemplars));
            if (ChainOfThought && string.IsNullOrWhiteSpace(exemplar.Solution))
                throw new ArgumentException(
                    $"exemplar {i + 1} (\"{Shorten(exemplar.Question)}\") has no worked solution; chain-of-thought exemplars need one, " +
                    "so give every exemplar a solution or turn chain of thought off.", nameof(Exemplars));
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";
}
