namespace Gpt.Sdk.Evaluation;

/// <summary>Greedy decoding against self-consistency over a set of questions (<see cref="SelfConsistency.EvaluateAsync"/>).</summary>
/// <param name="Items">Each question's outcome, in input order.</param>
/// <param name="Samples">Reasoning paths sampled per question.</param>
public sealed record AnswerEvaluation(IReadOnlyList<AnswerEvaluationItem> Items, int Samples)
{
    /// <summary>Fraction of questions greedy decoding answered right, in [0, 1] (0 for no questions).</summary>
    public double GreedyAccuracy => Fraction(i => i.GreedyCorrect ? 1 : 0);

    /// <summary>Fraction of questions the majority vote answered right, in [0, 1] (0 for no questions).</summary>
    public double SelfConsistencyAccuracy => Fraction(i => i.SelfConsistencyCorrect ? 1 : 0);

    /// <summary>The winning answer's vote share averaged over the questions (a question no path answered counts 0).</summary>
    public double MeanVoteShare => Fraction(i => i.SelfConsistency.VoteShare);

    private double Fraction(Func<AnswerEvaluationItem, double> value) => Items.Count == 0 ? 0 : Items.Sum(value) / Items.Count;
}
