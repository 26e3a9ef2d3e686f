namespace Gpt.Sdk.Generation;

/// <summary>The outcome of a <see cref="MajorityVote"/>.</summary>
/// <param name="Answer">The winning answer, or null when no completion had one.</param>
/// <param name="Votes">Completions that gave it.</param>
/// <param name="Total">Completions that gave any answer.</param>
public sealed record MajorityVoteResult(string? Answer, int Votes, int Total)
{
    /// <summary>The winner's share of the completions that gave an answer, <see cref="Votes"/> / <see cref="Total"/>, in [0, 1];
    /// 0 when none gave one. Self-consistency reads it as the model's confidence: a high share is more often right.</summary>
    public double Share => Total == 0 ? 0 : (double)Votes / Total;
}
