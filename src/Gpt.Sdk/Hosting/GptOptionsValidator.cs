using Microsoft.Extensions.Options;

namespace Gpt.Sdk.Hosting;

/// <summary>Refuses <see cref="GptOptions"/> that cannot serve: no model, a folder that is not there or lacks a part, a device
/// the SDK does not know, defaults the engine would refuse or the chat client cannot honour.</summary>
internal sealed class GptOptionsValidator : IValidateOptions<GptOptions>
{
    public ValidateOptionsResult Validate(string? name, GptOptions options)
    {
        var failures = new List<string>();
        string prefix = string.IsNullOrEmpty(name) ? "Gpt" : $"Gpt '{name}'";

        if (options.LoadedModel is null)
        {
            if (string.IsNullOrWhiteSpace(options.ModelPath))
                failures.Add($"{prefix}: no model is set. Set ModelPath (configuration key \"ModelPath\" of the Gpt section) or call FromPretrained(folder) or UseModel(model, tokenizer) on the builder.");
            else if (!Directory.Exists(options.ModelPath))
            {
                string full = Path.GetFullPath(options.ModelPath);
                string where = full == options.ModelPath ? $"'{full}'" : $"'{options.ModelPath}' ({full})";
                failures.Add($"{prefix}: ModelPath {where} is not a folder. Point it at a folder holding config.json, model.safetensors and the tokenizer files.");
            }
            else
            {
                // Checked here so that a folder missing a part stops the app at start, naming every part, rather than at the
                // first request, naming only the first.
                string? tokenizer = Tokenization.TokenizerFiles.Missing(options.ModelPath);
                foreach (string missing in Nn.GptModelFiles.Missing(options.ModelPath).Append(tokenizer).OfType<string>())
                    failures.Add($"{prefix}: ModelPath: {missing}");
            }
        }
        if (!Enum.IsDefined(options.Device))
            failures.Add($"{prefix}: Device {(int)options.Device} is not one of {string.Join(", ", Enum.GetNames<Kernels.Devices.DeviceKind>())}.");
        if (!Enum.IsDefined(options.Weights))
            failures.Add($"{prefix}: Weights {(int)options.Weights} is not one of {string.Join(", ", Enum.GetNames<Nn.WeightStorage>())}.");
        else if (options.Weights != Nn.WeightStorage.Float32)
        {
            if (options.Device is Kernels.Devices.DeviceKind.OpenCL or Kernels.Devices.DeviceKind.Cuda)
                failures.Add($"{prefix}: Weights {options.Weights} are CPU-only for now; use Device Cpu, or Weights Float32 on {options.Device}.");
            if (options.LoadedModel is not null)
                failures.Add($"{prefix}: Weights {options.Weights} applies to a model loaded from ModelPath; a model given with UseModel is served as it is " +
                    "(convert it first with GptModel.ConvertWeights).");
        }
        if (options.ModelId is { } id && string.IsNullOrWhiteSpace(id))
            failures.Add($"{prefix}: ModelId is blank; leave it unset to use the folder name, or give a name.");

        if (options.Defaults is null) failures.Add($"{prefix}: Defaults is null; leave it unset for the engine's defaults.");
        else failures.AddRange(DefaultsFailures(options.Defaults).Select(failure => $"{prefix}: {failure}"));
        if (options.Batching is null) failures.Add($"{prefix}: Batching is null; leave it unset for continuous batching with the engine's limits.");
        else
        {
            try
            {
                options.Batching.Validate();
            }
            catch (ArgumentException e)
            {
                failures.Add($"{prefix}: {OptionErrors.Describe("Batching", e)}");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Why <paramref name="defaults"/> cannot seed chat requests (none when it can): what the engine refuses,
    /// and what one streamed reply per request cannot honour.</summary>
    public static IEnumerable<string> DefaultsFailures(Generation.GenerationOptions defaults)
    {
        string? invalid = null;
        try
        {
            defaults.Validate();
        }
        catch (ArgumentException e)
        {
            invalid = OptionErrors.Describe("Defaults", e);
        }
        if (invalid is not null) yield return invalid;
        if (defaults.N > 1) yield return $"Defaults.N is {defaults.N}; the chat client returns one reply per request, so N must be 1.";
        if (defaults.BestOf is not null) yield return $"Defaults.BestOf is {defaults.BestOf}; best-of cannot stream, so the chat client does not use it. Leave it unset.";
        if (defaults.Logprobs is not null) yield return $"Defaults.Logprobs is {defaults.Logprobs}; the chat client does not report log-probabilities (the Generator service does). Leave it unset.";
        if (defaults.PromptCache is not null) yield return "Defaults.PromptCache is set; a prompt cache belongs to the requests that share its prefix. Pass it per request (ChatOptions.RawRepresentationFactory).";
    }
}
