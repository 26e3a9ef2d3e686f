using System.CommandLine;
using System.Globalization;
using System.Text;
using Gpt.Sdk.Generation;
using Gpt.Sdk.Nn;

namespace Gpt.Cli.Commands;

/// <summary>The generation options shared by <c>gpt generate</c> and <c>gpt chat</c>, and their mapping to
/// <see cref="GenerationOptions"/> (which validates the values and names the first bad one); <c>--adapter</c> with
/// them, since the adapter is chosen per request.</summary>
internal sealed class SamplingArguments
{
    private readonly Option<int> _maxTokens = new("--max-tokens") { Description = "Most tokens to generate.", DefaultValueFactory = _ => 200 };
    private readonly Option<float> _temperature = new("--temperature") { Description = "Sampling temperature, >= 0 (0: greedy).", DefaultValueFactory = _ => 0.8f };
    private readonly Option<int> _topK = new("--top-k") { Description = "Sample among the k most likely tokens (0: all).", DefaultValueFactory = _ => 0 };
    private readonly Option<float> _topP = new("--top-p") { Description = "Nucleus sampling: the smallest set of likeliest tokens reaching this probability, in (0, 1].", DefaultValueFactory = _ => 1f };
    private readonly Option<float> _minP = new("--min-p") { Description = "Drop tokens less than this fraction as likely as the likeliest, in [0, 1].", DefaultValueFactory = _ => 0f };
    private readonly Option<float> _repetitionPenalty = new("--repetition-penalty") { Description = "Penalise tokens already in the prompt or text (> 1 discourages; 1: off).", DefaultValueFactory = _ => 1f };
    private readonly Option<float> _frequencyPenalty = new("--frequency-penalty") { Description = "Subtract this per earlier occurrence in the text (0: off).", DefaultValueFactory = _ => 0f };
    private readonly Option<float> _presencePenalty = new("--presence-penalty") { Description = "Subtract this from tokens already in the text (0: off).", DefaultValueFactory = _ => 0f };
    private readonly Option<string[]> _logitBias = new("--logit-bias") { Description = "ID=VALUE: add VALUE to token ID's logit (repeatable; -inf bans)." };
    private readonly Option<string[]> _stop = new("--stop") { Description = "Stop when the text produces this (repeatable; \\n, \\t and \\\\ escapes are read)." };
    private readonly Option<ulong> _seed = new("--seed") { Description = "Sampling seed: the same seed gives the same text.", DefaultValueFactory = _ => 0UL };
    private readonly Option<DirectoryInfo> _adapter = AdapterOption.Create("LoRA adapter folder (PEFT layout: adapter_config.json, adapter_model.safetensors) to generate with.");

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option option in (Option[])[_maxTokens, _temperature, _topK, _topP, _minP, _repetitionPenalty, _frequencyPenalty, _presencePenalty, _logitBias, _stop, _seed, _adapter])
            command.Options.Add(option);
    }

    /// <summary>The options as given; throws <see cref="ArgumentException"/> for a bad value.</summary>
    public GenerationOptions Read(ParseResult parse) => new GenerationOptions
    {
        MaxTokens = parse.GetValue(_maxTokens),
        Temperature = parse.GetValue(_temperature),
        TopK = parse.GetValue(_topK),
        TopP = parse.GetValue(_topP),
        MinP = parse.GetValue(_minP),
        RepetitionPenalty = parse.GetValue(_repetitionPenalty),
        FrequencyPenalty = parse.GetValue(_frequencyPenalty),
        PresencePenalty = parse.GetValue(_presencePenalty),
        LogitBias = ReadLogitBias(parse.GetValue(_logitBias)),
        StopSequences = parse.GetValue(_stop) is { Length: > 0 } stops ? stops.Select(Unescape).ToArray() : null,
        Seed = parse.GetValue(_seed),
    }.Validate();

    /// <summary>Loads the <c>--adapter</c> folder, when one is given, onto <paramref name="model"/>, and returns
    /// <paramref name="options"/> set to generate with it.</summary>
    /// <param name="parse">The parsed command line.</param>
    /// <param name="model">The model the generator runs.</param>
    /// <param name="options">The options from <see cref="Read"/>.</param>
    public GenerationOptions WithAdapter(ParseResult parse, GptModel model, GenerationOptions options)
    {
        if (parse.GetValue(_adapter) is not { } folder) return options;
        var adapter = AdapterOption.Load(model, folder);
        return options with { Adapter = adapter.Name };
    }

    private static Dictionary<int, float>? ReadLogitBias(string[]? entries)
    {
        if (entries is not { Length: > 0 }) return null;
        var bias = new Dictionary<int, float>();
        foreach (string entry in entries)
        {
            int equals = entry.IndexOf('=');
            if (equals < 0
                || !int.TryParse(entry.AsSpan(0, equals), NumberStyles.Integer, CultureInfo.InvariantCulture, out int id)
                || !float.TryParse(entry.AsSpan(equals + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out float value)
                && !TryInfinity(entry[(equals + 1)..], out value))
                throw new ArgumentException($"--logit-bias '{entry}' is not ID=VALUE (e.g. 50256=-inf or 13=2.5).");
            bias[id] = value;
        }
        return bias;
    }

    private static bool TryInfinity(string text, out float value)
    {
        value = text.Trim().ToLowerInvariant() switch { "-inf" or "-infinity" => float.NegativeInfinity, _ => float.NaN };
        return !float.IsNaN(value);
    }

    /// <summary>Reads \n, \t, \r and \\ in command-line text.</summary>
    public static string Unescape(string text)
    {
        if (!text.Contains('\\')) return text;
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\' || i + 1 == text.Length)
            {
                result.Append(text[i]);
                continue;
            }
            char next = text[++i];
            if (next is 'n' or 't' or 'r' or '\\') result.Append(next switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => '\\' });
            else result.Append('\\').Append(next); // not an escape: kept as typed
        }
        return result.ToString();
    }
}
