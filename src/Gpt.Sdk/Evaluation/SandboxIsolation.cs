namespace Gpt.Sdk.Evaluation;

/// <summary>How strongly <see cref="CodeSandbox"/> isolates the programs it runs.</summary>
public enum SandboxIsolation
{
    /// <summary>bubblewrap: a read-only view of the system, a private /tmp, the program's own working directory and
    /// nothing else of the file system, new PID, network, IPC and UTS namespaces (no network), plus the resource limits.</summary>
    Bubblewrap,

    /// <summary>No isolation tool: resource limits, a scrubbed environment, an empty working directory, timeouts and
    /// killing the whole process group. The program sees the file system and the network as its user does.</summary>
    ResourceLimitsOnly,
}
