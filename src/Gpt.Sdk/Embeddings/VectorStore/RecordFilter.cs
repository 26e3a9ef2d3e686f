using System.Linq.Expressions;
using Microsoft.Extensions.VectorData.ProviderServices;

namespace Gpt.Sdk.Embeddings;

/// <summary>
/// Turns a filter written against the record type (<c>r =&gt; r.Category == "news" &amp;&amp; !r.Archived</c>)
/// into a test on a stored row's field values, so a search never builds the records it rejects.
/// </summary>
/// <remarks>
/// Supported, as the VectorData abstraction's filters are: comparisons (==, !=, &lt;, &lt;=, &gt;, &gt;=) between
/// a key or data property and a constant or captured value, a boolean property on its own, and !, &amp;&amp;, ||
/// over those. Dynamic records (<c>Dictionary&lt;string, object?&gt;</c>) name properties with the indexer,
/// <c>r =&gt; (string)r["Category"] == "news"</c>. Anything else (method calls such as Contains, vector
/// properties, arithmetic on properties) is refused with a <see cref="NotSupportedException"/> naming it.
/// </remarks>
internal static class RecordFilter
{
    /// <summary>Compiles <paramref name="filter"/> to a test on a row's fields ([key, data properties in model order]).</summary>
    public static Func<object?[], bool> Compile<TRecord>(Expression<Func<TRecord, bool>> filter, CollectionModel model)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var fields = Expression.Parameter(typeof(object?[]), "fields");
        var body = new Rewriter(filter.Parameters[0], fields, model, filter).Visit(filter.Body)!;
        return Expression.Lambda<Func<object?[], bool>>(body, fields).Compile();
    }

    /// <summary>The index of <paramref name="property"/> in a row's fields, or -1 for a vector property.</summary>
    public static int FieldIndex(CollectionModel model, PropertyModel property)
    {
        if (property == model.KeyProperty) return 0;
        for (int i = 0; i < model.DataProperties.Count; i++)
            if (model.DataProperties[i] == property) return i + 1;
        return -1;
    }

    private sealed class Rewriter(ParameterExpression record, ParameterExpression fields, CollectionModel model, Expression filter)
        : ExpressionVisitor
    {
        public override Expression? Visit(Expression? node)
        {
            if (node is null) return null;
            switch (node.NodeType)
            {
                case ExpressionType.Equal or ExpressionType.NotEqual or ExpressionType.LessThan or ExpressionType.LessThanOrEqual
                    or ExpressionType.GreaterThan or ExpressionType.GreaterThanOrEqual or ExpressionType.AndAlso
                    or ExpressionType.OrElse or ExpressionType.Not or ExpressionType.Convert or ExpressionType.Constant:
                    return base.Visit(node);
                case ExpressionType.MemberAccess:
                    return VisitMemberAccess((MemberExpression)node);
                case ExpressionType.Call when node is MethodCallExpression { Method.Name: "get_Item", Object: ParameterExpression p } call
                    && p == record && call.Arguments is [ConstantExpression { Value: string name }]:
                    return Field(name, call.Type);
                default:
                    throw Unsupported(node);
            }
        }

        private Expression VisitMemberAccess(MemberExpression member)
        {
            if (member.Expression == record) return Field(member.Member.Name, member.Type);
            // A captured variable or constant member (closure field, DateTime.Now, ...): evaluated when the filter runs.
            if (!References(member, record)) return member;
            throw Unsupported(member);
        }

        // The field's value as the expression it replaces was typed: the property's type for r.Name, object for r["Name"].
        private Expression Field(string name, Type type)
        {
            if (!model.PropertyMap.TryGetValue(name, out var property))
                throw new NotSupportedException($"The filter {filter} uses '{name}', which is not a property of the collection's records.");
            int index = FieldIndex(model, property);
            if (index < 0)
                throw new NotSupportedException($"The filter {filter} uses the vector property '{name}'; filter on the key or data properties.");
            var value = Expression.ArrayIndex(fields, Expression.Constant(index));
            return type == typeof(object) ? value : Expression.Convert(value, type);
        }

        private NotSupportedException Unsupported(Expression node) => new(
            $"The flat vector store cannot apply the filter {filter}: '{node}' ({node.NodeType}) is not supported. Use comparisons " +
            "(==, !=, <, <=, >, >=) of a key or data property with a value, boolean properties, and !, &&, || to combine them.");

        private static bool References(Expression expression, ParameterExpression parameter)
        {
            var finder = new ParameterFinder(parameter);
            finder.Visit(expression);
            return finder.Found;
        }
    }

    private sealed class ParameterFinder(ParameterExpression parameter) : ExpressionVisitor
    {
        public bool Found { get; private set; }

        protected override Expression VisitParameter(ParameterExpression node)
        {
            if (node == parameter) Found = true;
            return node;
        }
    }
}
