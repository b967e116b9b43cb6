namespace Distil.Mapping;

/// <summary>The member names of an enum, looked up once per type.</summary>
internal static class EnumNames<TEnum> where TEnum : struct, Enum
{
    private static readonly Dictionary<string, TEnum> ByName =
        System.Enum.GetValues<TEnum>().ToDictionary(v => v.ToString(), StringComparer.OrdinalIgnoreCase);

    public static readonly string List = string.Join(", ", ByName.Keys);

    public static bool TryParse(string text, out TEnum value) => ByName.TryGetValue(text.Trim(), out value);
}
