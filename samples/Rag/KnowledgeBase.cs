/// <summary>The sample's documents: made-up towns, each described by the same kinds of facts with different values, so a
/// question is answered by exactly one document and retrieval has to tell them apart.</summary>
internal static class KnowledgeBase
{
    public sealed record Town(string Name, string River, string Export, string Festival, string Mayor, string Animal);

    public static readonly Town[] Towns =
    [
        new("Valdoria", "Senn", "copper kettles", "the lantern parade", "Ilse Marrow", "the grey heron"),
        new("Brackenfold", "Ulla", "blue wool", "the cheese race", "Tomas Reed", "the red squirrel"),
        new("Quillhaven", "Morrow", "paper kites", "the frost fair", "Ada Finch", "the sea otter"),
        new("Dunmere", "Calder", "salt fish", "the bell night", "Oren Pike", "the barn owl"),
        new("Ashby Vale", "Tess", "honey cakes", "the apple dance", "Mira Stone", "the black goat"),
        new("Korrin", "Elde", "glass beads", "the kite week", "Leon Vale", "the white stag"),
    ];

    public static string Document(Town t) =>
        $"{t.Name} is a small town on the river {t.River}. The town is famous for its {t.Export}, which traders carry to every market. " +
        $"Each spring {t.Name} holds {t.Festival}, and people come from far away to see it. The mayor of {t.Name} is {t.Mayor}. " +
        $"The symbol of {t.Name} is {t.Animal}, painted on the town gate.";

    /// <summary>Query and passage pairs for the embedding head: for each fact of each town, keyword queries and questions about
    /// it, and the sentence that states it. The sample's questions are worded differently from all of these.</summary>
    public static IEnumerable<(string Query, string Passage)> Pairs()
    {
        foreach (var t in Towns)
        {
            string n = t.Name;
            foreach (string q in (string[])[$"{n} river", $"On which river is {n}?", $"the river of {n}"])
                yield return (q, $"{n} is a small town on the river {t.River}.");
            foreach (string q in (string[])[$"{n} famous for", $"What does {n} sell?", $"goods from {n}"])
                yield return (q, $"The town of {n} is famous for its {t.Export}, which traders carry to every market.");
            foreach (string q in (string[])[$"{n} spring festival", $"Which festival does {n} hold?", $"spring in {n}"])
                yield return (q, $"Each spring {n} holds {t.Festival}, and people come from far away to see it.");
            foreach (string q in (string[])[$"{n} mayor", $"Who leads {n}?", $"the mayor of {n}"])
                yield return (q, $"The mayor of {n} is {t.Mayor}.");
            foreach (string q in (string[])[$"{n} symbol animal", $"Which animal stands for {n}?", $"the symbol of {n}"])
                yield return (q, $"The symbol of {n} is {t.Animal}, painted on the town gate.");
            yield return ($"Tell me about {n}.", Document(t));
        }
    }

    /// <summary>A long text for map-reduce summarisation: a year of a town's chronicle, month by month.</summary>
    public static string Chronicle()
    {
        string[] months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
        return string.Join(" ", months.Select((month, i) =>
        {
            var t = Towns[i % Towns.Length];
            return $"In {month} the council of {t.Name} met by the river {t.River}. They spoke about {t.Export} and about {t.Festival}. " +
                   $"{t.Mayor} promised a new bridge, and the children drew {t.Animal} on the walls.";
        }));
    }
}
