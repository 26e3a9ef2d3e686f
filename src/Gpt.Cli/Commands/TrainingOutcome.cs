using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>The last lines of the fine-tuning commands (<c>gpt sft</c>, <c>rm</c>, <c>dpo</c>): what a finished run did and
/// where its result is, or where a cancelled run stopped and how to resume it. Both end the live progress line first.</summary>
internal static class TrainingOutcome
{
    /// <summary>Prints <c>done: N steps, loss …, eval loss …{extra}, S skipped, time; {saved}</c>; returns exit code 0.</summary>
    public static int Done(ConsoleProgress progress, TrainingResult outcome, string saved, string extra = "")
    {
        progress.EndLine();
        string figures = (float.IsFinite(outcome.FinalLoss) ? $", loss {outcome.FinalLoss:F4}" : "") +
            (outcome.ValidationLoss is { } validation ? $", eval loss {validation:F4}" : "") + extra;
        Console.Error.WriteLine($"done: {outcome.Steps} steps{figures}, {outcome.SkippedSteps} skipped, {outcome.Elapsed:hh\\:mm\\:ss}; {saved}");
        return 0;
    }

    /// <summary>Where a model or adapter run saved its result (a model folder, or a PEFT folder for the base).</summary>
    public static string Saved(string outputFolder, bool lora, string modelFolder) => lora
        ? $"PEFT adapter saved to {outputFolder} ({PeftAdapterFiles.ConfigFileName}, {PeftAdapterFiles.WeightsFileName}) for the base {modelFolder}"
        : $"model saved to {outputFolder}";

    /// <summary>Prints where a cancelled run stopped (the checkpoint and <paramref name="what"/> are in the folder); returns
    /// exit code 130.</summary>
    public static int Cancelled(ConsoleProgress progress, int? resumedFromStep, int maxSteps, string what, string outputFolder)
    {
        progress.EndLine();
        int step = Math.Max(progress.LastStep, resumedFromStep ?? 0);
        Console.Error.WriteLine(step == 0
            ? "cancelled before the first step; run the same command to start again."
            : $"cancelled at step {step}/{maxSteps}; checkpoint and {what} saved to {outputFolder}: run the same command to resume.");
        return 130;
    }
}
