using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;
using Gpt.Sdk.Training;

namespace Gpt.Benchmarks.Llama;

/// <summary>
/// A small GPT-2-shaped model trained here, in seconds, on seeded sentences of a tiny grammar, with a BPE tokenizer learnt
/// from the same text. Trained, its next-token distributions are peaked, so greedy tokens are decided by clear margins and
/// a wrong export (a transposed matrix, a swapped tensor, a missing bias) changes them, where on random weights near-ties
/// would hide it.
/// </summary>
internal static class TrainedTinyModel
{
    private static readonly string[] Subjects = ["the cat", "a dog", "the old man", "my sister", "the small bird", "a teacher"];
    private static readonly string[] Verbs = ["sees", "likes", "follows", "paints", "finds", "calls"];
    private static readonly string[] Objects = ["the red ball", "a green tree", "the river", "an apple", "the blue house", "a quiet song"];
    private static readonly string[] Endings = [" today.", " again.", " in the morning.", " at night.", "."];

    /// <summary>The text the model learns: sentences, one per line.</summary>
    public static List<string> Sentences(int count, int seed)
    {
        var random = new Random(seed);
        var lines = new List<string>(count);
        for (int i = 0; i < count; i++)
            lines.Add($"{Pick(random, Subjects)} {Pick(random, Verbs)} {Pick(random, Objects)}{Pick(random, Endings)}\n");
        return lines;
    }

    /// <summary>Trains the tokenizer and the model; returns both and the final training loss.</summary>
    public static (GptModel Model, BpeTokenizer Tokenizer, float Loss) Train(int steps, int seed)
    {
        var lines = Sentences(4000, seed);
        var tokenizer = BpeTrainer.Train(lines, new BpeTrainerOptions { VocabularySize = 384 });
        int[] corpus = tokenizer.Encode(string.Concat(lines));
        var config = new GptConfig
        {
            VocabularySize = tokenizer.VocabularySize, ContextLength = 128, EmbeddingSize = 64, LayerCount = 2, HeadCount = 4,
        };
        var model = new GptModel(config, seed: (ulong)seed);
        const int batch = 8, seqLen = 64;
        var random = new Random(seed);
        var ids = new int[batch * seqLen];
        var targets = new int[batch * seqLen];
        float loss = float.NaN;
        using var optimizer = new AdamW(model.Parameters, weightDecay: 0);
        using var tape = new Tape(model.Device) { IsTraining = true };
        for (int step = 0; step < steps; step++)
        {
            for (int b = 0; b < batch; b++)
            {
                int start = random.Next(corpus.Length - seqLen - 1);
                corpus.AsSpan(start, seqLen).CopyTo(ids.AsSpan(b * seqLen));
                corpus.AsSpan(start + 1, seqLen).CopyTo(targets.AsSpan(b * seqLen));
            }

            tape.Reset();
            optimizer.ZeroGradients();
            var value = model.Loss(tape, ids, targets, batch, seqLen);
            tape.Backward(value);
            optimizer.Step(learningRate: 3e-3f);
            loss = value.ToArray()[0];
        }

        return (model, tokenizer, loss);
    }

    private static string Pick(Random random, string[] words) => words[random.Next(words.Length)];
}
