namespace Gpt.Sdk.Evaluation;

/// <summary>One question for <see cref="LogLikelihood.Score(IReadOnlyList{LogLikelihoodRequest}, IProgress{ScoringProgress}?, CancellationToken)"/>:
/// how likely is <paramref name="Continuation"/> right after <paramref name="Context"/>? lm-evaluation-harness's
/// <c>loglikelihood</c> request, in token ids.</summary>
/// <param name="Context">The conditioning tokens, at least one (a model has nothing to predict the first token from
/// otherwise; lm-evaluation-harness puts the end-of-text token there when the context is empty).</param>
/// <param name="Continuation">The tokens scored, at least one and at most the model's context length.</param>
public readonly record struct LogLikelihoodRequest(int[] Context, int[] Continuation);
