using Gpt.Sdk.Training;

namespace Gpt.Cli.Rewards;

/// <summary>
/// The reward functions <c>gpt ppo --reward NAME</c> (and <c>gpt bench align</c>) can use without a reward model: programs
/// that score a response to a prompt of the world the alignment benchmark generates. Each is registered here by name.
/// </summary>
internal static class BuiltInRewards
{
    private static readonly Dictionary<string, Func<IResponseScorer>> Registry = new(StringComparer.Ordinal)
    {
        // One line a reward: ["name"] = () => new SomeReward(),
        [RequestedWordsReward.Name] = () => new RequestedWordsReward(),
    };

    /// <summary>The names, for help text and errors.</summary>
    public static IReadOnlyCollection<string> Names => Registry.Keys;

    /// <summary>The reward called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No reward has that name (the message lists those that exist).</exception>
    public static IResponseScorer Get(string name) =>
        Registry.TryGetValue(name, out var create)
            ? create()
            : throw new ArgumentException($"there is no built-in reward '{name}'; the built-in rewards are: {string.Join(", ", Names)} (or give --reward-model DIR).");
}
