using Gpt.Sdk.Nn;
using Gpt.Sdk.Nn.Lora;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Training;

/// <summary>What a fine-tuning run (<see cref="FineTune"/>, <see cref="Dpo"/>) leaves in its output folder: a PEFT adapter
/// folder when it trained a LoRA adapter, otherwise a complete model folder with its tokenizer.</summary>
internal static class TrainedOutput
{
    /// <summary>Refuses, before any training, a full fine-tune whose result could not be saved (a tokenizer without files).</summary>
    public static void EnsureSavable(string? folder, bool lora, ITokenizer tokenizer)
    {
        if (folder is not null && !lora) TokenizerFiles.EnsureSavable(tokenizer, "tokenizer");
    }

    /// <summary>Saves the adapter (PEFT layout) or the whole model with <paramref name="tokenizer"/> to <paramref name="folder"/>;
    /// nothing when the folder is null.</summary>
    public static void Save(GptModel model, LoraAdapter? adapter, ITokenizer tokenizer, string? folder)
    {
        if (folder is null) return;
        if (adapter is not null)
        {
            PeftAdapterFiles.Save(adapter, folder);
            return;
        }

        model.Save(folder, tokenizer);
    }
}
