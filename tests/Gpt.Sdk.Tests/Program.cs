using Gpt.Sdk.Tests.Embeddings;

namespace Gpt.Sdk.Tests;

/// <summary>
/// The test assembly's entry point (in place of the one the test SDK generates, which does nothing): the test
/// runner never calls it, but tests that need a child process run this assembly with a command.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is [SaveHelper.Command, string path, string count]) return await SaveHelper.RunAsync(path, int.Parse(count));
        Console.Error.WriteLine($"Gpt.Sdk.Tests helpers: {SaveHelper.Command} PATH COUNT");
        return 2;
    }
}
