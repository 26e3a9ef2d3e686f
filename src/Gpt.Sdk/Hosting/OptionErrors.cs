namespace Gpt.Sdk.Hosting;

/// <summary>Words an engine validation error for host users, who name options by property
/// (<c>Defaults.TopP</c>, <c>ChatOptions.TopP</c>) rather than as the engine spells them (<c>top-p</c>).</summary>
internal static class OptionErrors
{
    /// <summary><c>{owner}.{Property}: {engine message}</c>, without .NET's "(Parameter '…')" suffix.</summary>
    public static string Describe(string owner, ArgumentException error)
    {
        string message = error.Message;
        if (error.ParamName is not { } property) return $"{owner}: {message}";
        string suffix = $" (Parameter '{property}')";
        if (message.EndsWith(suffix, StringComparison.Ordinal)) message = message[..^suffix.Length];
        return $"{owner}.{property}: {message}";
    }
}
