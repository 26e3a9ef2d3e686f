namespace Gpt.Sdk.Evaluation;

/// <summary>Functional correctness as in the Codex paper: runs each sample's program (prompt + completion + test +
/// <c>check(entry_point)</c>) in a <see cref="CodeSandbox"/> and estimates pass@k from the passing counts.</summary>
public static class CodeEvaluator
{
    /// <summary>Evaluates samples in a sandbox made from <paramref name="sandboxOptions"/>.</summary>
    /// <param name="problems">The problems.</param>
    /// <param name="samples">The samples; each must name one of the problems.</param>
    /// <param name="ks">The k values of pass@k; those above some problem's sample count are reported as not computable.</param>
    /// <param name="sandboxOptions">Limits and interpreter (defaults when null). The interpreter is checked before any run.</param>
    /// <param name="progress">Receives the count of samples run.</param>
    /// <param name="cancellationToken">Kills the running programs and stops.</param>
    public static Task<CodeEvaluationResult> EvaluateAsync(IReadOnlyList<HumanEvalProblem> problems, IReadOnlyList<HumanEvalSample> samples,
        IEnumerable<int> ks, CodeSandboxOptions? sandboxOptions = null, IProgress<CodeEvaluationProgress>? progress = null,
        CancellationToken cancellationToken = default) =>
        EvaluateAsync(problems, samples, ks, new CodeSandbox(sandboxOptions), progress, cancellationToken);

    /// <summary>Evaluates samples in a given sandbox.</summary>
    /// <param name="problems">The problems.</param>
    /// <param name="samples">The samples; each must name one of the problems.</param>
    /// <param name="ks">The k values of pass@k.</param>
    /// <param name="sandbox">Runs the programs.</param>
    /// <param name="progress">Receives the count of samples run.</param>
    /// <param name="cancellationToken">Kills the running programs and stops.</param>
    public static async Task<CodeEvaluationResult> EvaluateAsync(IReadOnlyList<HumanEvalProblem> problems, IReadOnlyList<HumanEvalSample> samples,
        IEnumerable<int> ks, CodeSandbox sandbox, IProgress<CodeEvaluationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(ks);
        ArgumentNullException.ThrowIfNull(sandbox);
        int[] kValues = ks.ToArray();
        if (kValues.Length == 0) throw new ArgumentException("give at least one k, e.g. 1.", nameof(ks));
        foreach (int k in kValues)
            if (k < 1) throw new ArgumentOutOfRangeException(nameof(ks), k, "every k must be at least 1.");
        var byId = new Dictionary<string, HumanEvalProblem>(StringComparer.Ordinal);
        foreach (var problem in problems) byId[problem.TaskId] = problem;
        var programs = new string[samples.Count];
        for (int i = 0; i < samples.Count; i++)
        {
            if (!byId.TryGetValue(samples[i].TaskId, out var problem))
                throw new ArgumentException($"sample {i} is for task \"{samples[i].TaskId}\", which is not among the problems.", nameof(samples));
            programs[i] = problem.Program(samples[i].Completion);
        }

        var results = await sandbox.RunAllAsync(programs, progress is null ? null : new SyncProgress(done => progress.Report(new CodeEvaluationProgress(done, samples.Count))),
            cancellationToken).ConfigureAwait(false);
        var sampleResults = samples.Select((s, i) => new CodeSampleResult(s, results[i])).ToArray();
        var counts = new Dictionary<string, PassCount>(StringComparer.Ordinal);
        foreach (var result in sampleResults)
        {
            counts.TryGetValue(result.Sample.TaskId, out var count);
            counts[result.Sample.TaskId] = new PassCount(count.Samples + 1, count.Correct + (result.Passed ? 1 : 0));
        }

        var missing = problems.Where(p => !counts.ContainsKey(p.TaskId)).Select(p => p.TaskId).ToArray();
        if (counts.Count == 0) throw new ArgumentException("no samples to evaluate.", nameof(samples));
        return new CodeEvaluationResult(sampleResults, counts, PassAtK.Report(counts.Values.ToArray(), kValues), missing);
    }

    // Progress<T> posts to the thread pool, so reports could arrive out of order; this reports on the caller's thread.
    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
