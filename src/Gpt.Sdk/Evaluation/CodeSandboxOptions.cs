namespace Gpt.Sdk.Evaluation;

/// <summary>Limits and the interpreter of <see cref="CodeSandbox"/>. The defaults suit HumanEval-sized Python programs.</summary>
public sealed record CodeSandboxOptions
{
    /// <summary>The command that runs a program, the program file's path appended: <c>["python3"]</c> by default; e.g.
    /// <c>["node"]</c> with <see cref="FileName"/> <c>main.js</c> for JavaScript. The first word is looked up on PATH.</summary>
    public IReadOnlyList<string> Command { get; init; } = ["python3"];

    /// <summary>The program file's name (its extension matters to some interpreters).</summary>
    public string FileName { get; init; } = "program.py";

    /// <summary>Wall-clock limit per program; past it the program and everything it started is killed (<see cref="SandboxVerdict.TimedOut"/>).</summary>
    public TimeSpan WallClockLimit { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>CPU-time limit per program (whole seconds, rounded up); null: the wall-clock limit.</summary>
    public TimeSpan? CpuTimeLimit { get; init; }

    /// <summary>Address-space limit per process, in bytes.</summary>
    public long MemoryLimitBytes { get; init; } = 1L << 30;

    /// <summary>Most processes (and threads) the program may run at once, itself included.</summary>
    public int MaxProcesses { get; init; } = 16;

    /// <summary>Largest file the program may write, in bytes.</summary>
    public long MaxFileSizeBytes { get; init; } = 16L << 20;

    /// <summary>Most bytes of each of stdout and stderr kept; the rest is read and dropped, so a program that prints
    /// without end neither blocks nor fills memory.</summary>
    public int MaxOutputBytes { get; init; } = 64 << 10;

    /// <summary>Lines of stderr kept in <see cref="SandboxResult.Stderr"/>.</summary>
    public int StderrLines { get; init; } = 10;

    /// <summary>Programs run at once.</summary>
    public int MaxParallel { get; init; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>Use bubblewrap when <c>bwrap</c> is installed and works (the default); false: resource limits only.</summary>
    public bool UseBubblewrap { get; init; } = true;

    /// <summary>Extra host directories the program may read (bubblewrap only), e.g. a library folder its interpreter needs.</summary>
    public IReadOnlyList<string> ReadOnlyPaths { get; init; } = [];

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public CodeSandboxOptions Validate()
    {
        if (Command is not { Count: > 0 } || string.IsNullOrWhiteSpace(Command[0]))
            throw new ArgumentException("Command must name the interpreter, e.g. [\"python3\"].", nameof(Command));
        if (string.IsNullOrWhiteSpace(FileName) || FileName.Contains('/') || FileName.Contains('\0'))
            throw new ArgumentException($"FileName '{FileName}' must be a plain file name such as program.py.", nameof(FileName));
        if (WallClockLimit <= TimeSpan.Zero) throw new ArgumentException($"WallClockLimit must be positive, not {WallClockLimit}.", nameof(WallClockLimit));
        if (CpuTimeLimit is { } cpu && cpu <= TimeSpan.Zero) throw new ArgumentException($"CpuTimeLimit must be positive, not {cpu}.", nameof(CpuTimeLimit));
        if (MemoryLimitBytes < 16L << 20) throw new ArgumentException($"MemoryLimitBytes {MemoryLimitBytes} is below 16 MiB; no interpreter starts in that.", nameof(MemoryLimitBytes));
        if (MaxProcesses < 1) throw new ArgumentException($"MaxProcesses must be at least 1, not {MaxProcesses}.", nameof(MaxProcesses));
        if (MaxFileSizeBytes < 0) throw new ArgumentException($"MaxFileSizeBytes must not be negative ({MaxFileSizeBytes}).", nameof(MaxFileSizeBytes));
        if (MaxOutputBytes < 0) throw new ArgumentException($"MaxOutputBytes must not be negative ({MaxOutputBytes}).", nameof(MaxOutputBytes));
        if (StderrLines < 0) throw new ArgumentException($"StderrLines must not be negative ({StderrLines}).", nameof(StderrLines));
        if (MaxParallel < 1) throw new ArgumentException($"MaxParallel must be at least 1, not {MaxParallel}.", nameof(MaxParallel));
        return this;
    }
}
