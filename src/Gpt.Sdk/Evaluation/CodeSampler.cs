using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Evaluation;

/// <summary>Generates HumanEval samples with a <see cref="Generator"/>: n completions of each problem's prompt, in
/// batches, appended to a samples file as each batch finishes. A run that stops part-way resumes where the file ends
/// (problems that already have n samples are skipped), and the file can be evaluated again without the model.</summary>
public sealed class CodeSampler
{
    private readonly Generator _generator;

    /// <summary>Creates a sampler.</summary>
    /// <param name="generator">Generates the completions.</param>
    public CodeSampler(Generator generator) => _generator = generator ?? throw new ArgumentNullException(nameof(generator));

    /// <summary>Samples until every problem has <see cref="CodeSamplingOptions.SamplesPerProblem"/> samples in
    /// <paramref name="samplesPath"/>, then returns all the file's samples.</summary>
    /// <param name="problems">The problems.</param>
    /// <param name="samplesPath">The samples file: read first (it may hold an earlier run's samples), then appended to.</param>
    /// <param name="options">How to sample (defaults when null).</param>
    /// <param name="progress">Receives a report after each batch.</param>
    /// <param name="cancellationToken">Stops after the batch in progress is cut short; what was written stays.</param>
    public async Task<IReadOnlyList<HumanEvalSample>> SampleAsync(IReadOnlyList<HumanEvalProblem> problems, string samplesPath,
        CodeSamplingOptions? options = null, IProgress<CodeSamplingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problems);
        ArgumentException.ThrowIfNullOrEmpty(samplesPath);
        options = (options ?? new CodeSamplingOptions()).Validate();
        var have = new Dictionary<string, int>(StringComparer.Ordinal);
        if (File.Exists(samplesPath))
            foreach (var sample in HumanEvalFiles.ReadSamples(samplesPath, problems))
                have[sample.TaskId] = have.GetValueOrDefault(sample.TaskId) + 1;

        int n = options.SamplesPerProblem;
        int wanted = problems.Count * n;
        int written = problems.Sum(p => Math.Min(n, have.GetValueOrDefault(p.TaskId)));
        for (int index = 0; index < problems.Count; index++)
        {
            var problem = problems[index];
            int done = have.GetValueOrDefault(problem.TaskId);
            while (done < n)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int batch = Math.Min(options.BatchSize, n - done);
                // The seed depends on where the batch starts, not on how the run was split, so resuming changes nothing.
                var generation = options.GenerationOptions(batch, (ulong)index * 1_000_003UL + (ulong)done);
                var result = await _generator.GenerateAsync(problem.Prompt, generation, cancellationToken).ConfigureAwait(false);
                if (result.Completions.Any(c => c.FinishReason == FinishReason.Cancelled))
                    cancellationToken.ThrowIfCancellationRequested();
                HumanEvalFiles.AppendSamples(samplesPath, result.Completions.Select(c => new HumanEvalSample(problem.TaskId, c.Text)));
                done += batch;
                written += batch;
                progress?.Report(new CodeSamplingProgress(written, wanted, problem.TaskId));
            }
        }

        return HumanEvalFiles.ReadSamples(samplesPath, problems);
    }
}
