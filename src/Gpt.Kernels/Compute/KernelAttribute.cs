namespace Gpt.Kernels.Compute;

/// <summary>
/// Marks a <c>static void</c> method as a GPU kernel. At build time the Gpt.Kernels generator turns its
/// body into OpenCL C and CUDA C and adds a nested <c>{Name}Kernel</c> class with a descriptor and typed
/// launchers; anything outside the kernel subset is a compile-time error at its line (GPTK diagnostics).
/// </summary>
/// <remarks>
/// Parameters are <see cref="ArrayView{T}"/> buffers and <c>int</c>/<c>uint</c>/<c>long</c>/<c>ulong</c>/<c>float</c>
/// scalars. The containing types must be <c>partial</c>. Static methods declared in source may be called
/// from a kernel as helpers; they follow the same rules.
/// For <c>[Kernel] static void Scale(ArrayView&lt;float&gt; x, float alpha)</c> in <c>partial class K</c> the generator adds
/// <c>K.ScaleKernel.Descriptor</c> (a <see cref="KernelDescriptor"/>),
/// <c>K.ScaleKernel.Launch(IKernelRunner runner, Dim3 groups, Dim3 groupSize, Slice&lt;float&gt; x, float alpha)</c>
/// and, when the kernel has no barrier, <c>K.ScaleKernel.LaunchCpu(Dim3 groups, Dim3 groupSize, Span&lt;float&gt; x, float alpha)</c>.
/// The launcher class has the kernel method's accessibility.
/// </remarks>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class KernelAttribute : Attribute
{
}
