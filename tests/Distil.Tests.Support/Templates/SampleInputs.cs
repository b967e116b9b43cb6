using System.Collections;
using System.Reflection;

namespace Distil.Tests.Templates;

/// <summary>
/// Builds varied instances of any input record by reflection: text with newlines, blanks and
/// non-ASCII, numbers of every sign, empty and long lists, nulls where the type allows them.
/// </summary>
public sealed class SampleInputs(int seed)
{
    private static readonly string[] Texts =
    [
        "", " ", "plain", "two\nlines", "  padded  ", "tab\tand \"quotes\"", "ünïcødé ✓", "{{ not a tag }}",
        "line\r\nwindows", "trailing newline\n", "\u00a0nbsp\u00a0",
    ];

    private readonly Random _random = new(seed);
    private readonly NullabilityInfoContext _nullability = new();

    public T Create<T>() => (T)Create(typeof(T), nullable: false, depth: 0)!;

    public object? Create(Type type, bool nullable, int depth)
    {
        if (nullable && _random.Next(4) == 0) return null;
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null) return Create(underlying, nullable: false, depth);

        if (type == typeof(string)) return Texts[_random.Next(Texts.Length)] + (_random.Next(3) == 0 ? _random.Next(100).ToString() : "");
        if (type == typeof(bool)) return _random.Next(2) == 0;
        if (type == typeof(int)) return _random.Next(-5, 1000);
        if (type == typeof(long)) return (long)_random.Next(-5, 1000) * 1_000_003L;
        if (type == typeof(short)) return (short)_random.Next(-5, 1000);
        if (type == typeof(double)) return Math.Round(_random.NextDouble() * 200 - 100, _random.Next(0, 4));
        if (type == typeof(float)) return (float)Math.Round(_random.NextDouble() * 10, 2);
        if (type == typeof(decimal)) return Math.Round((decimal)_random.NextDouble() * 100, _random.Next(0, 3));
        if (type.IsEnum) { var values = Enum.GetValues(type); return values.GetValue(_random.Next(values.Length)); }

        if (type.IsArray || (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type)))
        {
            var element = type.IsArray ? type.GetElementType()! : type.GetGenericArguments()[0];
            var count = depth > 2 ? 0 : _random.Next(0, 5);
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(element))!;
            for (var i = 0; i < count; i++) list.Add(Create(element, nullable: Nullable.GetUnderlyingType(element) is not null, depth + 1));
            if (!type.IsArray) return list;
            var array = Array.CreateInstance(element, list.Count);
            list.CopyTo(array, 0);
            return array;
        }

        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).First();
        var arguments = constructor.GetParameters()
            .Select(p => Create(p.ParameterType, _nullability.Create(p).WriteState == NullabilityState.Nullable, depth + 1))
            .ToArray();
        return constructor.Invoke(arguments);
    }
}
