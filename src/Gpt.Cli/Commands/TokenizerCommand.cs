using System.CommandLine;
using System.Diagnostics;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary><c>gpt tokenizer train --data FILE --vocab-size N --out DIR</c>: learn a byte-level BPE vocabulary.</summary>
internal static class TokenizerCommand
{
    public static Command Create()
    {
        var group = new Command("tokenizer", "Build tokenizers.");
        group.Subcommands.Add(CreateTrain());
        return group;
    }

    private static Command CreateTrain()
    {
        var data = new Option<string>("--data") { Description = "UTF-8 text file to learn from.", Required = true };
        var vocabSize = new Option<int>("--vocab-size")
        {
            Description = "Number of token ids wanted, counting the 256 byte tokens and the special tokens.",
            Required = true,
        };
        var output = new Option<string>("--out") { Description = "Folder to save the tokenizer in (Hugging Face format).", Required = true };
        var special = new Option<string[]>("--special")
        {
            Description = "Special tokens, in id order (default: <|endoftext|>). Repeat the option for several.",
            DefaultValueFactory = _ => [WellKnownSpecialTokens.EndOfText],
        };
        var minFrequency = new Option<int>("--min-frequency")
        {
            Description = "Never merge a pair seen fewer times than this.",
            DefaultValueFactory = _ => 2,
        };

        var command = new Command("train", "Learn a byte-level BPE vocabulary from a text file and save it in the Hugging Face format.");
        command.Options.Add(data);
        command.Options.Add(vocabSize);
        command.Options.Add(output);
        command.Options.Add(special);
        command.Options.Add(minFrequency);
        command.SetAction((parseResult, cancellationToken) => Task.FromResult(TokenizeCommand.ReportUserErrors(() =>
        {
            var options = new BpeTrainerOptions
            {
                VocabularySize = parseResult.GetValue(vocabSize),
                SpecialTokens = parseResult.GetValue(special)!,
                MinPairFrequency = parseResult.GetValue(minFrequency),
            };
            var clock = Stopwatch.StartNew();
            var tokenizer = BpeTrainer.TrainFromFile(parseResult.GetValue(data)!, options, new ConsoleProgress(), cancellationToken);
            double seconds = clock.Elapsed.TotalSeconds;
            string folder = parseResult.GetValue(output)!;
            tokenizer.Save(folder);
            Console.Error.WriteLine();
            Console.WriteLine($"{{\"tokenizer_train\":{{\"vocab_size\":{tokenizer.VocabularySize},\"merges\":{tokenizer.MergeCount}," +
                              $"\"seconds\":{seconds:0.###},\"out\":{System.Text.Json.JsonSerializer.Serialize(Path.GetFullPath(folder))}}}}}");
            return 0;
        })));
        return command;
    }

    /// <summary>Progress on one stderr line, rewritten in place; reports arrive on the training thread.</summary>
    private sealed class ConsoleProgress : IProgress<BpeTrainingProgress>
    {
        private BpeTrainingStage _stage;
        private long _lastPercent = -1;

        public void Report(BpeTrainingProgress value)
        {
            long percent = value.Total > 0 ? Math.Min(100, value.Completed * 100 / value.Total) : 0;
            if (value.Stage == _stage && percent == _lastPercent) return;
            if (value.Stage != _stage) Console.Error.WriteLine();
            _stage = value.Stage;
            _lastPercent = percent;
            string what = value.Stage == BpeTrainingStage.CountingWords ? "counting words" : "merging";
            Console.Error.Write($"\r{what}: {percent,3}% ({value.Completed:N0} of {value.Total:N0})");
        }
    }
}
