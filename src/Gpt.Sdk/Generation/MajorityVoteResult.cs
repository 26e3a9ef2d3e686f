namespace Gpt.Sdk.Generation;

/// <summary>The outcome of a <see cref="MajorityVote"/>.</summary>
/// <param name="Answer">The winning answer, or null when no completion had one.</param>
/// <param name="Votes">Completions that gave it.</param>
/// <param name="Total">Completions that gave any answer.</param>
public sealed record MajorityVoteResult(string? Answer, int Votes, int Total);
