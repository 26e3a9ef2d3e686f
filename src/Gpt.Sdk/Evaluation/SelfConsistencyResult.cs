using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>The sampled reasoning paths of one question and the vote over their answers.</summary>
/// <param name="Vote">The majority answer, its votes and the number of paths that gave any answer.</param>
/// <param name="Paths">Every sampled path, in the generator's order.</param>
public sealed record SelfConsistencyResult(MajorityVoteResult Vote, IReadOnlyList<ReasoningPath> Paths)
{
    /// <summary>The majority answer, or null when no path gave one.</summary>
    public string? Answer => Vote.Answer;

    /// <summary>The winner's share of the paths that gave an answer (<see cref="MajorityVoteResult.Share"/>).</summary>
    public double VoteShare => Vote.Share;
}
