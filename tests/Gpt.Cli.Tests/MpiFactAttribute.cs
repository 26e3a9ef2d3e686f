namespace Gpt.Cli.Tests;

/// <summary>A test that launches ranks with Open MPI's <c>mpirun</c>: skipped with the reason where it is not installed,
/// except under CI (<c>CI=true</c>, where .ci/run installs openmpi-bin), where it runs and fails, as the OpenCL tests do.</summary>
public sealed class MpiFactAttribute : FactAttribute
{
    private static readonly Lazy<string?> Mpirun = new(() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "mpirun")).FirstOrDefault(File.Exists));

    /// <summary>Sets <see cref="FactAttribute.Skip"/> when mpirun is missing outside CI.</summary>
    public MpiFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (Mpirun.Value is null && !ci) Skip = "mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)";
    }

    /// <summary>The path of mpirun, or "mpirun" (which then fails to start, as it should under CI).</summary>
    public static string Path_ => Mpirun.Value ?? "mpirun";
}
