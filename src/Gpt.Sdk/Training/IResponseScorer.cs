namespace Gpt.Sdk.Training;

/// <summary>
/// Scores responses to prompts: what PPO maximises. A trained reward model is one; a program that checks a response
/// (does it contain the requested word, is the sum right) is another. A score that is NaN or infinite marks a sample the
/// caller leaves out (and reports), so one bad sample never stops a run.
/// </summary>
public interface IResponseScorer
{
    /// <summary>Scores each response to its prompt: <c>scores[i]</c> for <c>(prompts[i], responses[i])</c>.</summary>
    /// <param name="prompts">The prompts, as given to the model.</param>
    /// <param name="responses">The responses (the generated text after each prompt), as many as prompts.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One score per pair; higher is better.</returns>
    float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, CancellationToken cancellationToken = default);
}
