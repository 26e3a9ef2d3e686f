// FineTuning: the whole path from a base model to a fine-tuned assistant served through dependency injection.
//   dotnet run -c Release --project samples/FineTuning
// 1. Pretrain a small character-level GPT on a corpus where a skill appears in one format ("cab>bac": reversal).
// 2. Fine-tune it with LoRA, in process, on chat examples of a format it has never seen ("User: reverse cab").
// 3. Serve base model + adapter folder through AddGpt and ask IChatClient, once under the adapter, once without.
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

string work = Directory.CreateTempSubdirectory("gpt-fine-tuning-").FullName;
var random = new Random(7);
// 3 to 7 distinct letters of a-h: repeated letters make reversal much harder for a model this small to learn.
string Word() => new("abcdefgh".OrderBy(_ => random.Next()).Take(random.Next(3, 8)).ToArray());
string Reverse(string s) => new(s.Reverse().ToArray());

// 1. The base model: 600 steps on lines "word>drow".
string corpus = string.Concat(Enumerable.Range(0, 40_000).Select(_ => Word()).Select(w => $"{w}>{Reverse(w)}\n"));
var tokenizer = CharTokenizer.FromCorpus(corpus + "UserAsistn:rv \n");       // every character the chat layout uses
var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 48, EmbeddingSize = 128, LayerCount = 4, HeadCount = 4 };
using var model = new GptModel(config, seed: 1);
using (var data = TokenDataset.FromTokens(tokenizer.Encode(corpus)))
using (var pretraining = new Trainer(model, data, null, new TrainingOptions { BatchSize = 12, SequenceLength = 48, MaxSteps = 600, LearningRate = 2e-3f, WarmupSteps = 20, EvalInterval = 0 }))
{
    var pretrained = await pretraining.RunAsync();
    Console.WriteLine($"Pretrained the base model: {pretrained.Steps} steps, loss {pretrained.FinalLoss:F3}, {pretrained.Elapsed.TotalSeconds:F0} s.");
}

string baseFolder = Path.Combine(work, "base"), adapterFolder = Path.Combine(work, "reverse");
model.Save(baseFolder, tokenizer);                   // one folder, one model: config.json, model.safetensors, chars.json

// 2. One chain: the model, a LoRA adapter, SFT data, a held-out split, hyper-parameters, where to save — and run.
var examples = Enumerable.Range(0, 2000).Select(_ => Word()).Distinct().Select(w => new ChatExample(
[
    new ChatTurn(ChatSpeaker.User, $"reverse {w}"),
    new ChatTurn(ChatSpeaker.Assistant, Reverse(w)),
]));
var tuned = await FineTune.For(model, tokenizer)
    .WithLora(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = ["c_attn", "c_proj", "c_fc"] }, name: "reverse")
    .OnSftData(examples)
    .HoldOut(0.05)
    .Packed()
    .WithOptions(o => o with { BatchSize = 16, SequenceLength = 48, MaxSteps = 200, LearningRate = 2e-3f, MinLearningRate = 2e-4f, EvalInterval = 100 })
    .SaveTo(adapterFolder)
    .RunAsync(new Progress<TrainingProgress>(p =>
    {
        if (p.ValidationLoss is { } loss) Console.WriteLine($"LoRA step {p.Step}/{p.MaxSteps}: held-out loss {loss:F3}");
    }));
Console.WriteLine($"Fine-tuned {tuned.Adapter!.Parameters.Count:N0} adapter parameters (the base's {model.ParameterCount:N0} stayed frozen); saved to {adapterFolder}.");

// 3. Serve: the base folder plus the adapter folder, registered by name; a request picks the adapter with ModelId.
var services = new ServiceCollection();
services.AddGpt(gpt => gpt.FromPretrained(baseFolder).WithModelId("base").WithLoraAdapter("reverse", adapterFolder)
    .WithDefaults(o => o with { Temperature = 0, MaxTokens = 12 }));
await using var provider = services.BuildServiceProvider();
var chat = provider.GetRequiredService<IChatClient>();
foreach (string word in new[] { "fedcab", "hgab", "bead" })
{
    var adapted = await chat.GetResponseAsync($"reverse {word}", new ChatOptions { ModelId = "reverse" });
    var plain = await chat.GetResponseAsync($"reverse {word}");
    Console.WriteLine($"reverse {word}:  with the adapter '{adapted.Text.Trim()}' (expected '{Reverse(word)}'),  base model '{plain.Text.Trim()}'");
}

Directory.Delete(work, recursive: true);
