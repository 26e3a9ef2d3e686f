namespace Gpt.Sdk.Evaluation;

/// <summary>
/// k-shot prompts laid out as lm-evaluation-harness lays them out by default (no description, its default
/// delimiters). With two exemplars the model reads:
/// <code>
/// {exemplar 1 context} {exemplar 1 correct choice}
///
/// {exemplar 2 context} {exemplar 2 correct choice}
///
/// {item context}
/// </code>
/// and each choice is scored as the continuation <c>" " + choice</c> of that text. Exemplars are joined by a blank
/// line (<see cref="ExemplarSeparator"/>); context and answer by one space (<see cref="AnswerSeparator"/>).
/// </summary>
public static class MultipleChoicePrompt
{
    /// <summary>Between one exemplar and the next, and between the last exemplar and the item: a blank line.</summary>
    public const string ExemplarSeparator = "\n\n";

    /// <summary>Between a context and its answer, in exemplars and before every scored choice: one space.</summary>
    public const string AnswerSeparator = " ";

    /// <summary>The text the model reads before a choice of <paramref name="item"/>.</summary>
    /// <param name="item">The item asked.</param>
    /// <param name="exemplars">Solved examples put first (each with its correct choice), possibly none.</param>
    public static string Build(MultipleChoiceItem item, IReadOnlyList<MultipleChoiceItem> exemplars)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(exemplars);
        var text = new System.Text.StringBuilder();
        foreach (var exemplar in exemplars)
            text.Append(exemplar.Context).Append(AnswerSeparator).Append(exemplar.Choices[exemplar.Answer]).Append(ExemplarSeparator);
        return text.Append(item.Context).ToString();
    }

    /// <summary>
    /// <paramref name="shots"/> distinct exemplars for <paramref name="item"/>, drawn from <paramref name="dev"/> with
    /// <paramref name="random"/>. A dev item equal to <paramref name="item"/> (same context, choices and answer) is
    /// never drawn, so a question never shows its own answer even when the dev and test files overlap.
    /// </summary>
    /// <param name="item">The item the prompt is for.</param>
    /// <param name="dev">The split exemplars come from.</param>
    /// <param name="shots">How many (k ≥ 0).</param>
    /// <param name="random">The source of the draw; seed it for reproducible prompts.</param>
    /// <exception cref="ArgumentException">The dev split has fewer than <paramref name="shots"/> usable items.</exception>
    public static IReadOnlyList<MultipleChoiceItem> SelectExemplars(MultipleChoiceItem item, IReadOnlyList<MultipleChoiceItem> dev, int shots, Random random)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(dev);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(shots);
        if (shots == 0) return [];
        var candidates = dev.Where(d => !SameQuestion(d, item)).ToArray();
        if (candidates.Length < shots)
            throw new ArgumentException($"{shots}-shot prompts need {shots} dev items other than the question asked, but the dev split has {candidates.Length}; " +
                "give a larger dev split or fewer shots.", nameof(dev));
        // A partial Fisher–Yates shuffle: the first `shots` places end up a uniform draw without replacement.
        for (int i = 0; i < shots; i++)
        {
            int j = random.Next(i, candidates.Length);
            (candidates[i], candidates[j]) = (candidates[j], candidates[i]);
        }

        return candidates[..shots];
    }

    private static bool SameQuestion(MultipleChoiceItem a, MultipleChoiceItem b) =>
        a.Context == b.Context && a.Answer == b.Answer && a.Choices.SequenceEqual(b.Choices);
}
