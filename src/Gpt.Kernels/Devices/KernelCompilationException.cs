namespace Gpt.Kernels.Devices;

/// <summary>A GPU driver's compiler (OpenCL or NVRTC) rejected a kernel's source; the message and
/// <see cref="BuildLog"/> carry the compiler's full log, with line numbers into the generated source.</summary>
public sealed class KernelCompilationException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="kernel">The kernel or program that failed.</param>
    /// <param name="device">The device it was compiled for.</param>
    /// <param name="options">The build options used.</param>
    /// <param name="buildLog">The compiler's log.</param>
    public KernelCompilationException(string kernel, string device, string options, string buildLog)
        : base($"Compiling kernel '{kernel}' for {device} failed (options: \"{options}\"). Build log:{Environment.NewLine}{buildLog}")
    {
        Kernel = kernel;
        BuildLog = buildLog;
    }

    /// <summary>The kernel or program that failed.</summary>
    public string Kernel { get; }

    /// <summary>The compiler's full log.</summary>
    public string BuildLog { get; }
}
