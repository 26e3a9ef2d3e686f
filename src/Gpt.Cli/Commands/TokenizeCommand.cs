using System.Buffers;
using System.Buffers.Text;
using System.CommandLine;
using System.Text;
using System.Text.Json;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt tokenize --tokenizer PATH [--allow-special] [--jsonl]</c>: text on stdin, token ids on stdout.
/// With <c>--jsonl</c> each input line is <c>{"text": "…"}</c> and each output line the JSON array of its
/// ids; without it all of stdin is one text and one array is written.
/// </summary>
internal static class TokenizeCommand
{
    private const int BatchLines = 1024;

    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer")
        {
            Description = "A folder with tokenizer files (tokenizer.json, vocab.json + merges.txt, encoder.json + vocab.bpe, *.tiktoken) or a .tiktoken file.",
            Required = true,
        };
        var allowSpecial = new Option<bool>("--allow-special")
        {
            Description = "Turn special-token text such as <|endoftext|> into special tokens; by default it is encoded as ordinary text.",
        };
        var jsonl = new Option<bool>("--jsonl") { Description = "Read lines {\"text\": \"...\"} and write one JSON array of ids per line." };

        var command = new Command("tokenize", "Encode text from stdin into token ids on stdout.");
        command.Options.Add(tokenizer);
        command.Options.Add(allowSpecial);
        command.Options.Add(jsonl);
        command.SetAction(parseResult => ReportUserErrors(() =>
        {
            var bpe = BpeTokenizer.FromPretrained(parseResult.GetValue(tokenizer)!);
            bool allow = parseResult.GetValue(allowSpecial);
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            using var output = new BufferedStream(Console.OpenStandardOutput(), 1 << 16);
            return parseResult.GetValue(jsonl) ? EncodeLines(bpe, allow, input, output) : EncodeAll(bpe, allow, input, output);
        }));
        return command;
    }

    /// <summary>
    /// Runs a tokenizer command; errors the user can fix (a missing or malformed file, a bad argument)
    /// become one line on stderr and exit code 1 instead of a stack trace.
    /// </summary>
    internal static int ReportUserErrors(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    private static int EncodeAll(BpeTokenizer tokenizer, bool allowSpecial, TextReader input, Stream output)
    {
        WriteIds(output, tokenizer.Encode(input.ReadToEnd(), allowSpecial));
        return 0;
    }

    // Lines are encoded a batch at a time on all cores and written in input order.
    private static int EncodeLines(BpeTokenizer tokenizer, bool allowSpecial, TextReader input, Stream output)
    {
        var texts = new List<string>(BatchLines);
        int lineNumber = 0;
        while (true)
        {
            string? line = input.ReadLine();
            if (line is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                if (!TryReadText(line, out string? text, out string? error))
                {
                    Console.Error.WriteLine($"stdin line {lineNumber}: {error}");
                    return 2;
                }
                texts.Add(text!);
                if (texts.Count < BatchLines) continue;
            }
            foreach (int[] ids in tokenizer.EncodeBatch(texts, allowSpecial)) WriteIds(output, ids);
            texts.Clear();
            if (line is null) return 0;
        }
    }

    private static bool TryReadText(string line, out string? text, out string? error)
    {
        text = null;
        error = null;
        try
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.ValueKind == JsonValueKind.Object &&
                json.RootElement.TryGetProperty("text", out var value) && value.ValueKind == JsonValueKind.String)
            {
                text = GetStringLenient(value);
                return true;
            }
            error = "expected an object with a string property \"text\".";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            error = $"not valid JSON: {e.Message}";
        }
        return false;
    }

    // System.Text.Json refuses "\ud800" (a lone surrogate); JavaScript, Python and the tokenizer accept
    // it (UTF-8 encoding turns it into U+FFFD), so such strings are unescaped here instead.
    private static string GetStringLenient(JsonElement value)
    {
        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            string raw = value.GetRawText();
            var text = new StringBuilder(raw.Length);
            for (int i = 1; i < raw.Length - 1; i++)
            {
                if (raw[i] != '\\')
                {
                    text.Append(raw[i]);
                    continue;
                }
                char escaped = raw[++i];
                switch (escaped)
                {
                    case 'u':
                        text.Append((char)Convert.ToUInt16(raw.Substring(i + 1, 4), 16));
                        i += 4;
                        break;
                    case 'n': text.Append('\n'); break;
                    case 'r': text.Append('\r'); break;
                    case 't': text.Append('\t'); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    default: text.Append(escaped); break; // \" \\ \/
                }
            }
            return text.ToString();
        }
    }

    private static void WriteIds(Stream output, int[] ids)
    {
        Span<byte> number = stackalloc byte[16];
        output.WriteByte((byte)'[');
        for (int i = 0; i < ids.Length; i++)
        {
            if (i > 0) output.WriteByte((byte)',');
            Utf8Formatter.TryFormat(ids[i], number, out int written);
            output.Write(number[..written]);
        }
        output.Write("]\n"u8);
    }
}
