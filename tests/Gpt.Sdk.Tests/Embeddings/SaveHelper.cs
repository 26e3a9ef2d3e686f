using Gpt.Sdk.Embeddings;
using Microsoft.Extensions.VectorData;

namespace Gpt.Sdk.Tests.Embeddings;

/// <summary>
/// The child process of the killed-mid-save test (run as <c>dotnet exec Gpt.Sdk.Tests.dll save-index PATH COUNT</c>):
/// builds a collection, starts saving it to PATH, and once the first block is written prints <see cref="Saving"/>
/// and blocks inside the save until it is killed.
/// </summary>
internal static class SaveHelper
{
    public const string Command = "save-index";
    public const string Saving = "saving";

    public static async Task<int> RunAsync(string path, int count)
    {
        var collection = await VectorStoreFixtures.CollectionAsync(DistanceFunction.CosineSimilarity, VectorStoreFixtures.Passages(count, seed: 99));
        await collection.SaveAsync(path, new SyncProgress<long>(_ =>
        {
            Console.Out.WriteLine(Saving);
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
        }));
        return 1; // never reached: the parent kills the process during the save
    }
}
