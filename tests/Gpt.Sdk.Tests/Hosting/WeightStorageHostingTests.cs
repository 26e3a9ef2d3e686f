using Gpt.Kernels.Devices;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Hosting;
using Gpt.Sdk.Nn;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gpt.Sdk.Tests.Hosting;

/// <summary>The service's weight storage option: from the builder or configuration, and what it refuses.</summary>
public class WeightStorageHostingTests(ModelFolderFixture folder) : IClassFixture<ModelFolderFixture>
{
    [Fact]
    public async Task TheBuilderOrConfigurationLoadsTheModelWithBf16Weights()
    {
        using var built = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path).UseWeights(WeightStorage.BFloat16));
        Assert.Equal(WeightStorage.BFloat16, built.GetRequiredService<Generator>().Model.WeightStorage);
        var response = await built.GetRequiredService<IChatClient>().GetResponseAsync(HostingModels.Ask("Hi"), HostingModels.Sampled(seed: 2, maxTokens: 8));
        Assert.True(response.Usage!.OutputTokenCount >= 1);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gpt:ModelPath"] = folder.Path, ["Gpt:Weights"] = "BFloat16",
        }).Build();
        using var bound = HostingModels.Services(gpt => gpt.BindConfiguration(configuration.GetSection("Gpt")));
        Assert.Equal(WeightStorage.BFloat16, bound.GetRequiredService<IOptions<GptOptions>>().Value.Weights);
        Assert.Equal(WeightStorage.BFloat16, bound.GetRequiredService<Generator>().Model.WeightStorage);
    }

    [Fact]
    public void WeightsTheModelOrDeviceCannotTakeAreRefusedClearly()
    {
        using var onGpu = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path).UseDevice(DeviceKind.OpenCL).UseWeights(WeightStorage.Int8));
        Assert.Contains("CPU-only", Assert.Throws<OptionsValidationException>(() => onGpu.GetRequiredService<IChatClient>()).Message);

        using var loaded = HostingModels.Services(gpt => gpt.UseModel(HostingModels.Model, HostingModels.Tokenizer).UseWeights(WeightStorage.BFloat16));
        Assert.Contains("ConvertWeights", Assert.Throws<OptionsValidationException>(() => loaded.GetRequiredService<IChatClient>()).Message);

        // The fixture's model is 16 wide: no whole blocks of 32 for int8, which the load says.
        using var narrow = HostingModels.Services(gpt => gpt.FromPretrained(folder.Path).UseWeights(WeightStorage.Int8));
        Assert.Contains("multiple of 32", Assert.Throws<NotSupportedException>(() => narrow.GetRequiredService<IChatClient>()).Message);

        new ServiceCollection().AddGpt(gpt => Assert.Throws<ArgumentOutOfRangeException>(() => gpt.UseWeights((WeightStorage)9)));
    }
}
