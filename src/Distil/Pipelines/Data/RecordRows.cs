using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The columns a record type declares, as tasks name them: each public property is a column, its
/// name the property's in snake_case (<c>MaxWords</c> is <c>max_words</c>) or the name of a
/// <see cref="ColumnAttribute"/> on the property or its constructor parameter. A column may be
/// missing from a row when its type is nullable or its constructor parameter has a default.
/// </summary>
internal sealed class RecordColumns
{
    private readonly ConstructorInfo? _constructor;

    private RecordColumns(Type type, ConstructorInfo? constructor, IReadOnlyList<(PropertyInfo Property, Column Column, bool Optional)> members)
    {
        Type = type;
        _constructor = constructor;
        Members = members;
        Schema = new RowSchema(members.Select(m => m.Column));
        Required = members.Where(m => !m.Optional).Select(m => m.Column.Name).ToList();
    }

    public Type Type { get; }

    public IReadOnlyList<(PropertyInfo Property, Column Column, bool Optional)> Members { get; }

    public RowSchema Schema { get; }

    public IReadOnlyList<string> Required { get; }

    public static RecordColumns Of([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicConstructors)] Type type)
    {
        var nullability = new NullabilityInfoContext();
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var members = new List<(PropertyInfo, Column, bool)>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.Name == "EqualityContract") continue;
            var parameter = constructor?.GetParameters().FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            var name = property.GetCustomAttribute<ColumnAttribute>()?.Name
                ?? parameter?.GetCustomAttribute<ColumnAttribute>()?.Name
                ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && nullability.Create(property).ReadState == NullabilityState.Nullable);
            var columnType = TypeOf(property.PropertyType, $"{type.Name}.{property.Name}");
            members.Add((property, new Column(name, columnType, nullable), nullable || parameter is { HasDefaultValue: true }));
        }
        var duplicate = members.GroupBy(m => m.Item2.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"{type.Name} maps {string.Join(" and ", duplicate.Select(m => m.Item1.Name))} to one column '{duplicate.Key}'.");
        }
        if (members.Count == 0) throw new ArgumentException($"{type.Name} has no public property to be a column.");
        return new RecordColumns(type, constructor, members);
    }

    /// <summary>An attribute of a member, on its property or (a positional record's) constructor parameter.</summary>
    public T? AttributeOf<T>(PropertyInfo property) where T : Attribute =>
        property.GetCustomAttribute<T>()
        ?? _constructor?.GetParameters().FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase))?.GetCustomAttribute<T>();

    // The column type of a property: text, numbers, booleans, lists of them, JSON; nested records are refused.
    private static ColumnType TypeOf(Type type, string where)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string) || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(char)) return ColumnType.String;
        if (type.IsEnum) return ColumnType.EnumOf(Enum.GetNames(type));
        if (type == typeof(bool)) return ColumnType.Boolean;
        if (type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) || type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(sbyte)) return ColumnType.Integer;
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return ColumnType.Number;
        if (typeof(JsonNode).IsAssignableFrom(type)) return ColumnType.Json;
        if (ElementOf(type) is { } element) return ColumnType.ListOf(TypeOf(element, where));
        throw new ArgumentException($"{where} has type {type.Name}, which a typed row cannot hold here: use text, numbers, booleans, enums, dates, lists of them or a JsonNode (load JsonObject rows for nested records).");
    }

    private static Type? ElementOf(Type type)
    {
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var argument] && typeof(IEnumerable).IsAssignableFrom(type)) return argument;
        return null;
    }

    /// <summary>A record as a row: each property's value under its column name.</summary>
    public JsonObject ToRow(object record)
    {
        var row = new JsonObject();
        foreach (var (property, column, _) in Members) row[column.Name] = ToNode(property.GetValue(record));
        return row;
    }

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        string text => JsonValue.Create(text),
        bool flag => JsonValue.Create(flag),
        char c => JsonValue.Create(c.ToString()),
        Enum member => JsonValue.Create(member.ToString()),
        Guid id => JsonValue.Create(id.ToString()),
        DateTime time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        DateTimeOffset time => JsonValue.Create(time.ToString("O", CultureInfo.InvariantCulture)),
        JsonNode node => node.DeepClone(),
        int or long or short or byte or uint or ushort or sbyte => JsonValue.Create(Convert.ToInt64(value, CultureInfo.InvariantCulture)),
        ulong big => JsonValue.Create(big),
        float or double => JsonValue.Create(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
        decimal money => JsonValue.Create(money),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => throw new ArgumentException($"A value of type {value.GetType().Name} cannot be a row value."),
    };
}

/// <summary>
/// A source whose rows are declared by a record type (<c>Pipeline.Load&lt;TRow&gt;</c>): its schema is
/// the record's columns, known before a row is read; every row is checked to carry the columns the
/// record requires, and carries only the declared columns on.
/// </summary>
internal sealed class TypedRowSource(IRowSource inner, RecordColumns columns) : IRowSource
{
    // Rule: a CSV file holds text; loaded as a record, each cell is read as its property's type.
    // Made here, so that a record CSV cannot be read as (a [CsvList] off a list) fails at Load.
    private readonly IReadOnlyList<CsvCells.ColumnReader>? _cells = inner is CsvRowSource ? CsvCells.Of(columns) : null;

    public string Describe() => $"{inner.Describe()} as {columns.Type.Name}";

    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => inner.CountAsync(cancellationToken);

    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) => ValueTask.FromResult<RowSchema?>(columns.Schema);

    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long index = 0;
        var rows = inner is CsvRowSource csv ? csv.ReadAsync(_cells, cancellationToken) : inner.ReadAsync(cancellationToken);
        await foreach (var row in rows.ConfigureAwait(false))
        {
            foreach (var required in columns.Required)
            {
                if (!row.ContainsKey(required))
                {
                    var has = row.Count == 0 ? "no columns" : string.Join(", ", row.Select(p => p.Key));
                    // A CSV file's columns are its header's: name the header, not a row. Rows count from 1.
                    throw new PipelineException(inner is CsvRowSource csvFile
                        ? $"{csvFile.Path}: the header has no column '{required}', which {columns.Type.Name} declares (the header has {has}). Add the column, or make the property nullable or give it a default."
                        : $"Row {index + 1} of {inner.Describe()} (counted from 1) has no column '{required}', which {columns.Type.Name} declares (the row has {has}). Make the property nullable or give it a default if rows may lack it.");
                }
            }
            index++;
            // The rows carry the declared columns, no others: what the schema says is what flows.
            var typed = new JsonObject();
            foreach (var (_, column, _) in columns.Members)
            {
                if (row.TryGetPropertyValue(column.Name, out var value)) typed[column.Name] = value?.DeepClone();
            }
            yield return typed;
        }
    }
}
