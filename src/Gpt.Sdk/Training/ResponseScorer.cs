namespace Gpt.Sdk.Training;

/// <summary>Ready-made <see cref="IResponseScorer"/>s.</summary>
public static class ResponseScorer
{
    /// <summary>A scorer that calls <paramref name="score"/> for each (prompt, response) pair: the reward a program computes
    /// (is the requested word there, is the sum right). A call that throws, or returns NaN or ±∞, marks that sample as one
    /// to skip (the trainer reports it); the other samples are scored as usual.</summary>
    /// <param name="score">(prompt, response) → score; higher is better.</param>
    public static IResponseScorer FromFunction(Func<string, string, float> score) =>
        new FunctionScorer(score ?? throw new ArgumentNullException(nameof(score)));

    private sealed class FunctionScorer(Func<string, string, float> score) : IResponseScorer
    {
        public float[] Score(IReadOnlyList<string> prompts, IReadOnlyList<string> responses, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(prompts);
            ArgumentNullException.ThrowIfNull(responses);
            if (prompts.Count != responses.Count)
                throw new ArgumentException($"{prompts.Count} prompts and {responses.Count} responses; give one response per prompt.", nameof(responses));
            var scores = new float[prompts.Count];
            for (int i = 0; i < scores.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    scores[i] = score(prompts[i], responses[i]);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One failing sample must not cost the batch its other scores: NaN is the contract's "skip this one".
                    scores[i] = float.NaN;
                }
            }
            return scores;
        }
    }
}
