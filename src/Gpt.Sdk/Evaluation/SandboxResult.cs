namespace Gpt.Sdk.Evaluation;

/// <summary>The outcome of one program run by <see cref="CodeSandbox"/>.</summary>
/// <param name="Verdict">How it ended.</param>
/// <param name="ExitCode">Its exit status (128 + the signal when a signal ended it); null when it never started.</param>
/// <param name="Stderr">The first lines of its standard error (or why it could not run), for reading the failure.</param>
/// <param name="Elapsed">Wall-clock time from start to end.</param>
public sealed record SandboxResult(SandboxVerdict Verdict, int? ExitCode, string Stderr, TimeSpan Elapsed);
