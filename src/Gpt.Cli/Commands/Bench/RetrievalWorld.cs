using System.Text;

namespace Gpt.Cli.Commands.Bench;

/// <summary>
/// The world of <c>gpt bench retrieval</c>: people described by five attributes (job, home, pet, the pet's colour,
/// favourite food), each attribute value a concept with three interchangeable words (<c>doctor</c>, <c>physician</c>,
/// <c>medic</c>). A passage describes one person; a question asks for the person by all five attributes, without the
/// name, in other sentence frames, each concept written with a word drawn afresh: it repeats the passage's word for an
/// attribute a third of the time, so word overlap carries some signal and synonymy the rest. Every person's five values
/// differ from every other's, so each question has exactly one answer in the collection.
/// <para>Three disjoint groups of people: <b>corpus</b> people, only in the pretraining text (two descriptions of each in
/// a row, and a question with its answer, so the base model sees the synonyms used alike); <b>train</b> people, whose
/// question–passage pairs train the embedding head; <b>held-out</b> people, whose questions are the test. The collection
/// searched holds the passages of the train and the held-out people, so the trained passages are distractors too. No
/// text about a held-out person is in any training data.</para>
/// </summary>
internal sealed class RetrievalWorld
{
    // Five attributes, each eight concepts of three words. Within the world the three words of a concept mean the same.
    private static readonly string[][][] Attributes =
    [
        [["doctor", "physician", "medic"], ["teacher", "tutor", "instructor"], ["farmer", "grower", "planter"], ["sailor", "mariner", "seaman"],
         ["painter", "artist", "illustrator"], ["builder", "mason", "carpenter"], ["singer", "vocalist", "crooner"], ["guard", "sentry", "watchman"]],
        [["harbour", "port", "dock"], ["mountain", "peak", "summit"], ["forest", "woods", "woodland"], ["desert", "dunes", "wasteland"],
         ["river", "stream", "creek"], ["valley", "dale", "glen"], ["island", "isle", "atoll"], ["city", "town", "metropolis"]],
        [["dog", "hound", "pup"], ["cat", "kitten", "feline"], ["horse", "pony", "steed"], ["bird", "parrot", "finch"],
         ["goat", "ram", "billy"], ["rabbit", "bunny", "hare"], ["fish", "trout", "carp"], ["snake", "serpent", "viper"]],
        [["red", "crimson", "scarlet"], ["blue", "azure", "navy"], ["green", "emerald", "jade"], ["yellow", "golden", "amber"],
         ["black", "ebony", "inky"], ["white", "ivory", "snowy"], ["purple", "violet", "lilac"], ["grey", "ashen", "silver"]],
        [["bread", "loaf", "rolls"], ["soup", "broth", "stew"], ["cheese", "brie", "cheddar"], ["honey", "nectar", "syrup"],
         ["rice", "pilaf", "risotto"], ["cake", "pastry", "tart"], ["noodles", "pasta", "spaghetti"], ["berries", "strawberries", "raspberries"]],
    ];

    private const int Job = 0, Home = 1, Pet = 2, Colour = 3, Food = 4;

    // Passage frames: {0} name, {1} job, {2} home, {3} pet, {4} colour, {5} food.
    private static readonly string[] PassageFrames =
    [
        "{0} is a {1} who lives by the {2} . {0} keeps a {4} {3} and eats {5} every day .",
        "{0} works as a {1} near the {2} , owns a {4} {3} and loves {5} .",
        "Near the {2} lives {0} , a {1} . Every morning {0} eats {5} and walks a {4} {3} .",
        "The {1} {0} has a home at the {2} , a {4} {3} at the door and {5} on the table .",
    ];

    // Question frames, in other words and orders: {1} job, {2} home, {3} pet, {4} colour, {5} food.
    private static readonly string[] QuestionFrames =
    [
        "which {1} from the {2} has a {4} {3} and likes {5} ?",
        "who eats {5} , works as a {1} by the {2} and owns a {4} {3} ?",
        "find the {1} whose {3} is {4} , who lives near the {2} and enjoys {5} .",
        "looking for someone with a {4} {3} who loves {5} and is a {1} at the {2} .",
    ];

    private static readonly string[] Syllables = ["ka", "ri", "mo", "ten", "bal", "or", "su", "vin", "lo", "dra", "pe", "zul", "ne", "tas", "gor", "mi"];

    /// <summary>The sizes of a world, all reported.</summary>
    internal sealed record Settings
    {
        /// <summary>Seed of every draw.</summary>
        public ulong Seed { get; init; } = 1;

        /// <summary>People only in the pretraining text.</summary>
        public int CorpusPeople { get; init; } = 3_000;

        /// <summary>People whose question–passage pairs train the embedding head.</summary>
        public int TrainPeople { get; init; } = 600;

        /// <summary>People whose questions are the test.</summary>
        public int HeldOutPeople { get; init; } = 200;

        /// <summary>Questions (training pairs) per train person, each drawn afresh.</summary>
        public int QuestionsPerTrainPerson { get; init; } = 2;
    }

    /// <summary>One person: a name and the concept index of each attribute.</summary>
    internal sealed record Person(string Name, int[] Concepts);

    private RetrievalWorld(Settings settings) => Configuration = settings;

    /// <summary>The settings the world was drawn with.</summary>
    public Settings Configuration { get; }

    /// <summary>The pretraining text: corpus people only.</summary>
    public string Corpus { get; private init; } = "";

    /// <summary>Training pairs: a question about a train person and that person's passage.</summary>
    public IReadOnlyList<(string Question, string Passage)> TrainPairs { get; private init; } = [];

    /// <summary>The collection searched: the train people's passages, then the held-out people's.</summary>
    public IReadOnlyList<string> Passages { get; private init; } = [];

    /// <summary>The test: a question about a held-out person and the index of that person's passage in <see cref="Passages"/>.</summary>
    public IReadOnlyList<(string Question, int Passage)> HeldOutQueries { get; private init; } = [];

    /// <summary>Share of the held-out questions' attributes written with the same word as in the passage (a third, by design).</summary>
    public double HeldOutWordOverlap { get; private init; }

    /// <summary>Draws a world; equal settings give an equal world.</summary>
    public static RetrievalWorld Generate(Settings settings)
    {
        if (settings.CorpusPeople < 1 || settings.TrainPeople < 2 || settings.HeldOutPeople < 1 || settings.QuestionsPerTrainPerson < 1)
            throw new ArgumentException("the world needs at least 1 corpus person, 2 train people, 1 held-out person and 1 question per train person.");
        int people = settings.CorpusPeople + settings.TrainPeople + settings.HeldOutPeople;
        int combinations = (int)Math.Pow(8, Attributes.Length);
        if (people > combinations / 4)
            throw new ArgumentException($"{people:N0} people is too many for {combinations:N0} attribute combinations; keep it under {combinations / 4:N0}.");
        // One generator a stream, so changing one count leaves the other draws as they were.
        Random Stream(int stream) => new(unchecked((int)(settings.Seed * 1_000_003UL + (ulong)stream)));

        var all = People(Stream(0), people);
        var corpusPeople = all.Take(settings.CorpusPeople).ToList();
        var trainPeople = all.Skip(settings.CorpusPeople).Take(settings.TrainPeople).ToList();
        var heldOutPeople = all.Skip(settings.CorpusPeople + settings.TrainPeople).ToList();

        var corpusRandom = Stream(1);
        var corpus = new StringBuilder();
        foreach (var person in corpusPeople)
        {
            corpus.Append(Passage(corpusRandom, person)).Append(' ').Append(Passage(corpusRandom, person)).Append('\n');
            corpus.Append(Question(corpusRandom, person, null, out _)).Append(" It is ").Append(person.Name).Append(" .\n");
        }

        var passageRandom = Stream(2);
        var passageWords = new List<int[]>();
        var passages = trainPeople.Concat(heldOutPeople).Select(p =>
        {
            var text = Passage(passageRandom, p, out int[] words);
            passageWords.Add(words);
            return text;
        }).ToList();

        var trainRandom = Stream(3);
        var trainPairs = new List<(string, string)>();
        for (int i = 0; i < trainPeople.Count; i++)
            for (int q = 0; q < settings.QuestionsPerTrainPerson; q++)
                trainPairs.Add((Question(trainRandom, trainPeople[i], null, out _), passages[i]));

        var testRandom = Stream(4);
        var queries = new List<(string, int)>();
        int same = 0;
        for (int i = 0; i < heldOutPeople.Count; i++)
        {
            int passage = trainPeople.Count + i;
            queries.Add((Question(testRandom, heldOutPeople[i], passageWords[passage], out int matching), passage));
            same += matching;
        }

        return new RetrievalWorld(settings)
        {
            Corpus = corpus.ToString(), TrainPairs = trainPairs, Passages = passages, HeldOutQueries = queries,
            HeldOutWordOverlap = (double)same / (heldOutPeople.Count * Attributes.Length),
        };
    }

    /// <summary>What the world is, for the benchmark's JSON.</summary>
    public Dictionary<string, object> Describe() => new()
    {
        ["task"] = "a question names a person's job, home, pet, pet colour and food (never the name) in other words and sentence frames " +
            "than the passage that describes the person; find that passage",
        ["seed"] = Configuration.Seed,
        ["attributes"] = Attributes.Length,
        ["concepts_per_attribute"] = Attributes[0].Length,
        ["words_per_concept"] = Attributes[0][0].Length,
        ["corpus_people"] = Configuration.CorpusPeople,
        ["train_people"] = Configuration.TrainPeople,
        ["held_out_people"] = Configuration.HeldOutPeople,
        ["train_pairs"] = TrainPairs.Count,
        ["collection_passages"] = Passages.Count,
        ["held_out_queries"] = HeldOutQueries.Count,
        ["held_out_attribute_word_overlap"] = Math.Round(HeldOutWordOverlap, 4),
        ["held_out_by"] = "person: no held-out person is in the pretraining text or the training pairs",
        ["example_passage"] = Passages[HeldOutQueries[0].Passage],
        ["example_question"] = HeldOutQueries[0].Question,
    };

    // Distinct names and distinct attribute combinations, so every question has one answer.
    private static List<Person> People(Random random, int count)
    {
        var names = new HashSet<string>();
        var combinations = new HashSet<int>();
        var people = new List<Person>(count);
        while (people.Count < count)
        {
            var concepts = Attributes.Select(a => random.Next(a.Length)).ToArray();
            int key = concepts.Aggregate(0, (k, c) => k * 8 + c);
            string name = Name(random);
            if (!combinations.Contains(key) && names.Add(name))
            {
                combinations.Add(key);
                people.Add(new Person(name, concepts));
            }
        }
        return people;
    }

    private static string Name(Random random)
    {
        var name = new StringBuilder();
        int syllables = random.Next(2, 4);
        for (int i = 0; i < syllables; i++) name.Append(Syllables[random.Next(Syllables.Length)]);
        name[0] = char.ToUpperInvariant(name[0]);
        return name.ToString();
    }

    private static string Passage(Random random, Person person) => Passage(random, person, out _);

    private static string Passage(Random random, Person person, out int[] words)
    {
        words = Attributes.Select(a => random.Next(a[0].Length)).ToArray();
        return Fill(PassageFrames[random.Next(PassageFrames.Length)], person, words);
    }

    // A question with its own draw of words; `matching` counts the attributes written as in the passage's `passageWords`.
    private static string Question(Random random, Person person, int[]? passageWords, out int matching)
    {
        var words = Attributes.Select(a => random.Next(a[0].Length)).ToArray();
        matching = passageWords is null ? 0 : words.Zip(passageWords).Count(w => w.First == w.Second);
        return Fill(QuestionFrames[random.Next(QuestionFrames.Length)], person, words);
    }

    private static string Fill(string frame, Person person, int[] words)
    {
        string Word(int attribute) => Attributes[attribute][person.Concepts[attribute]][words[attribute]];
        return string.Format(frame, person.Name, Word(Job), Word(Home), Word(Pet), Word(Colour), Word(Food));
    }
}
