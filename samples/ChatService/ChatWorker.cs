using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

/// <summary>Asks the registered chat client one question, prints the reply as it streams, then stops the app.</summary>
internal sealed class ChatWorker(IChatClient chat, IConfiguration configuration, IHostApplicationLifetime lifetime, ILogger<ChatWorker> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var metadata = chat.GetService<ChatClientMetadata>();
            string prompt = configuration["Prompt"] ?? "Hello! What can you tell me about language models?";
            Console.WriteLine($"Model: {metadata?.DefaultModelId} ({metadata?.ProviderName})");
            Console.WriteLine($"User: {prompt}");
            Console.Write("Assistant:");

            UsageDetails? usage = null;
            ChatFinishReason? finish = null;
            await foreach (var update in chat.GetStreamingResponseAsync(prompt, cancellationToken: stoppingToken))
            {
                Console.Write(update.Text);
                usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                finish = update.FinishReason ?? finish;
            }
            Console.WriteLine();
            if (usage is null || finish is null) throw new InvalidOperationException("the stream ended without its usage and finish reason.");
            Console.WriteLine($"[finish reason: {finish}; {usage.InputTokenCount} prompt + {usage.OutputTokenCount} reply = {usage.TotalTokenCount} tokens]");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "The chat request failed.");
            Environment.ExitCode = 1;
        }
        finally
        {
            lifetime.StopApplication();
        }
    }
}
