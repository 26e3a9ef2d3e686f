using System.Text;
using Gpt.Sdk.Generation;

namespace Gpt.Sdk.Retrieval;

/// <summary>
/// Answers questions from an index: retrieves the chunks nearest the question, lays them out in the prompt numbered
/// <c>[1]</c> .. <c>[k]</c> with their source (document and chunk) under the generator's <see cref="ChatTemplate"/>, and
/// returns the answer with the chunks given and the ones its <c>[n]</c> markers cite. Thread-safe: the retriever and
/// generator are, and nothing here changes after construction.
/// </summary>
public sealed class RetrievalAugmentedGenerator
{
    private readonly Retriever _retriever;
    private readonly Generator _generator;

    /// <summary>A question answerer over <paramref name="retriever"/>'s index with <paramref name="generator"/>'s model.</summary>
    /// <param name="retriever">Finds the chunks.</param>
    /// <param name="generator">Writes the answer (its chat template lays out the prompt).</param>
    /// <param name="options">Chunks per question, instruction and generation options (defaults when null).</param>
    public RetrievalAugmentedGenerator(Retriever retriever, Generator generator, RagOptions? options = null)
    {
        _retriever = retriever ?? throw new ArgumentNullException(nameof(retriever));
        _generator = generator ?? throw new ArgumentNullException(nameof(generator));
        Options = (options ?? new RagOptions()).Validate();
    }

    /// <summary>The options in use.</summary>
    public RagOptions Options { get; }

    /// <summary>Retrieves, prompts and answers.</summary>
    /// <param name="question">The question; not empty.</param>
    /// <param name="cancellationToken">Cancels retrieval or generation (within one decoding step).</param>
    /// <exception cref="InvalidOperationException">The question and even one chunk leave no room in the model's context
    /// for the answer (the message says how many tokens each takes).</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public async Task<RagAnswer> AnswerAsync(string question, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(question);
        var retrieved = await _retriever.RetrieveAsync(question, Options.Top, cancellationToken).ConfigureAwait(false);
        var sources = Fit(question, retrieved);
        var result = await _generator.ChatAsync(Conversation(question, sources), Options.Generation, cancellationToken).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        string answer = result.Text.Trim();
        return new RagAnswer(answer, sources, Citations.Parse(answer, sources.Count), result);
    }

    /// <summary>The conversation the model is asked to continue: the instruction as the system turn, then one user turn
    /// with the sources, each as <c>[n] (document, chunk i)</c> and its text, followed by the question.</summary>
    /// <param name="question">The question.</param>
    /// <param name="sources">The chunks, in the order they are numbered.</param>
    public IReadOnlyList<ChatTurn> Conversation(string question, IReadOnlyList<RetrievedChunk> sources)
    {
        ArgumentNullException.ThrowIfNull(question);
        ArgumentNullException.ThrowIfNull(sources);
        var user = new StringBuilder("Sources:\n");
        for (int i = 0; i < sources.Count; i++)
            user.Append(Citations.Marker(i + 1)).Append(" (").Append(sources[i].DocumentId).Append(", chunk ").Append(sources[i].ChunkIndex)
                .Append(")\n").Append(sources[i].Text.Trim()).Append("\n\n");
        user.Append("Question: ").Append(question.Trim());
        return [new ChatTurn(ChatSpeaker.System, Options.Instruction), new ChatTurn(ChatSpeaker.User, user.ToString())];
    }

    // The nearest chunks whose prompt leaves room for the answer: the farthest go first.
    private IReadOnlyList<RetrievedChunk> Fit(string question, IReadOnlyList<RetrievedChunk> retrieved)
    {
        int context = _generator.Model.Config.ContextLength, answer = Options.Generation.MaxTokens;
        for (int count = retrieved.Count; ; count--)
        {
            var sources = retrieved.Take(count).ToArray();
            int prompt = _generator.ChatTemplate.Encode(_generator.Tokenizer, Conversation(question, sources)).Tokens.Length;
            if (prompt + answer <= context) return sources;
            if (count <= 1)
                throw new InvalidOperationException(
                    $"the question with {(count == 0 ? "no source" : "one source")} takes {prompt} tokens and the answer up to {answer} of the model's {context}-token context; " +
                    "index smaller chunks, ask a shorter question or lower Generation.MaxTokens.");
        }
    }
}
