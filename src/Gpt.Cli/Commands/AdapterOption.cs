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

    /// <summary>
    /// Leaves <paramref name="model"/>'s base weights with the adapter folded in (W + s·B·A) and the adapter unloaded:
    /// how <c>gpt generate</c> and <c>gpt chat</c> apply an adapter until the Generator takes one per request.
    /// </summary>
    /// <remarks>
    /// <see cref="LoraAdapter.Merge"/> alone is not enough: a model with a merged adapter refuses passes that name no
    /// adapter (its base is gone), and the Generator names none. So the merged weights are copied out, the adapter is
    /// removed (which unmerges it), and the merged weights are written back. The logits are the merged model's, within
    /// float32 rounding of the adapter's (1e-5 on the PyTorch fixture).
    /// </remarks>
    /// <param name="model">The model the adapter is loaded on.</param>
    /// <param name="adapter">The adapter, not merged.</param>
    public static void FoldIntoBase(GptModel model, LoraAdapter adapter)
    {
        var merged = new float[model.Parameters.Count];
        adapter.Merge();
        model.Parameters.CopyValuesTo(merged);
        model.RemoveAdapter(adapter.Name);
        model.Parameters.CopyValuesFrom(merged);
    }
}
