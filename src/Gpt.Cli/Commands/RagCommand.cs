using System.CommandLine;
using System.Text.Json;
using Gpt.Sdk.Embeddings;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Retrieval;
using Gpt.Sdk.Tokenization;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt rag --index FILE --model DIR [--head DIR] --question TEXT</c>: retrieval-augmented generation over an index
/// <c>gpt index build</c> wrote. The question is embedded with the model (and head) that built the index, the top k chunks
/// are put in the prompt numbered [1]..[k] (<see cref="RetrievalAugmentedGenerator"/>), and the answer is written by
/// <c>--chat-model</c> (default: the same model folder). Prints one JSON object: the answer, the sources given (document,
/// chunk, score, text) and which of them the answer cites.
/// </summary>
internal static class RagCommand
{
    public static Command Create()
    {
        var index = new Option<FileInfo>("--index") { Description = "The index file (gpt index build).", Required = true };
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder of the embedding trunk that built the index.", Required = true };
        var head = new Option<DirectoryInfo?>("--head") { Description = "Embedding head folder that built the index (default: the model folder's head, or mean pooling)." };
        var chatModel = new Option<DirectoryInfo?>("--chat-model") { Description = "Model folder that writes the answer (default: --model)." };
        var question = new Option<string>("--question") { Description = "The question.", Required = true };
        var top = new Option<int>("-k", "--top") { Description = "Chunks retrieved into the prompt (fewer if they do not fit the context).", DefaultValueFactory = _ => 4 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens of the answer.", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (0: greedy).", DefaultValueFactory = _ => 0f };
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 0UL };
        var device = DeviceOption.Create();
        var command = new Command("rag", "Answer a question from a vector index: retrieve chunks, answer with them in the prompt, cite them.")
        {
            index, model, head, chatModel, question, top, maxTokens, temperature, seed, device,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string indexPath = parse.GetValue(index)!.FullName, modelPath = parse.GetValue(model)!.FullName;
            string? headPath = parse.GetValue(head)?.FullName, chatPath = parse.GetValue(chatModel)?.FullName;
            var options = new RagOptions
            {
                Top = parse.GetValue(top),
                Generation = new GenerationOptions { MaxTokens = parse.GetValue(maxTokens), Temperature = parse.GetValue(temperature), Seed = parse.GetValue(seed) },
            }.Validate();

            var info = VectorIndexFile.ReadInfo(indexPath);
            var target = DeviceOption.Open(parse, device);
            using var embedder = Embedder.Load(modelPath, headPath, target);
            IndexSearchCommand.CheckModel(info, IndexModelFile.Read(indexPath), embedder, modelPath, headPath, indexPath);
            var collection = new FlatVectorStore().GetCollection<string, ChunkRecord>(info.Collection, ChunkRecord.CreateDefinition(info.Dimensions, info.DistanceFunction));
            await collection.LoadAsync(indexPath, cancellationToken);

            // The embedding trunk writes the answer unless another model is named: one model in memory, not two.
            using var separate = chatPath is null ? null : GptModel.FromPretrained(chatPath, target);
            var generator = new Generator(separate ?? embedder.Trunk, TokenizerFiles.Load(chatPath ?? modelPath));
            using var embeddings = new GptEmbeddingGenerator(embedder, Path.GetFileName(modelPath));
            var rag = new RetrievalAugmentedGenerator(new Retriever(collection, embeddings), generator, options);
            var answer = await rag.AnswerAsync(parse.GetValue(question)!, cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                answer = answer.Text,
                finish_reason = answer.Generation.FinishReason.ToString(),
                cited = answer.CitedNumbers,
                sources = answer.Sources.Select((s, i) => new { n = i + 1, id = s.Id, document = s.DocumentId, chunk = s.ChunkIndex, score = s.Score, text = s.Text }),
            }));
            return 0;
        });
        return command;
    }
}
