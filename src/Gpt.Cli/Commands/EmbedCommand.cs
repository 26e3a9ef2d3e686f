using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt embed</c>: reads <c>{"text": …}</c> lines from standard input and prints one JSON array per line, the text's
/// L2-normalised embedding, with the head of <c>--head</c> (or of the model folder; mean pooling when neither has one).
/// A text longer than the context is truncated, with a note on standard error. <c>gpt embed train</c> trains a head
/// (<see cref="EmbedTrainCommand"/>).
/// </summary>
internal static class EmbedCommand
{
    // Lines embedded together: one forward pass takes up to 64 texts.
    private const int LinesPerBatch = 64;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (a pretrained GPT-2, or a folder `gpt embed train` wrote).", Required = true };
        var head = new Option<DirectoryInfo?>("--head") { Description = "Embedding head folder written by `gpt embed train` (default: the model folder's head, or mean pooling)." };
        var device = DeviceOption.Create();
        var command = new Command("embed", "Embed texts: one {\"text\": ...} JSON line in on standard input, one JSON array (the unit-length embedding) out.")
        {
            model, head, device,
        };
        command.Subcommands.Add(EmbedTrainCommand.Create());
        command.SetAction((parse, cancellationToken) =>
        {
            var target = DeviceOption.Open(parse, device);
            using var embedder = Embedder.Load(parse.GetValue(model)!.FullName, parse.GetValue(head)?.FullName, target);
            var texts = new List<(string Text, int Line)>();
            int lineNumber = 0;
            string? line;
            while ((line = Console.In.ReadLine()) is not null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                texts.Add((ReadText(line, lineNumber), lineNumber));
                if (texts.Count == LinesPerBatch) Flush(embedder, texts, cancellationToken);
            }

            Flush(embedder, texts, cancellationToken);
            return Task.FromResult(0);
        });
        return command;
    }

    private static void Flush(Embedder embedder, List<(string Text, int Line)> texts, CancellationToken cancellationToken)
    {
        if (texts.Count == 0) return;
        var results = embedder.Embed(texts.Select(t => t.Text).ToList(), cancellationToken);
        for (int i = 0; i < results.Count; i++)
        {
            if (results[i].Truncated)
                Console.Error.WriteLine($"line {texts[i].Line}: the text is longer than the model reads; its first {results[i].TokenCount} tokens were embedded.");
            Console.WriteLine(JsonSerializer.Serialize(results[i].Vector));
        }

        texts.Clear();
    }

    private static string ReadText(string line, int lineNumber)
    {
        const string format = "each line must be {\"text\": \"...\"} with a non-empty text";
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new TrainingDataException("standard input", lineNumber, $"no \"text\" string; {format}.");
            string value = text.GetString()!;
            return value.Length > 0 ? value : throw new TrainingDataException("standard input", lineNumber, $"the text is empty; {format}.");
        }
        catch (JsonException e)
        {
            throw new TrainingDataException("standard input", lineNumber, $"not valid JSON ({e.Message}); {format}.", e);
        }
    }
}
