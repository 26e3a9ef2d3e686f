namespace Gpt.Sdk.Tensors;

/// <summary>
/// The differentiable ops, as extension methods on <see cref="Tape"/>: one file per op in
/// <c>Tensors/Ops</c>, each holding the forward call and its backward.
/// </summary>
public static partial class TensorOps;
