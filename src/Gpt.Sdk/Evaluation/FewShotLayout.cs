namespace Gpt.Sdk.Evaluation;

/// <summary>
/// How <see cref="FewShotPrompt"/> lays out its text. With the defaults a chain-of-thought prompt with one exemplar reads
/// <code>
/// {Instruction}\n\n
/// Q: {question}\nA: {solution} The answer is {answer}.\n\n
/// Q: {query}\nA:
/// </code>
/// that is: the instruction and <see cref="Separator"/> (when there is an instruction); each exemplar as
/// <see cref="QuestionPrefix"/>, question, <see cref="AnswerPrefix"/>, answer text, <see cref="Separator"/>; then the
/// query, ending at the answer prefix without its trailing space, so the model's first token brings its own space
/// as it did after every exemplar's prefix. The answer text is the bare answer for direct exemplars, and
/// solution + " " + <see cref="AnswerSentence"/> for chain-of-thought ones (Wei et al., 2022). The zero-shot trigger
/// (Kojima et al., 2022) follows the query's answer prefix.
/// </summary>
public sealed record FewShotLayout
{
    /// <summary>Before each question (default <c>"Q: "</c>).</summary>
    public string QuestionPrefix { get; init; } = "Q: ";

    /// <summary>Between a question and its answer (default <c>"\nA: "</c>).</summary>
    public string AnswerPrefix { get; init; } = "\nA: ";

    /// <summary>After each exemplar and after the instruction (default <c>"\n\n"</c>).</summary>
    public string Separator { get; init; } = "\n\n";

    /// <summary>Ends a worked solution; <c>{0}</c> is the answer (default <c>"The answer is {0}."</c>). The default
    /// <see cref="AnswerExtractor"/> reads this sentence back, so change both together.</summary>
    public string AnswerSentence { get; init; } = "The answer is {0}.";

    /// <summary>The zero-shot chain-of-thought trigger (default <c>"Let's think step by step."</c>, Kojima et al., 2022).</summary>
    public string ZeroShotTrigger { get; init; } = "Let's think step by step.";

    /// <summary>Where generation should stop: the start of the next question the model would invent
    /// (default <c>"\nQ:"</c>, which a <see cref="Separator"/> of one or two newlines both reach).</summary>
    public IReadOnlyList<string> StopSequences { get; init; } = ["\nQ:"];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first part that cannot work.</summary>
    /// <returns>This layout.</returns>
    public FewShotLayout Validate()
    {
        if (QuestionPrefix is null || AnswerPrefix is null || Separator is null || ZeroShotTrigger is null)
            throw new ArgumentException("a layout part is null; use an empty string for a part you do not want.");
        if (AnswerSentence is null || !AnswerSentence.Contains("{0}", StringComparison.Ordinal))
            throw new ArgumentException($"the answer sentence '{AnswerSentence}' has no {{0}} where the answer goes, e.g. \"The answer is {{0}}.\".", nameof(AnswerSentence));
        if (StopSequences is null || StopSequences.Any(string.IsNullOrEmpty))
            throw new ArgumentException("stop sequences must be a list of non-empty texts (an empty list to stop only at the token limit).", nameof(StopSequences));
        return this;
    }
}
