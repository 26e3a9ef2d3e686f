using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Retrieval;

/// <summary>An answer grounded in retrieved chunks, with its sources.</summary>
/// <param name="Text">The answer.</param>
/// <param name="Sources">The chunks the prompt gave, nearest first: <c>Sources[i]</c> was numbered <c>[i + 1]</c>.</param>
/// <param name="CitedNumbers">The source numbers the answer cites (<see cref="Citations.Parse"/>), in the order first cited.</param>
/// <param name="Generation">The generation itself: finish reason, token usage, log-probabilities.</param>
public sealed record RagAnswer(string Text, IReadOnlyList<RetrievedChunk> Sources, IReadOnlyList<int> CitedNumbers, GenerationResult Generation)
{
    /// <summary>The chunks the answer cites, in the order first cited.</summary>
    public IReadOnlyList<RetrievedChunk> Cited => [.. CitedNumbers.Select(n => Sources[n - 1])];
}
