namespace Distil.Mapping;

/// <summary>The member names of an enum, looked up once per type.</summary>
internal static class EnumNames<TEnum> where TEnum : struct, Enum
{
    // From the names, not the values: aliases (Good = 1, Fine = 1) are names of their own.
    private static readonly Dictionary<string, TEnum> ByName = Create();

    public static readonly string List = string.Join(", ", ByName.Keys);

    public static bool TryParse(string text, out TEnum value) => ByName.TryGetValue(text.Trim(), out value);

    private static Dictionary<string, TEnum> Create()
    {
        var byName = new Dictionary<string, TEnum>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in System.Enum.GetNames<TEnum>())
        {
            // Names that differ only by case: the first one declared wins a case-insensitive match.
            byName.TryAdd(name, System.Enum.Parse<TEnum>(name));
        }
        return byName;
    }
}
