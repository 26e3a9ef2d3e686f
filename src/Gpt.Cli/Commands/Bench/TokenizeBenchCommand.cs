using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// <c>gpt bench tokenize --tokenizer PATH --data FILE</c>: encode and decode throughput on one file,
/// single thread, the whole file as one string, best of several runs; MB = 10^6 bytes of UTF-8.
/// Also reports the first (cold-cache) encode and batch encoding of the file's lines at 1, 2, …
/// threads. Prints <c>{"tokenize":{"encode_mb_per_s":…,"decode_mb_per_s":…,"tokens":…,…}}</c>.
/// </summary>
internal static class TokenizeBenchCommand
{
    private const int DocumentChars = 4096; // batch items: the file cut at line breaks into ~4 KB documents

    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer folder or .tiktoken file.", Required = true };
        var data = new Option<string>("--data") { Description = "UTF-8 text file to encode.", Required = true };
        var repeat = new Option<int>("--repeat") { Description = "Runs per measurement; the best is reported.", DefaultValueFactory = _ => 5 };

        var command = new Command("tokenize", "Measure tokenizer encode and decode throughput (MB/s) on a file.");
        command.Options.Add(tokenizer);
        command.Options.Add(data);
        command.Options.Add(repeat);
        command.SetAction(parseResult => TokenizeCommand.ReportUserErrors(() =>
        {
            string path = parseResult.GetValue(tokenizer)!;
            string text = File.ReadAllText(parseResult.GetValue(data)!, Encoding.UTF8);
            int runs = Math.Max(1, parseResult.GetValue(repeat));
            Console.WriteLine(Measure(path, text, runs));
            return 0;
        }));
        return command;
    }

    private static string Measure(string path, string text, int runs)
    {
        double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;
        var bpe = BpeTokenizer.FromPretrained(path);

        // Cold: a new tokenizer each run, so every piece is merged the first time it is seen; the
        // first run also pays for JIT compilation, which the best of several runs leaves out.
        double cold = double.MaxValue;
        for (int run = 0; run < runs; run++)
        {
            var fresh = BpeTokenizer.FromPretrained(path);
            cold = Math.Min(cold, Time(() => fresh.Encode(text)));
        }
        int[] ids = [];
        double encode = Best(runs, () => ids = bpe.Encode(text));
        double decode = Best(runs, () => bpe.Decode(ids));
        if (bpe.Decode(ids) != text && text.IndexOf('\uFFFD') < 0)
            throw new InvalidOperationException("decode(encode(text)) differs from the text; the benchmark file may hold invalid UTF-16.");

        string[] documents = SplitDocuments(text);
        var batch = new StringBuilder();
        for (int threads = 1; threads <= Environment.ProcessorCount; threads *= 2)
        {
            int t = threads;
            double seconds = Best(runs, () => bpe.EncodeBatch(documents, maxDegreeOfParallelism: t));
            batch.Append(batch.Length == 0 ? "" : ",").Append(CultureInfo.InvariantCulture, $"\"{t}\":{megabytes / seconds:0.00}");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{{\"tokenize\":{{\"encode_mb_per_s\":{megabytes / encode:0.00},\"decode_mb_per_s\":{megabytes / decode:0.00},\"tokens\":{ids.Length}," +
            $"\"bytes\":{megabytes * 1e6:0},\"encode_cold_mb_per_s\":{megabytes / cold:0.00},\"batch_encode_mb_per_s_by_threads\":{{{batch}}}}}}}");
    }

    private static string[] SplitDocuments(string text)
    {
        var documents = new List<string>();
        for (int start = 0; start < text.Length;)
        {
            int end = start + DocumentChars;
            if (end >= text.Length) end = text.Length;
            else end = text.IndexOf('\n', end) is int lineBreak and >= 0 ? lineBreak + 1 : text.Length;
            documents.Add(text[start..end]);
            start = end;
        }
        return documents.ToArray();
    }

    private static double Best(int runs, Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++) best = Math.Min(best, Time(action));
        return best;
    }

    private static double Time(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
