using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Gpt.Sdk.Training;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt score</c>: scores responses with a reward model folder (<c>gpt rm</c>'s output). One pair from
/// <c>--prompt</c>/<c>--response</c> prints one score; <c>--data</c> reads JSONL lines of <c>{"prompt", "response"}</c> and
/// prints one JSON line per input line, <c>{"line", "score"}</c> (null for a pair longer than the model's context).
/// </summary>
internal static class ScoreCommand
{
    private const int LinesPerBatch = 64;

    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Reward model folder (written by gpt rm).", Required = true };
        var prompt = new Option<string?>("--prompt") { Description = "The prompt (with --response)." };
        var response = new Option<string?>("--response") { Description = "The response to score (with --prompt)." };
        var data = new Option<FileInfo?>("--data") { Description = "JSONL of {\"prompt\", \"response\"} to score, one a line." };
        var device = DeviceOption.Create();
        var command = new Command("score", "Score responses to prompts with a reward model: higher is better.") { model, prompt, response, data, device };
        command.SetAction((parse, cancellationToken) =>
        {
            string? p = parse.GetValue(prompt), r = parse.GetValue(response);
            FileInfo? file = parse.GetValue(data);
            if (file is not null == (p is not null || r is not null))
                throw new ArgumentException("give --prompt and --response, or --data with a JSONL file of {\"prompt\", \"response\"}, not both.");
            if (file is null && (p is null || r is null))
                throw new ArgumentException($"{(p is null ? "--prompt" : "--response")} is missing: a score needs both a prompt and a response.");
            if (file is not null && !file.Exists)
                throw new FileNotFoundException($"--data '{file.FullName}' does not exist; give a JSONL file of {{\"prompt\", \"response\"}} lines.", file.FullName);

            using var rewardModel = RewardModel.Load(parse.GetValue(model)!.FullName, DeviceOption.Open(parse, device));
            if (file is null)
            {
                float score = rewardModel.Score(p!, r!);
                if (float.IsNaN(score))
                    throw new ArgumentException($"the prompt and response are longer than the reward model's context of {rewardModel.Trunk.Config.ContextLength} tokens, so they cannot be scored.");
                Console.WriteLine(score.ToString("G9", CultureInfo.InvariantCulture));
                return Task.FromResult(0);
            }

            var batch = new List<(int Line, string Prompt, string Response)>(LinesPerBatch);
            int number = 0;
            foreach (string line in File.ReadLines(file.FullName))
            {
                number++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var (promptText, responseText) = Parse(file.FullName, number, line);
                batch.Add((number, promptText, responseText));
                if (batch.Count == LinesPerBatch) Flush(rewardModel, batch, cancellationToken);
            }

            Flush(rewardModel, batch, cancellationToken);
            return Task.FromResult(0);
        });
        return command;
    }

    private static (string Prompt, string Response) Parse(string path, int number, string line)
    {
        const string Format = "each line must be {\"prompt\": \"...\", \"response\": \"...\"}";
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            string Field(string name) =>
                root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()!
                    : throw new TrainingDataException(path, number, $"\"{name}\" is missing or not a string; {Format}.");
            return (Field("prompt"), Field("response"));
        }
        catch (JsonException e)
        {
            throw new TrainingDataException(path, number, $"not valid JSON ({e.Message}); {Format}.", e);
        }
    }

    private static void Flush(RewardModel rewardModel, List<(int Line, string Prompt, string Response)> batch, CancellationToken cancellationToken)
    {
        float[] scores = rewardModel.Score([.. batch.Select(b => b.Prompt)], [.. batch.Select(b => b.Response)], cancellationToken);
        for (int i = 0; i < batch.Count; i++)
        {
            string score = float.IsNaN(scores[i]) ? "null" : scores[i].ToString("G9", CultureInfo.InvariantCulture);
            Console.WriteLine($"{{\"line\": {batch[i].Line}, \"score\": {score}}}");
        }

        batch.Clear();
    }
}
