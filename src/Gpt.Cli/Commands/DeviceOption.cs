using System.CommandLine;
using Gpt.Kernels.Devices;

namespace Gpt.Cli.Commands;

/// <summary><c>--device cpu|opencl|cuda|auto</c>, shared by the commands that compute.</summary>
internal static class DeviceOption
{
    /// <summary>A new option (System.CommandLine options belong to one command each).</summary>
    public static Option<string> Create()
    {
        var option = new Option<string>("--device")
        {
            Description = "Where to compute: cpu, opencl, cuda, or auto (CUDA, else an OpenCL GPU, else the CPU). " +
                "An explicit device that is absent is an error.",
            DefaultValueFactory = _ => "cpu",
        };
        option.AcceptOnlyFromAmong("cpu", "opencl", "cuda", "auto");
        return option;
    }

    /// <summary>Opens the device named on the command line. Any device but the default CPU is announced on stderr
    /// (for auto, with why it was chosen); an absent one throws <see cref="NotSupportedException"/> saying what is
    /// missing, which the program prints as a one-line error.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="option">The option made by <see cref="Create"/>.</param>
    public static Device Open(ParseResult parse, Option<string> option)
    {
        DeviceKind kind = parse.GetValue(option) switch
        {
            "opencl" => DeviceKind.OpenCL,
            "cuda" => DeviceKind.Cuda,
            "auto" => DeviceKind.Auto,
            _ => DeviceKind.Cpu,
        };
        Device device = Device.Get(kind, out string reason);
        if (kind != DeviceKind.Cpu) Console.Error.WriteLine($"device: {reason}");
        return device;
    }
}
