// Quickstart: train a small character-level GPT on this machine's CPU, then generate text.
//   dotnet run -c Release --project samples/Quickstart                 (a generated toy corpus)
//   dotnet run -c Release --project samples/Quickstart -- --data my.txt [--steps N]
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

string? dataPath = Argument("--data");
int steps = int.Parse(Argument("--steps") ?? "600", System.Globalization.CultureInfo.InvariantCulture);
string text = dataPath is null ? ToyCorpus.Generate(characters: 300_000, seed: 1) : File.ReadAllText(dataPath);
Console.WriteLine(dataPath is null ? "Training on a generated toy corpus (pass --data FILE for your own text)." : $"Training on {dataPath}.");

// 1. Tokenize: one token per character; hold out the last 10% for validation.
var tokenizer = CharTokenizer.FromCorpus(text);
int[] tokens = tokenizer.Encode(text);
int split = tokens.Length * 9 / 10;
using var train = TokenDataset.FromTokens(tokens[..split]);
using var validation = TokenDataset.FromTokens(tokens[split..]);

// 2. A "baby GPT": 4 blocks, 4 heads, 128 wide, 64 characters of context (about 0.8M parameters).
var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 64, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };
using var model = new GptModel(config, seed: 1337);
Console.WriteLine($"Model: {model.ParameterCount:N0} parameters, vocabulary of {config.VocabularySize} characters.");

// 3. Train: AdamW, warm-up then cosine decay, validation loss every 100 steps.
var options = new TrainingOptions { BatchSize = 12, SequenceLength = 64, MaxSteps = steps, WarmupSteps = 50, EvalInterval = 100, EvalBatches = 10 };
using var trainer = new Trainer(model, train, validation, options);
Console.WriteLine($"Validation loss before training: {trainer.Evaluate():F3} (a uniform guess is {Math.Log(config.VocabularySize):F3})");
var progress = new Progress<TrainingProgress>(p =>
{
    if (p.ValidationLoss is { } loss)
        Console.WriteLine($"step {p.Step,4}/{p.MaxSteps}  train loss {p.Loss:F3}  validation loss {loss:F3}  {p.TokensPerSecond:N0} tokens/s");
});
var result = await trainer.RunAsync(progress);
Console.WriteLine($"Trained {result.Steps} steps in {result.Elapsed.TotalSeconds:F0} s; final validation loss {result.ValidationLoss:F3}.");

// 4. Generate: sample 300 characters after a prompt.
string prompt = text[..1];
var generator = new Generator(model, tokenizer);
var sampling = new GenerationOptions { MaxTokens = 300, Temperature = 0.8f, Seed = 42 };
Console.WriteLine();
Console.Write(prompt);
await foreach (var chunk in generator.StreamAsync(prompt, sampling)) Console.Write(chunk.Text);
Console.WriteLine();

string? Argument(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
