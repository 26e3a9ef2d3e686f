using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gpt.Sdk.Evaluation;

/// <summary>
/// Runs untrusted programs (model-written code) one process each, with a wall-clock, CPU-time, memory, process-count
/// and file-size limit, an empty working directory of its own, a scrubbed environment and, where bubblewrap works, no
/// network and a read-only view of the system (<see cref="Isolation"/>). Whatever a program does, the harness returns a
/// verdict and leaves no process behind: each run is its own session and process group, killed as a whole; under
/// bubblewrap it is also a PID namespace that dies with it; as root each run gets a user id of its own, whose every
/// process is killed at the end. Thread-safe; runs up to <see cref="CodeSandboxOptions.MaxParallel"/> programs at once.
/// Linux only.
/// </summary>
public sealed partial class CodeSandbox
{
    // Host user ids for runs when the harness is root: far above any real account, one per run, so a run's leftovers
    // are found by their user id and the process-count limit counts only that run's processes (root is exempt from it).
    private const long RunUserIdBase = 1_500_000_000;
    private static long _runCounter;
    private static readonly string[] SystemPaths = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc"];
    private const string SandboxDirectory = "/sandbox";

    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly string _setsid;
    private readonly string? _prlimit;
    private readonly string? _setpriv;
    private readonly string? _bwrap;
    private readonly List<string> _bwrapMounts = [];
    private readonly bool _root;

    /// <summary>Creates a sandbox, checking before any run that the interpreter and the tools it needs are installed.</summary>
    /// <param name="options">Limits and interpreter (defaults when null).</param>
    /// <param name="logger">Receives the warning when isolation is weaker than bubblewrap's.</param>
    /// <exception cref="FileNotFoundException">The interpreter or <c>setsid</c> is not installed.</exception>
    /// <exception cref="PlatformNotSupportedException">Not on Linux.</exception>
    public CodeSandbox(CodeSandboxOptions? options = null, ILogger? logger = null)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the code sandbox needs Linux (process groups, prlimit, bubblewrap).");
        Options = (options ?? new CodeSandboxOptions()).Validate();
        _logger = logger ?? NullLogger.Instance;
        _slots = new SemaphoreSlim(Options.MaxParallel, Options.MaxParallel);
        string command = Options.Command[0];
        _root = GetEffectiveUserId() == 0;
        _setpriv = _root ? FindExecutable("setpriv") : null;
        // As root, programs run under a user id of their own, which cannot reach an interpreter installed for root
        // alone (pyenv under /root): take the first on PATH that any user can run.
        Interpreter = FindExecutable(command, anyUser: _setpriv is not null)
            ?? throw new FileNotFoundException($"the interpreter '{command}' is not installed (not found{(command.Contains('/') ? "" : " on PATH")}); install it or set CodeSandboxOptions.Command to one that is.", command);
        _setsid = FindExecutable("setsid") ?? throw new FileNotFoundException("setsid (util-linux) is not installed; the sandbox needs it to kill each program with everything it started.", "setsid");
        _prlimit = FindExecutable("prlimit");

        var weaker = new List<string>();
        if (Options.UseBubblewrap && FindExecutable("bwrap") is { } bwrap)
        {
            _bwrapMounts.AddRange(SystemMounts(Interpreter));
            string? probeError = Probe(bwrap);
            if (probeError is null) _bwrap = bwrap;
            else weaker.Add($"bubblewrap is installed but does not work here ({probeError})");
        }
        else if (Options.UseBubblewrap) weaker.Add("bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)");
        else weaker.Add("bubblewrap is turned off (UseBubblewrap = false)");

        Isolation = _bwrap is null ? SandboxIsolation.ResourceLimitsOnly : SandboxIsolation.Bubblewrap;
        if (_bwrap is null) weaker.Add("programs can read the file system and use the network as this user can; only resource limits, timeouts and process-group kills hold them");
        if (_prlimit is null) weaker.Add("prlimit (util-linux) is missing, so the process-count limit is not applied");
        if (_root && _setpriv is null) weaker.Add("running as root without setpriv (util-linux): programs run as root and the process-count limit does not hold");
        if (weaker.Count > 0)
        {
            IsolationWarning = "the code sandbox's isolation is weaker: " + string.Join("; ", weaker) + ".";
            LogWeakerIsolation(_logger, IsolationWarning);
        }
    }

    /// <summary>The options in force.</summary>
    public CodeSandboxOptions Options { get; }

    /// <summary>The interpreter's full path, as found on PATH.</summary>
    public string Interpreter { get; }

    /// <summary>How programs are isolated here.</summary>
    public SandboxIsolation Isolation { get; }

    /// <summary>Why isolation is weaker than it could be (also logged as a warning), or null when nothing is missing.</summary>
    public string? IsolationWarning { get; }

    /// <summary>Runs one program to its verdict.</summary>
    /// <param name="program">The program's source, written to <see cref="CodeSandboxOptions.FileName"/> in a fresh directory.</param>
    /// <param name="cancellationToken">Kills the program and throws <see cref="OperationCanceledException"/>.</param>
    public async Task<SandboxResult> RunAsync(string program, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(program);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunOneAsync(program, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Runs programs in parallel (up to <see cref="CodeSandboxOptions.MaxParallel"/> at once).</summary>
    /// <param name="programs">The programs.</param>
    /// <param name="progress">Receives the number finished so far after each one.</param>
    /// <param name="cancellationToken">Kills the running programs and throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>One result per program, in order.</returns>
    public async Task<IReadOnlyList<SandboxResult>> RunAllAsync(IReadOnlyList<string> programs, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(programs);
        var results = new SandboxResult[programs.Count];
        int finished = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, programs.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Options.MaxParallel, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                results[i] = await RunAsync(programs[i], ct).ConfigureAwait(false);
                progress?.Report(Interlocked.Increment(ref finished));
            }).ConfigureAwait(false);
        return results;
    }

    private async Task<SandboxResult> RunOneAsync(string program, CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("the code sandbox needs Linux.");
        long runUser = _root && _setpriv is not null
            ? RunUserIdBase + (Environment.ProcessId % 100_000) * 1000 + Interlocked.Increment(ref _runCounter) % 1000
            : -1;
        string runDirectory = Path.Combine(Path.GetTempPath(), $"gpt-sandbox-{Guid.NewGuid():N}");
        string workDirectory = Path.Combine(runDirectory, "work");
        string programFile = Path.Combine(runDirectory, Options.FileName);
        Directory.CreateDirectory(workDirectory);
        File.WriteAllText(programFile, program);
        // The program's own user must reach its file and write its directory; nobody else's business, so no other access.
        File.SetUnixFileMode(programFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(runDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherExecute | UnixFileMode.GroupExecute);
        if (runUser >= 0) File.SetUnixFileMode(workDirectory, (UnixFileMode)0b111_111_111);

        var stopwatch = Stopwatch.StartNew();
        Process? process = null;
        try
        {
            var start = StartInfo(programFile, workDirectory, runUser);
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("the process did not start.");
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return new SandboxResult(SandboxVerdict.Error, null, $"could not start the program: {e.Message}", stopwatch.Elapsed);
            }

            var stdout = DrainAsync(process.StandardOutput.BaseStream, Options.MaxOutputBytes);
            var stderr = DrainAsync(process.StandardError.BaseStream, Options.MaxOutputBytes);
            bool timedOut = false;
            using (var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                limit.CancelAfter(Options.WallClockLimit);
                try
                {
                    await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    timedOut = !cancellationToken.IsCancellationRequested;
                    KillGroup(process);
                    await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }

            TimeSpan elapsed = stopwatch.Elapsed;
            KillGroup(process);
            if (runUser >= 0) KillUser(runUser);
            // A descendant that escaped the group (possible only without bubblewrap and without a user id of its own) may
            // hold the pipes open: give the readers a moment, then go on without the rest of its output.
            await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            string errorText = stderr.IsCompletedSuccessfully ? stderr.Result : "";
            int exitCode = process.ExitCode;
            return Judge(exitCode, timedOut, FirstLines(errorText, Options.StderrLines), elapsed);
        }
        finally
        {
            if (process is not null)
            {
                if (!process.HasExited) KillGroup(process);
                process.Dispose();
            }

            if (runUser >= 0) KillUser(runUser);
            try
            {
                Directory.Delete(runDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogCleanupFailed(_logger, runDirectory, e.Message);
            }
        }
    }

    private SandboxResult Judge(int exitCode, bool timedOut, string stderr, TimeSpan elapsed)
    {
        const int SigKill = 9, SigXcpu = 24;
        if (timedOut)
            return new SandboxResult(SandboxVerdict.TimedOut, exitCode, Prepend($"killed after the wall-clock limit of {Options.WallClockLimit.TotalSeconds:0.###} s.", stderr), elapsed);
        if (exitCode == 0) return new SandboxResult(SandboxVerdict.Passed, 0, stderr, elapsed);
        if (exitCode == 128 + SigXcpu)
            return new SandboxResult(SandboxVerdict.TimedOut, exitCode, Prepend($"killed after the CPU-time limit of {CpuSeconds} s.", stderr), elapsed);
        if (exitCode > 128)
        {
            string why = exitCode == 128 + SigKill
                ? "killed (SIGKILL): a resource limit, most likely memory or CPU time."
                : $"killed by signal {exitCode - 128}.";
            return new SandboxResult(SandboxVerdict.Error, exitCode, Prepend(why, stderr), elapsed);
        }

        return new SandboxResult(SandboxVerdict.Failed, exitCode, stderr, elapsed);
    }

    private static string Prepend(string line, string rest) => rest.Length == 0 ? line : line + "\n" + rest;

    private long CpuSeconds => (long)Math.Ceiling((Options.CpuTimeLimit ?? Options.WallClockLimit).TotalSeconds);

    private ProcessStartInfo StartInfo(string programFile, string workDirectory, long runUser)
    {
        var start = new ProcessStartInfo(_setsid)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            UseShellExecute = false, WorkingDirectory = workDirectory,
        };
        // Nothing of the harness's environment (keys, tokens, proxies) reaches the program.
        start.Environment.Clear();
        bool sandboxed = _bwrap is not null;
        string home = sandboxed ? $"{SandboxDirectory}/work" : workDirectory;
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["HOME"] = home, ["TMPDIR"] = sandboxed ? "/tmp" : workDirectory,
            ["LANG"] = "C.UTF-8", ["PYTHONDONTWRITEBYTECODE"] = "1",
        };
        foreach (var (key, value) in environment) start.Environment[key] = value;

        var args = start.ArgumentList;
        string programPath = programFile;
        if (sandboxed)
        {
            args.Add(_bwrap!);
            foreach (string arg in BwrapArguments(programFile, workDirectory, environment)) args.Add(arg);
            args.Add("--");
            programPath = $"{SandboxDirectory}/{Options.FileName}";
        }

        if (_prlimit is not null)
        {
            long nproc = runUser >= 0 ? Options.MaxProcesses : CountUserTasks() + Options.MaxProcesses;
            foreach (string arg in (string[])[_prlimit, $"--cpu={CpuSeconds}:{CpuSeconds + 1}", $"--as={Options.MemoryLimitBytes}",
                         $"--fsize={Options.MaxFileSizeBytes}", $"--nproc={nproc}", "--core=0", "--"])
                args.Add(arg);
        }
        else
        {
            // POSIX sh's ulimit has no process count; it takes kibibytes and 512-byte blocks.
            foreach (string arg in (string[])["/bin/sh", "-c",
                         $"ulimit -t {CpuSeconds} -v {Options.MemoryLimitBytes / 1024} -f {Options.MaxFileSizeBytes / 512} -c 0 && exec \"$@\"", "sh"])
                args.Add(arg);
        }

        if (runUser >= 0)
            foreach (string arg in (string[])[_setpriv!, $"--reuid={runUser}", $"--regid={runUser}", "--clear-groups", "--no-new-privs", "--"])
                args.Add(arg);
        args.Add(Interpreter);
        foreach (string arg in Options.Command.Skip(1)) args.Add(arg);
        args.Add(programPath);
        return start;
    }

    private IEnumerable<string> BwrapArguments(string programFile, string workDirectory, IReadOnlyDictionary<string, string> environment)
    {
        yield return "--die-with-parent";
        yield return "--new-session";
        // Root keeps the host's user namespace so the program can be switched to its own host user id (which makes the
        // process-count limit hold); anyone else needs a new user namespace for bubblewrap to work at all.
        foreach (string ns in _root ? ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"] : (string[])["--unshare-all"])
            yield return ns;
        foreach (string mount in _bwrapMounts) yield return mount;
        // Directories bubblewrap creates are root's and private unless told otherwise; the program's own user needs /tmp
        // (shared, sticky) and /sandbox (to reach its file and directory).
        foreach (string arg in (string[])["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
                     "--perms", "0755", "--dir", SandboxDirectory, "--ro-bind", programFile, $"{SandboxDirectory}/{Options.FileName}",
                     "--bind", workDirectory, $"{SandboxDirectory}/work", "--chdir", $"{SandboxDirectory}/work", "--clearenv"])
            yield return arg;
        foreach (var (key, value) in environment)
        {
            yield return "--setenv";
            yield return key;
            yield return value;
        }
    }

    // A read-only view of the system: the standard directories (symbolic links on merged-/usr systems stay links), the
    // interpreter's own installation when it lives elsewhere (pyenv, conda), and the extra paths asked for.
    private IEnumerable<string> SystemMounts(string interpreter)
    {
        var bound = new List<string>();
        foreach (string path in SystemPaths)
        {
            var info = new DirectoryInfo(path);
            if (!info.Exists) continue;
            if (info.LinkTarget is { } target)
            {
                yield return "--symlink";
                yield return target;
                yield return path;
                continue;
            }
            bound.Add(path + "/");
            yield return "--ro-bind";
            yield return path;
            yield return path;
        }

        var extra = new List<string>(Options.ReadOnlyPaths);
        string real = new FileInfo(interpreter).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? interpreter;
        foreach (string executable in new[] { interpreter, real }.Distinct())
            if (!bound.Any(b => executable.StartsWith(b, StringComparison.Ordinal)) && Path.GetDirectoryName(Path.GetDirectoryName(executable)) is { Length: > 1 } prefix)
                extra.Add(prefix);
        foreach (string path in extra.Distinct())
        {
            yield return "--ro-bind-try";
            yield return path;
            yield return path;
        }
    }

    // Runs `true` inside the same namespaces and mounts a real run uses: bubblewrap can be installed yet refused (no
    // user namespaces for this user, a container without the capability).
    private string? Probe(string bwrap)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"gpt-sandbox-probe-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            string file = Path.Combine(directory, "probe");
            File.WriteAllText(file, "");
            var start = new ProcessStartInfo(bwrap) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
            foreach (string arg in BwrapArguments(file, directory, new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" })) start.ArgumentList.Add(arg);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add("/bin/true");
            using var process = Process.Start(start)!;
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
                return "a test run did not finish in 10 s";
            }
            return process.ExitCode == 0 ? null : FirstLines(error.Result, 2) is { Length: > 0 } e ? e : $"exit status {process.ExitCode}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return e.Message;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> DrainAsync(Stream stream, int keep)
    {
        var kept = new MemoryStream();
        byte[] buffer = new byte[16 << 10];
        int read;
        while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            if (kept.Length < keep) kept.Write(buffer, 0, (int)Math.Min(read, keep - kept.Length));
        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    private static string FirstLines(string text, int lines)
    {
        var split = text.Split('\n');
        return string.Join('\n', split.Take(lines)).TrimEnd();
    }

    private static void KillGroup(Process process)
    {
        const int SigKill = 9;
        // setsid made the program's first process the leader of its own group: the group is the program and all it started.
        _ = Kill(-process.Id, SigKill);
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    // Kills every process of a run's own user id until none is left (a fork loop can be mid-fork on the first pass).
    private static void KillUser(long uid)
    {
        const int SigKill = 9;
        for (int pass = 0; pass < 50; pass++)
        {
            var pids = ProcessesOf(uid);
            if (pids.Count == 0) return;
            foreach (int pid in pids) _ = Kill(pid, SigKill);
            Thread.Sleep(10);
        }
    }

    private static List<int> ProcessesOf(long uid)
    {
        var pids = new List<int>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            if (ReadUid(dir) == uid) pids.Add(pid);
        }
        return pids;
    }

    private static long? ReadUid(string procDirectory)
    {
        try
        {
            foreach (string line in File.ReadLines(Path.Combine(procDirectory, "status")))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(4).Trim().ToString().Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended while being read.
        }
        return null;
    }

    // RLIMIT_NPROC counts every task of the user, the harness's own threads included: the limit is set that far above.
    private static long CountUserTasks()
    {
        long uid = GetEffectiveUserId();
        long tasks = 0;
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out _) || ReadUid(dir) != uid) continue;
            try
            {
                tasks += Directory.EnumerateDirectories(Path.Combine(dir, "task")).Count();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return tasks;
    }

    private static string? FindExecutable(string name, bool anyUser = false)
    {
        if (!OperatingSystem.IsLinux()) return null;
        if (name.Contains('/')) return File.Exists(name) ? Path.GetFullPath(name) : null;
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, name);
            if (!File.Exists(candidate)) continue;
            var mode = File.GetUnixFileMode(candidate);
            if (!anyUser && (mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0) return candidate;
            if (anyUser && OthersCanRun(candidate)) return candidate;
        }
        return null;
    }

    // Others may execute the file (and read it, for scripts), through every directory above it and above its final target.
    private static bool OthersCanRun(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        string real = new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path;
        foreach (string file in new[] { path, real }.Distinct())
        {
            if ((File.GetUnixFileMode(file) & UnixFileMode.OtherExecute) == 0) return false;
            for (string? dir = Path.GetDirectoryName(file); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
                if ((File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0) return false;
        }
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogWeakerIsolation(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not remove the sandbox directory {Directory}: {Reason}")]
    private static partial void LogCleanupFailed(ILogger logger, string directory, string reason);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();
}
