using Gpt.Sdk.Nn;
using Gpt.Sdk.Tokenization;

/// <summary>A tiny random-weight model for when no model folder is given: it produces gibberish, which is
/// enough to show that everything around the model works.</summary>
internal static class DemoModel
{
    /// <summary>Writes the model folder (config.json, model.safetensors and the character tokenizer's chars.json) to a
    /// new temporary folder and returns the folder.</summary>
    public static string Create()
    {
        // Every printable ASCII character and the newline, so any English prompt and the chat layout encode.
        var tokenizer = new CharTokenizer(new string(Enumerable.Range(32, 95).Select(c => (char)c).Prepend('\n').ToArray()));
        var config = new GptConfig { VocabularySize = tokenizer.VocabularySize, ContextLength = 256, EmbeddingSize = 64, LayerCount = 2, HeadCount = 4 };
        string folder = Path.Combine(Path.GetTempPath(), "gpt-chat-service-" + Guid.NewGuid().ToString("N"), "tiny-random-gpt");
        using var model = new GptModel(config, seed: 1);
        model.Save(folder, tokenizer);
        Console.WriteLine($"No model given (--Gpt:ModelPath FOLDER): made a tiny random-weight model ({model.ParameterCount:N0} parameters) in {folder}.");
        Console.WriteLine("Its reply is gibberish: this run shows the plumbing (DI, IChatClient, streaming, usage), not a trained model.");
        return folder;
    }
}
