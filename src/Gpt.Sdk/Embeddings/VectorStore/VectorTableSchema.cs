using Microsoft.Extensions.VectorData.ProviderServices;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// What a collection's rows hold: the key, the data properties (in order, as a row's fields store them after
/// the key), the one vector property with its length and metric. Two collection objects share stored rows
/// only when their schemas agree, and a file loads only into a collection whose schema it matches.
/// </summary>
internal sealed record VectorTableSchema(
    string KeyName,
    Type KeyType,
    IReadOnlyList<(string Name, Type Type)> Data,
    string VectorName,
    int Dimensions,
    SimilarityMetric Metric)
{
    /// <summary>The schema of a record model (validated by <see cref="FlatVectorModelBuilder"/>: one key, one vector).</summary>
    public static VectorTableSchema From(CollectionModel model)
    {
        var vector = model.VectorProperty;
        return new VectorTableSchema(
            model.KeyProperty.StorageName,
            model.KeyProperty.Type,
            model.DataProperties.Select(p => (p.StorageName, p.Type)).ToArray(),
            vector.StorageName,
            vector.Dimensions,
            SimilarityMetric.For(vector.DistanceFunction, vector.ModelName));
    }

    /// <summary>Null when <paramref name="other"/> stores the same rows, otherwise what differs, for an error message.</summary>
    public string? Difference(VectorTableSchema other)
    {
        if (KeyName != other.KeyName || KeyType != other.KeyType)
            return $"the key is '{other.KeyName}' ({other.KeyType.Name}), not '{KeyName}' ({KeyType.Name})";
        if (VectorName != other.VectorName || Dimensions != other.Dimensions)
            return $"the vector is '{other.VectorName}' of {other.Dimensions} dimensions, not '{VectorName}' of {Dimensions}";
        if (Metric.Function != other.Metric.Function)
            return $"the distance function is {other.Metric.Function}, not {Metric.Function}";
        if (!Data.SequenceEqual(other.Data))
            return $"the data properties are [{Describe(other.Data)}], not [{Describe(Data)}]";
        return null;
    }

    private static string Describe(IReadOnlyList<(string Name, Type Type)> data) =>
        string.Join(", ", data.Select(p => $"{p.Name}: {p.Type.Name}"));
}
