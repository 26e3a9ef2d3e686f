// ChatService: a hosted console app that takes an IChatClient from dependency injection and streams a reply.
// It uses Gpt.Sdk as a NuGet package from the local feed artifacts/packages (nuget.config), as an app of yours would:
//   v=0.1.0-dev.$(date +%s)
//   dotnet pack src/Gpt.Kernels -c Release -p:Version=$v && dotnet pack src/Gpt.Sdk -c Release -p:Version=$v
//   dotnet run -c Release --project samples/ChatService --property:GptSdkVersion=$v -- [--Gpt:ModelPath FOLDER] [--Prompt "..."]
// Without a model folder it makes a tiny random-weight model first: the reply is gibberish, but every piece
// between your code and the model (DI, options, IChatClient, streaming, usage) is the real one.
using Gpt.Sdk.Hosting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
var gptSection = builder.Configuration.GetSection("Gpt");
string? demoModel = gptSection["ModelPath"] is null ? DemoModel.Create() : null;

builder.Services.AddGpt(gpt =>
    {
        if (demoModel is not null) gpt.FromPretrained(demoModel);
        gpt.WithDefaults(o => o with { Temperature = 0.8f, TopP = 0.95f, MaxTokens = 80, Seed = 1 })
           .BindConfiguration(gptSection);                   // "Gpt:..." settings (appsettings.json, --Gpt:Key value) win
    })
    // AddGpt returns the IChatClient pipeline's builder, as AddChatClient does: Microsoft.Extensions.AI's middleware
    // chains on it. UseOpenTelemetry emits "chat" spans and gen_ai metrics to whatever listens (nothing here);
    // UseLogging logs each request at Debug (--Logging:LogLevel:Microsoft.Extensions.AI Debug shows it).
    .UseOpenTelemetry()
    .UseLogging();
builder.Services.AddHostedService<ChatWorker>();

try
{
    using var host = builder.Build();
    await host.RunAsync();
}
finally
{
    if (demoModel is not null) Directory.Delete(Path.GetDirectoryName(demoModel)!, recursive: true);
}
