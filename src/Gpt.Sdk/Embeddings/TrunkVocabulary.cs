using Gpt.Sdk.Nn;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Gives a trunk embedding rows for tokens a tokenizer gained (the embedding delimiters): a copy of the model with a larger
/// vocabulary, every weight copied and the new rows of <c>wte</c> drawn N(0, 0.02) as GPT-2 initialises them, or written
/// from saved values. The tied LM head grows with <c>wte</c>; the original model is left as it was.
/// </summary>
internal static class TrunkVocabulary
{
    public static GptModel Grow(GptModel model, int vocabularySize, ulong seed)
    {
        if (vocabularySize <= model.Config.VocabularySize)
            throw new ArgumentOutOfRangeException(nameof(vocabularySize), $"the trunk already has {model.Config.VocabularySize} tokens.");
        var grown = new GptModel(model.Config with { VocabularySize = vocabularySize }, model.Device, seed);
        try
        {
            foreach (var parameter in model.Parameters.Items)
            {
                var values = parameter.Value.ToArray();
                var target = grown.Parameters[parameter.Name].Value;
                if (values.Length == target.Length) target.CopyFrom(values);
                else model.Device.Upload<float>(values, target.Data.Sub(0, values.Length));
            }

            return grown;
        }
        catch
        {
            grown.Dispose();
            throw;
        }
    }

    /// <summary>Writes rows <paramref name="firstId"/>.. of the token embedding.</summary>
    public static void WriteRows(GptModel model, int firstId, ReadOnlySpan<float> rows)
    {
        int c = model.Config.EmbeddingSize;
        model.Device.Upload(rows, model.TokenEmbedding.Value.Data.Sub(firstId * c, rows.Length));
    }

    /// <summary>Rows <paramref name="firstId"/> .. +<paramref name="count"/> of the token embedding.</summary>
    public static float[] ReadRows(GptModel model, int firstId, int count)
    {
        int c = model.Config.EmbeddingSize;
        var rows = new float[count * c];
        model.Device.Download(model.TokenEmbedding.Value.Data.Sub(firstId * c, rows.Length), rows);
        return rows;
    }
}
