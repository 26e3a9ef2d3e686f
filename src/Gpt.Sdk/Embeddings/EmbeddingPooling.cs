namespace Gpt.Sdk.Embeddings;

/// <summary>How an embedding head turns a text's hidden states (T, C) into one vector (C).</summary>
public enum EmbeddingPooling
{
    /// <summary>cpt-text's pooling: the text is wrapped in the start and end delimiter special tokens
    /// (<see cref="Tokenization.WellKnownSpecialTokens.EmbedStart"/>, <see cref="Tokenization.WellKnownSpecialTokens.EmbedEnd"/>)
    /// and the hidden state at the end delimiter, which attends to the whole text, is the embedding.</summary>
    EndToken,

    /// <summary>The mean of the hidden states of the text's tokens (sentence-transformers' default); needs no special
    /// tokens, so it works on any trunk as it is.</summary>
    Mean,
}
