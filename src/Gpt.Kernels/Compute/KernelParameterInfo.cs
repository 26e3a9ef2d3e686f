namespace Gpt.Kernels.Compute;

/// <summary>One parameter of a kernel, as declared in C#.</summary>
/// <param name="Name">The C# parameter name.</param>
/// <param name="Kind">Buffer or scalar (a buffer is three C parameters; see <see cref="KernelArgumentKind.Buffer"/>).</param>
/// <param name="Type">The buffer's element type, or the scalar's type.</param>
public sealed record KernelParameterInfo(string Name, KernelArgumentKind Kind, KernelValueType Type);
