using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Training;

/// <summary>
/// What the fluent runs (<see cref="FineTune"/>, <see cref="RewardModelTraining"/>, <see cref="Dpo"/>) share: the output folder is the
/// checkpoint folder, so running again resumes; the result is saved at the end, and on cancellation too, so Ctrl+C leaves
/// both a checkpoint and a usable result.
/// </summary>
internal static class SavingRun
{
    /// <summary>The run's validated options, checkpointing into <paramref name="output"/> when one is given.</summary>
    public static TrainingOptions Options(TrainingOptions options, string? output, GptConfig model)
    {
        var validated = (options with { CheckpointDirectory = output ?? options.CheckpointDirectory }).Validate();
        if (validated.SequenceLength > model.ContextLength)
            throw new ArgumentException($"sequence length {validated.SequenceLength} exceeds the model's context of {model.ContextLength}.");
        return validated;
    }

    /// <summary>Trains to the end and saves; on cancellation saves before the <see cref="OperationCanceledException"/>
    /// propagates (the trainer has checkpointed by then).</summary>
    public static async Task<TrainingResult> RunAsync(Trainer trainer, Action save, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        // On several ranks every rank holds the same weights; rank 0 alone writes them.
        void SaveOnRoot()
        {
            if (trainer.Communicator.Rank == 0) save();
        }

        try
        {
            var result = await trainer.RunAsync(progress, cancellationToken).ConfigureAwait(false);
            SaveOnRoot();
            return result;
        }
        catch (OperationCanceledException)
        {
            SaveOnRoot();
            throw;
        }
    }
}
