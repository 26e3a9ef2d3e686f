using System.CommandLine;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands;

/// <summary>
/// <c>gpt chat --model DIR</c>: an interactive chat in the terminal. Each line typed is a user turn; the
/// reply streams back. <c>/reset</c> starts over, <c>/exit</c> (or end of input) quits. The conversation is
/// laid out by the model's chat template (ChatML when its tokenizer has the chat tokens, plain
/// "User: / Assistant:" lines otherwise), and the conversation so far is kept as a prompt cache, so each
/// turn runs only its new tokens through the model. <c>--adapter</c> chats with a LoRA adapter.
/// </summary>
internal static class ChatCommand
{
    public static Command Create()
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "Model folder (config.json, model.safetensors, tokenizer).", Required = true };
        var system = new Option<string>("--system") { Description = "A system message that frames the conversation." };
        var sampling = new SamplingArguments();
        var device = DeviceOption.Create();
        var weights = WeightsOption.Create();
        var command = new Command("chat", "Chat with a model in the terminal (/reset starts over, /exit quits).") { model, system, device, weights };
        sampling.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = sampling.Read(parse);
            string folder = parse.GetValue(model)!.FullName;
            var tokenizer = TokenizerFiles.Load(folder);
            using var gpt = GptModel.FromPretrained(folder, DeviceOption.Open(parse, device), WeightsOption.Read(parse, weights));
            options = sampling.WithAdapter(parse, gpt, options);
            var generator = new Generator(gpt, tokenizer);
            string? systemText = parse.GetValue(system);
            var turns = NewConversation(systemText);
            try
            {
                generator.ChatTemplate.Encode(tokenizer, turns);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"this model's tokenizer cannot lay out a chat ({e.Message}); chat needs a BPE tokenizer or a character alphabet with the template's text.", e);
            }
            PromptCache? cache = null;
            Console.Error.WriteLine($"chatting with {folder} ({(generator.ChatTemplate.UsesSpecialTokens ? "ChatML" : "plain-text")} template); /reset starts over, /exit quits.");
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    Console.Error.Write("you> ");
                    string? line = Console.ReadLine();
                    if (line is null || line.Trim() == "/exit") break;
                    if (line.Trim() == "/reset")
                    {
                        turns = NewConversation(systemText);
                        cache?.Dispose();
                        cache = null;
                        continue;
                    }
                    if (line.Length == 0) continue;

                    turns.Add(new ChatTurn(ChatSpeaker.User, line));
                    Console.Error.Write("assistant> ");
                    var reply = new System.Text.StringBuilder();
                    var turnOptions = options with { PromptCache = cache };
                    IAsyncEnumerable<GenerationChunk> stream;
                    try
                    {
                        stream = generator.StreamChatAsync(turns, turnOptions, cancellationToken);
                    }
                    catch (ArgumentException e)
                    {
                        // Usually the conversation outgrew the context: say so and let the user go on or start over.
                        Console.Error.WriteLine($"error: {e.Message} (/reset starts a new conversation)");
                        turns.RemoveAt(turns.Count - 1);
                        continue;
                    }
                    await foreach (var chunk in stream)
                    {
                        // The plain template's reply starts after "Assistant:"; its leading space is not shown.
                        string text = reply.Length == 0 ? chunk.Text.TrimStart() : chunk.Text;
                        Console.Write(text);
                        reply.Append(text);
                    }
                    Console.WriteLine();
                    turns.Add(new ChatTurn(ChatSpeaker.Assistant, reply.ToString().Trim()));

                    // Keep the conversation's keys and values for the next turn, which starts with all of it
                    // (unless it already fills the context: the next turn will say so).
                    var conversation = generator.ChatTemplate.Encode(tokenizer, turns, addReplyPrompt: false).Tokens;
                    var next = conversation.Length < gpt.Config.ContextLength ? generator.CreatePromptCache(conversation, cache, cancellationToken) : null;
                    cache?.Dispose();
                    cache = next;
                }
            }
            finally
            {
                cache?.Dispose();
            }
            return 0;
        });
        return command;
    }

    private static List<ChatTurn> NewConversation(string? system) =>
        system is { Length: > 0 } ? [new ChatTurn(ChatSpeaker.System, system)] : [];
}
