using Microsoft.Extensions.Logging;

namespace Gpt.Sdk.Hosting;

/// <summary>The log events of the hosting layer (source-generated: no formatting unless the level is on).</summary>
internal static partial class GptLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Loaded GPT model {ModelId} from {Folder}: {Parameters} parameters on {Device}, {Template} chat template, in {ElapsedMs} ms")]
    public static partial void ModelLoaded(ILogger logger, string modelId, string folder, long parameters, string device, string template, long elapsedMs);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Serving GPT model {ModelId} loaded by the app: {Parameters} parameters on {Device}")]
    public static partial void UsingLoadedModel(ILogger logger, string modelId, long parameters, string device);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "Loaded LoRA adapter {Adapter} onto GPT model {ModelId}: {Parameters} parameters")]
    public static partial void AdapterLoaded(ILogger logger, string adapter, string modelId, long parameters);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "Request {ResponseId} started (streaming: {Streaming})")]
    public static partial void RequestStarted(ILogger logger, string responseId, bool streaming);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug,
        Message = "Request {ResponseId} finished ({FinishReason}): {PromptTokens} prompt + {CompletionTokens} completion tokens in {ElapsedMs} ms")]
    public static partial void RequestFinished(ILogger logger, string responseId, string finishReason, int promptTokens, int completionTokens, long elapsedMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "Request {ResponseId} cancelled after {CompletionTokens} completion tokens")]
    public static partial void RequestCancelled(ILogger logger, string responseId, int completionTokens);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Request {ResponseId} failed")]
    public static partial void RequestFailed(ILogger logger, Exception exception, string responseId);
}
