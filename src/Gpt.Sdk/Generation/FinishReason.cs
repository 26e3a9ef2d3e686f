namespace Gpt.Sdk.Generation;

/// <summary>Why a completion ended.</summary>
public enum FinishReason
{
    /// <summary><see cref="GenerationOptions.MaxTokens"/> tokens were generated, or the model's context is full.</summary>
    Length,

    /// <summary>The text reached one of <see cref="GenerationOptions.StopSequences"/> (which is not part of the result).</summary>
    Stop,

    /// <summary>The model chose an end token: <c>&lt;|endoftext|&gt;</c>, or <c>&lt;|im_end|&gt;</c> when the tokenizer has it.</summary>
    EndOfText,

    /// <summary>The caller's cancellation token fired; the text generated so far is returned.</summary>
    Cancelled,
}
