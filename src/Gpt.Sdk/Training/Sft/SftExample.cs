namespace Gpt.Sdk.Training;

/// <summary>
/// One demonstration for supervised fine-tuning, before tokenization: a <see cref="PromptCompletionExample"/>,
/// a <see cref="ChatExample"/> or an <see cref="EditExample"/> (the three JSONL formats
/// <see cref="SftDataset.Load"/> reads). <see cref="SftDataset.FromExamples"/> tokenizes them.
/// </summary>
public abstract record SftExample
{
    // Only the three kinds above: the tokenizer's layout code handles each of them.
    private protected SftExample()
    {
    }
}
