namespace Gpt.Sdk.Tokenization;

/// <summary>One merge rule: tokens <see cref="Left"/> and <see cref="Right"/>, side by side, become <see cref="Result"/>.</summary>
internal readonly record struct BpeMerge(int Left, int Right, int Result);
