namespace Gpt.Sdk.Tests.Evaluation;

/// <summary>The sandbox tests run one class at a time: each checks afterwards that no sandboxed process is left, which
/// another class's programs, still running, would spoil.</summary>
[CollectionDefinition(Name)]
public sealed class SandboxCollection
{
    public const string Name = "code sandbox";
}
