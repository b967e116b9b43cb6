using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;

namespace Distil.Pipelines;

/// <summary>
/// The fallback row mapper, found by reflection for a record the generator did not see. It keeps the
/// generated mappers' rules: the columns rule (snake_case or <see cref="ColumnAttribute"/>), a column
/// may be missing when its property is nullable or its constructor parameter has a default, values
/// read through <see cref="JsonNodeRead"/> with the same errors.
/// </summary>
[RequiresUnreferencedCode("Maps a record by reflection; the generator writes a trimming-safe mapper for records named in Load<T>, Map<TIn, TOut>, Filter<T> and typed result reads.")]
[RequiresDynamicCode("Maps a record by reflection; the generator writes a NativeAOT-safe mapper for records named in Load<T>, Map<TIn, TOut>, Filter<T> and typed result reads.")]
internal sealed class ReflectionRowMapper<T> : RowMapper<T>
{
    private readonly ConstructorInfo? _constructor;
    private readonly (PropertyInfo Property, RowMember Member, Func<JsonNode?, object?> Read)[] _properties;

    private ReflectionRowMapper(ConstructorInfo? constructor, List<(PropertyInfo, RowMember)> members)
        : base(typeof(T).Name, [.. members.Select(m => m.Item2)])
    {
        _constructor = constructor;
        _properties = [.. members.Select(m => (m.Item1, m.Item2, Reader(m.Item1.PropertyType, m.Item2.Column.Nullable, m.Item2.ItemNullable)))];
    }

    public override bool IsGenerated => false;

    public static ReflectionRowMapper<T> Create()
    {
        var type = typeof(T);
        var nullability = new NullabilityInfoContext();
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        var members = new List<(PropertyInfo, RowMember)>();
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is null || property.Name == "EqualityContract") continue;
            var parameter = constructor?.GetParameters().FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            var name = property.GetCustomAttribute<ColumnAttribute>()?.Name
                ?? parameter?.GetCustomAttribute<ColumnAttribute>()?.Name
                ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
            var info = nullability.Create(property);
            var nullable = Nullable.GetUnderlyingType(property.PropertyType) is not null
                || (!property.PropertyType.IsValueType && info.ReadState == NullabilityState.Nullable);
            var element = ElementOf(property.PropertyType);
            var itemNullable = element is not null && (Nullable.GetUnderlyingType(element) is not null
                || info is { GenericTypeArguments: [{ ReadState: NullabilityState.Nullable }] }
                || info.ElementType is { ReadState: NullabilityState.Nullable });
            var separator = (property.GetCustomAttribute<CsvListAttribute>() ?? parameter?.GetCustomAttribute<CsvListAttribute>())?.Separator;
            var column = new Column(name, TypeOf(property.PropertyType, $"{type.Name}.{property.Name}"), nullable);
            members.Add((property, new RowMember(property.Name, column, nullable || parameter is { HasDefaultValue: true }, property.PropertyType)
            {
                ItemNullable = itemNullable,
                CsvListSeparator = separator,
            }));
        }
        return new ReflectionRowMapper<T>(constructor, members);
    }

    public override JsonObject ToRow(T record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var row = new JsonObject();
        foreach (var (property, member, _) in _properties) row[member.Column.Name] = ToNode(property.GetValue(record));
        return row;
    }

    public override T FromRow(JsonObject row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var values = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        var parameters = _constructor?.GetParameters() ?? [];
        foreach (var (property, member, read) in _properties)
        {
            // Rule: a row without the column of a parameter with a default gets the default.
            var parameter = parameters.FirstOrDefault(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (parameter is { HasDefaultValue: true } && !row.ContainsKey(member.Column.Name))
            {
                values[property.Name] = parameter.DefaultValue;
                continue;
            }
            // As generated code reads: a required column must be there; an optional one missing reads as null.
            values[property.Name] = member.Optional
                ? JsonNodeRead.OptionalColumn(row, member.Column.Name, read)
                : JsonNodeRead.Column(row, member.Column.Name, read);
        }
        var arguments = parameters.Select(p => values.TryGetValue(p.Name!, out var value) ? value : p.HasDefaultValue ? p.DefaultValue : null).ToArray();
        var record = _constructor is null ? Activator.CreateInstance(typeof(T))! : _constructor.Invoke(arguments);
        foreach (var (property, _, _) in _properties)
        {
            if (parameters.Any(p => string.Equals(p.Name, property.Name, StringComparison.OrdinalIgnoreCase)) || property.SetMethod is not { IsPublic: true }) continue;
            property.SetValue(record, values[property.Name]);
        }
        return (T)record;
    }

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

    internal static Type? ElementOf(Type type)
    {
        if (type == typeof(string)) return null;
        if (type.IsArray) return type.GetElementType();
        if (type.IsGenericType && type.GetGenericArguments() is [var argument] && typeof(IEnumerable).IsAssignableFrom(type)) return argument;
        return null;
    }

    // Reads a value as generated code does (JsonNodeRead, the same messages).
    private static Func<JsonNode?, object?> Reader(Type type, bool nullable, bool itemNullable)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        nullable |= underlying is not null;
        type = underlying ?? type;
        if (ElementOf(type) is { } element)
        {
            var item = Reader(element, itemNullable, false);
            return node =>
            {
                if (nullable && JsonNodeRead.IsNull(node)) return null;
                var items = JsonNodeRead.List(node, item);
                var list = type.IsArray ? Array.CreateInstance(element, items.Count) : (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
                for (var i = 0; i < items.Count; i++)
                {
                    if (list is Array array) array.SetValue(items[i], i);
                    else list.Add(items[i]);
                }
                return list;
            };
        }
        Func<JsonNode?, object?> read = Scalar(type);
        if (nullable) return read;
        var expected = type == typeof(string) ? "a string" : type == typeof(JsonObject) ? "a JSON object" : typeof(JsonNode).IsAssignableFrom(type) ? "a JSON value" : type.Name;
        return node => read(node) ?? throw RowValueException.Expected(expected, JsonNodeRead.Describe(node));
    }

    private static Func<JsonNode?, object?> Scalar(Type type)
    {
        if (type == typeof(string)) return JsonNodeRead.String;
        if (type == typeof(bool)) return node => JsonNodeRead.Boolean(node);
        if (type == typeof(int)) return node => JsonNodeRead.Int32(node);
        if (type == typeof(long)) return node => JsonNodeRead.Int64(node);
        if (type == typeof(short) || type == typeof(byte) || type == typeof(sbyte) || type == typeof(ushort) || type == typeof(uint)) return node =>
            JsonNodeRead.Int64(node) is { } whole ? Convert.ChangeType(whole, type, CultureInfo.InvariantCulture) : null;
        if (type == typeof(ulong)) return node => JsonNodeRead.Decimal(node) is { } whole ? checked((ulong)whole) : null;
        if (type == typeof(double)) return node => JsonNodeRead.Double(node);
        if (type == typeof(float)) return node => JsonNodeRead.Single(node);
        if (type == typeof(decimal)) return node => JsonNodeRead.Decimal(node);
        if (type.IsEnum)
        {
            var names = Enum.GetNames(type);
            return node => JsonNodeRead.String(node) is not { } text ? null
                : names.FirstOrDefault(n => string.Equals(n, text.Trim(), StringComparison.OrdinalIgnoreCase)) is { } name ? Enum.Parse(type, name)
                : throw RowValueException.Expected($"one of {string.Join(", ", names)}", JsonNodeRead.Describe(node));
        }
        if (type == typeof(JsonObject)) return JsonNodeRead.JsonObject;
        if (typeof(JsonNode).IsAssignableFrom(type)) return JsonNodeRead.Json;
        if (type == typeof(Guid)) return node => JsonNodeRead.String(node) is { } text ? Guid.Parse(text) : null;
        if (type == typeof(DateTime)) return node => JsonNodeRead.String(node) is { } text ? DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind) : null;
        if (type == typeof(DateTimeOffset)) return node => JsonNodeRead.String(node) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) : null;
        if (type == typeof(char)) return node => JsonNodeRead.String(node) is { } text ? text.Length == 1 ? text[0] : throw RowValueException.Expected("one character", JsonNodeRead.Describe(node)) : null;
        throw new ArgumentException($"{type.Name} cannot be read from a row.");
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
        float single => JsonValue.Create(single),
        double number => JsonValue.Create(number),
        decimal money => JsonValue.Create(money),
        IEnumerable items => new JsonArray([.. items.Cast<object?>().Select(ToNode)]),
        _ => throw new ArgumentException($"A value of type {value.GetType().Name} cannot be a row value."),
    };
}
