using System.Net;
using System.Net.Sockets;
using Gpt.Sdk.Evaluation;

namespace Gpt.Sdk.Tests.Evaluation;

/// <summary>Hostile programs against the sandbox, all in one parallel run with short limits: each gets its verdict, nothing
/// outside its directory changes, nothing reaches the network, and no process survives.</summary>
[Collection(SandboxCollection.Name)]
public sealed class CodeSandboxTests : IDisposable
{
    internal static readonly CodeSandboxOptions ShortLimits = new()
    {
        WallClockLimit = TimeSpan.FromSeconds(3), CpuTimeLimit = TimeSpan.FromSeconds(2), MemoryLimitBytes = 256L << 20,
        MaxProcesses = 8, MaxFileSizeBytes = 1L << 20, MaxParallel = 4,
    };

    private static bool IsCI => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private readonly string _outside = Directory.CreateTempSubdirectory("gpt-sandbox-outside-").FullName;
    private readonly string _marker = $"survivor-{Guid.NewGuid():N}";

    public void Dispose() => Directory.Delete(_outside, recursive: true);

    [Fact]
    public async Task EveryHostileProgramGetsItsVerdictAndLeavesNothingBehind()
    {
        var sandbox = new CodeSandbox(ShortLimits);
        // CI installs bubblewrap (.ci/run): there the strong isolation must be what runs.
        if (IsCI) Assert.True(sandbox.Isolation == SandboxIsolation.Bubblewrap, sandbox.IsolationWarning);
        File.WriteAllText(Path.Combine(_outside, "keep.txt"), "unchanged");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        string tmpMarker = $"/tmp/gpt-sandbox-escape-{Guid.NewGuid():N}";

        var cases = new (string Name, string Program, SandboxVerdict[] Verdicts, string? Stderr)[]
        {
            ("pass", "assert 1 + 1 == 2\n", [SandboxVerdict.Passed], null),
            ("assertion", "assert 1 + 1 == 3, 'wrong sum'\n", [SandboxVerdict.Failed], "AssertionError: wrong sum"),
            ("raise", "raise ValueError('boom')\n", [SandboxVerdict.Failed], "ValueError: boom"),
            ("syntax", "def f(:\n    pass\n", [SandboxVerdict.Failed], "SyntaxError"),
            ("loop", "while True:\n    pass\n", [SandboxVerdict.TimedOut], null),
            ("sleep", "import time\ntime.sleep(60)\n", [SandboxVerdict.TimedOut], "wall-clock"),
            ("fork", "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n", [SandboxVerdict.TimedOut, SandboxVerdict.Error], null),
            ("allocate", "x = []\nwhile True:\n    x.append(bytearray(10 ** 7))\n", [SandboxVerdict.Failed, SandboxVerdict.Error], null),
            ("huge file", "with open('big', 'wb') as f:\n    while True:\n        f.write(b'x' * 65536)\n", [SandboxVerdict.Failed, SandboxVerdict.Error], "File too large"),
            ("write outside", $"""
                import os, sys
                wrote = []
                # /tmp is the sandbox's own (private): writing there is allowed, but must not reach the host's /tmp.
                try:
                    with open({Py(tmpMarker)}, 'w') as f:
                        f.write('escaped')
                except OSError:
                    pass
                for path in [{Py(Path.Combine(_outside, "escaped"))}, {Py(Path.Combine(_outside, "keep.txt"))}, '../escaped', '/usr/escaped', os.path.expanduser('~/../escaped')]:
                    try:
                        with open(path, 'w') as f:
                            f.write('escaped')
                        wrote.append(path)
                    except OSError:
                        pass
                # Hostile: it "passes" only if it got out.
                assert wrote, 'nothing outside could be written'
                print(wrote, file=sys.stderr)
                """, [SandboxVerdict.Failed], "nothing outside could be written"),
            ("network", $"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'hello')\n", [SandboxVerdict.Failed], null),
            ("outliving child", $"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{_marker}'], start_new_session=True)\n",
                [SandboxVerdict.Passed], null),
            ("megabytes of stdout", "import sys\nfor _ in range(400):\n    sys.stdout.write('x' * 50000 + '\\n')\n", [SandboxVerdict.Passed], null),
        };

        var started = DateTime.UtcNow;
        var results = await sandbox.RunAllAsync(cases.Select(c => c.Program).ToArray());
        var elapsed = DateTime.UtcNow - started;
        var report = string.Join("\n", cases.Select((c, i) => $"{c.Name}: {results[i].Verdict} ({results[i].ExitCode}) {results[i].Stderr.ReplaceLineEndings(" | ")}"));
        for (int i = 0; i < cases.Length; i++)
        {
            Assert.True(cases[i].Verdicts.Contains(results[i].Verdict), $"{cases[i].Name}: {results[i].Verdict}\n{report}");
            if (cases[i].Stderr is { } expected) Assert.True(results[i].Stderr.Contains(expected, StringComparison.Ordinal), $"{cases[i].Name}: stderr lacks '{expected}'\n{report}");
        }
        Assert.True(elapsed < TimeSpan.FromSeconds(60), $"the run took {elapsed}\n{report}");

        // Nothing survives: no process of the outliving child (its marker), none under a run's own user id.
        Assert.Empty(Survivors());

        if (sandbox.Isolation == SandboxIsolation.Bubblewrap || Environment.UserName == "root")
        {
            Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(_outside).Select(Path.GetFileName));
            Assert.Equal("unchanged", File.ReadAllText(Path.Combine(_outside, "keep.txt")));
            Assert.False(File.Exists(tmpMarker), $"{tmpMarker} was written from the sandbox.");
            Assert.False(File.Exists("/usr/escaped"));
        }
        if (sandbox.Isolation == SandboxIsolation.Bubblewrap)
            Assert.False(listener.Pending(), "a sandboxed program reached a port on the host's loopback.");
    }

    [Fact]
    public void AMissingInterpreterIsAClearErrorBeforeAnyRun()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new CodeSandbox(ShortLimits with { Command = ["no-such-python-3x"] }));
        Assert.Contains("'no-such-python-3x' is not installed", error.Message);
    }

    [Fact]
    public async Task WithoutBubblewrapLimitsStillHoldAndAWarningSaysIsolationIsWeaker()
    {
        var sandbox = new CodeSandbox(ShortLimits with { UseBubblewrap = false });
        Assert.Equal(SandboxIsolation.ResourceLimitsOnly, sandbox.Isolation);
        Assert.Contains("weaker", sandbox.IsolationWarning);
        var results = await sandbox.RunAllAsync([
            "assert True\n", "import time\ntime.sleep(60)\n",
            $"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', '{_marker}'], start_new_session=True)\n",
        ]);
        Assert.Equal([SandboxVerdict.Passed, SandboxVerdict.TimedOut, SandboxVerdict.Passed], results.Select(r => r.Verdict));
        // Without a PID namespace, a child in its own session escapes the group kill; the run's own user id catches it as root.
        if (Environment.UserName == "root") Assert.Empty(Survivors());
    }

    private List<string> Survivors()
    {
        var found = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                string? uidLine = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
                long uid = uidLine is null ? 0 : long.Parse(uidLine[4..].Trim().Split('\t', ' ')[0]);
                if (cmdline.Contains(_marker, StringComparison.Ordinal) || uid >= 1_500_000_000) found.Add($"{Path.GetFileName(dir)} uid {uid}: {cmdline}");
            }
            catch (IOException)
            {
                // Gone while being read.
            }
        }
        return found;
    }

    private static string Py(string text) => "'" + text.Replace("\\", "\\\\").Replace("'", "\\'") + "'";
}
