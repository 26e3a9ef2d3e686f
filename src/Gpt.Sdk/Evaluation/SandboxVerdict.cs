namespace Gpt.Sdk.Evaluation;

/// <summary>How a sandboxed program ended.</summary>
public enum SandboxVerdict
{
    /// <summary>It exited with status 0: every test passed.</summary>
    Passed,

    /// <summary>It exited with a non-zero status: a test failed, or it raised, or it did not compile.</summary>
    Failed,

    /// <summary>It ran past the wall-clock or CPU-time limit and was killed.</summary>
    TimedOut,

    /// <summary>It was killed by a signal (a resource limit, e.g. memory or file size) or could not be started.</summary>
    Error,
}
