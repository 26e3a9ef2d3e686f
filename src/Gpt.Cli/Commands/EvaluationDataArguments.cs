using System.CommandLine;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>The data options the fine-tuning commands share: held-out data (<c>--eval-data</c> or a <c>--held-out</c>
/// split, not both) and what to do with over-long lines (<c>--overlong skip|refuse</c>).</summary>
/// <param name="items">What a line of the data is, in the help text: "examples", "preferences".</param>
/// <param name="splitUnit">What a held-out split counts: "examples", or "prompts" when a prompt's pairs stay together.</param>
internal sealed class EvaluationDataArguments(string items, string splitUnit)
{
    public Option<FileInfo?> EvalData { get; } = new("--eval-data") { Description = $"JSONL {items} to evaluate on." };

    public Option<double?> HeldOut { get; } = new("--held-out")
    {
        Description = $"Evaluate on this fraction of the {splitUnit} of --data, held out from training (e.g. 0.1).",
    };

    public Option<string> Overlong { get; } = Choice("--overlong", $"{Capitalised(items)} longer than --context: skip them (and list them) or refuse the data.");

    public IEnumerable<Option> All => [EvalData, HeldOut, Overlong];

    /// <summary>How over-long lines are handled.</summary>
    public OverlongExampleHandling ReadOverlong(ParseResult parse) =>
        parse.GetValue(Overlong) == "refuse" ? OverlongExampleHandling.Refuse : OverlongExampleHandling.Skip;

    /// <summary>Gives <paramref name="run"/> its held-out data, after checking the options (before any model is loaded).</summary>
    public void Apply<TRun, TData, TDataOptions>(ParseResult parse, TrainingRun<TRun, TData, TDataOptions> run)
        where TRun : TrainingRun<TRun, TData, TDataOptions>
        where TData : class
    {
        Check(parse);
        if (parse.GetValue(EvalData) is { } file) run.WithEvaluationData(file.FullName);
        if (parse.GetValue(HeldOut) is { } fraction) run.HoldOut(fraction);
    }

    /// <summary>Refuses --eval-data with --held-out, and a fraction outside (0, 1).</summary>
    public void Check(ParseResult parse)
    {
        double? heldOut = parse.GetValue(HeldOut);
        if (parse.GetValue(EvalData) is not null && heldOut is not null)
            throw new ArgumentException("give --eval-data or --held-out, not both: evaluation reads one or the other.");
        if (heldOut is { } f && !(f > 0 && f < 1))
            throw new ArgumentException($"--held-out is the fraction of {splitUnit} kept out for evaluation, between 0 and 1 (e.g. 0.1); got {f}.");
    }

    private static Option<string> Choice(string name, string description)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => "skip" };
        option.AcceptOnlyFromAmong("skip", "refuse");
        return option;
    }

    private static string Capitalised(string text) => char.ToUpperInvariant(text[0]) + text[1..];
}
