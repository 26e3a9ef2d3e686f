using System.CommandLine;
using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;

namespace Gpt.Cli.Commands;

/// <summary><c>--adapter DIR</c>: a LoRA adapter in Hugging Face PEFT's folder layout (<c>adapter_config.json</c> +
/// <c>adapter_model.safetensors</c>), loaded onto the model a command runs.</summary>
internal static class AdapterOption
{
    /// <summary>A new option (System.CommandLine options belong to one command each).</summary>
    /// <param name="description">What the adapter is for in this command.</param>
    /// <param name="required">True when the command cannot run without one.</param>
    public static Option<DirectoryInfo> Create(string description, bool required = false) =>
        new("--adapter") { Description = description, Required = required };

    /// <summary>Loads <paramref name="folder"/> onto <paramref name="model"/> under the folder's name and says so on
    /// stderr. An adapter that does not fit the model is refused with a message naming the file and the problem.</summary>
    /// <param name="model">The base model.</param>
    /// <param name="folder">The adapter folder.</param>
    public static LoraAdapter Load(GptModel model, DirectoryInfo folder)
    {
        var adapter = PeftAdapterFiles.Load(model, folder.FullName);
        var config = adapter.Config;
        Console.Error.WriteLine($"adapter: {folder.FullName} (rank {config.Rank}, scaling {config.Scaling:G4}, {adapter.Layers.Count} layers)");
        return adapter;
    }
}
