using Gpt.Sdk.Nn;
using Gpt.Sdk.Tensors;
using Gpt.Sdk.Tokenization;

namespace Gpt.Sdk.Generation;

/// <summary>
/// Autoregressive generation by full recomputation: each new token runs the model over the last
/// context-length tokens. Simple and exact; a KV-cached engine replaces the recomputation for speed.
/// </summary>
public static class TextGenerator
{
    /// <summary>Generates token ids after <paramref name="prompt"/>, yielding each as it is chosen.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompt">Prompt ids (at least one).</param>
    /// <param name="options">Sampling settings.</param>
    /// <param name="cancellationToken">Stops generation between tokens.</param>
    public static IEnumerable<int> GenerateIds(GptModel model, IReadOnlyList<int> prompt, SamplingOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompt);
        options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (prompt.Count == 0) throw new ArgumentException("the prompt is empty; give at least one token.", nameof(prompt));
        return Run(model, prompt.ToList(), options, cancellationToken);
    }

    /// <summary>Generates text after <paramref name="prompt"/>, one decoded token at a time.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="prompt">Prompt text.</param>
    /// <param name="options">Sampling settings.</param>
    /// <param name="cancellationToken">Stops generation between tokens.</param>
    public static IEnumerable<string> Generate(GptModel model, ITokenizer tokenizer, string prompt, SamplingOptions options,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        foreach (int id in GenerateIds(model, tokenizer.Encode(prompt), options, cancellationToken))
            yield return tokenizer.Decode([id]);
    }

    private static IEnumerable<int> Run(GptModel model, List<int> tokens, SamplingOptions options, CancellationToken cancellationToken)
    {
        int vocab = model.Config.VocabularySize, context = model.Config.ContextLength;
        var sampler = new TokenSampler(options, vocab);
        var logits = new float[vocab];
        using var tape = new Tape(model.Device);
        for (int n = 0; n < options.MaxTokens; n++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int start = Math.Max(0, tokens.Count - context), length = tokens.Count - start;
            tape.Reset();
            using (tape.NoGrad())
            {
                var all = model.Forward(tape, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(tokens).Slice(start, length), 1, length);
                model.Device.Download(all.Data.Sub((length - 1) * vocab, vocab), logits);
            }

            int next = sampler.Sample(logits);
            tokens.Add(next);
            yield return next;
        }
    }
}
