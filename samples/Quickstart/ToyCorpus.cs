using System.Text;

/// <summary>
/// Generates the quickstart's training text: short sentences from a small seeded grammar, so the
/// sample needs no download and the model has real structure (words, agreement, punctuation) to learn.
/// </summary>
internal static class ToyCorpus
{
    private static readonly string[] Names = ["Ada", "Brook", "Cyrus", "Dana", "Ezra", "Faye", "Gus", "Hana"];
    private static readonly string[] Animals = ["fox", "owl", "cat", "crow", "hare", "wolf", "moth", "frog"];
    private static readonly string[] Adjectives = ["quiet", "small", "clever", "old", "bright", "lazy", "brave", "grey"];
    private static readonly string[] Places = ["the river", "the old mill", "the garden", "the hill", "the market", "the forest"];
    private static readonly string[] Verbs = ["sees", "follows", "feeds", "finds", "watches", "greets"];
    private static readonly string[] Times = ["at dawn", "in the rain", "after supper", "before noon", "at night"];

    public static string Generate(int characters, int seed)
    {
        var random = new Random(seed);
        string Pick(string[] words) => words[random.Next(words.Length)];
        var text = new StringBuilder(characters + 200);
        while (text.Length < characters)
        {
            switch (random.Next(4))
            {
                case 0:
                    text.Append($"{Pick(Names)} {Pick(Verbs)} the {Pick(Adjectives)} {Pick(Animals)} near {Pick(Places)}.");
                    break;
                case 1:
                    text.Append($"The {Pick(Animals)} is {Pick(Adjectives)} {Pick(Times)}.");
                    break;
                case 2:
                    int a = random.Next(10), b = random.Next(10);
                    text.Append($"{Pick(Names)} counts {a} and {b} and gets {a + b}.");
                    break;
                default:
                    text.Append($"{Pick(Times)[0..1].ToUpperInvariant()}{Pick(Times)[1..]}, {Pick(Names)} walks to {Pick(Places)}.");
                    break;
            }

            text.Append(random.Next(5) == 0 ? '\n' : ' ');
        }

        return text.ToString();
    }
}
