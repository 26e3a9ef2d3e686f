using System.Reflection;
using Gpt.Kernels.Devices;

namespace Gpt.Kernels.Tests;

/// <summary>What the package shows its users. Every public symbol is listed in src/Gpt.Kernels/PublicAPI.*.txt
/// (the build fails on any change not recorded there); these tests pin the decisions behind that listing, so that
/// regenerating it cannot quietly publish an implementation class again.</summary>
public sealed class PublicSurfaceTests
{
    private static readonly Type[] Exported = typeof(Device).Assembly.GetExportedTypes();

    [Fact]
    public void CpuImplementationAndReferenceKernelsAreInternal()
    {
        // The CPU device and its SIMD paths, the reference kernels (namespace Gpt.Kernels) and the GPU kernels
        // are reached through Device's ops; users never call them.
        string[] leaked = Exported
            .Where(t => t.Namespace is "Gpt.Kernels" or "Gpt.Kernels.Gpu" or "Gpt.Kernels.Devices.Cpu")
            .Select(t => t.FullName!)
            .ToArray();
        Assert.Empty(leaked);
    }

    [Fact]
    public void BackEndBuffersAreInternal()
    {
        // Allocate hands out DeviceBuffer<T>; the back ends' buffer classes (raw pointers and handles) stay inside.
        Assert.DoesNotContain(Exported, t =>
            t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(DeviceBuffer<>));
    }

    [Fact]
    public void OnlyThisAssemblyDerivesDevicesAndBuffers()
    {
        // No public or protected constructor: adding an op to Device (as every new objective does) breaks no one.
        const BindingFlags constructors = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        Assert.All(new[] { typeof(Device), typeof(KernelDevice), typeof(DeviceBuffer<>) }, type =>
            Assert.DoesNotContain(type.GetConstructors(constructors), c => c.IsPublic || c.IsFamily || c.IsFamilyOrAssembly));
    }
}
