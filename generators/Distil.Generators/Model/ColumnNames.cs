using System.Text;

namespace Distil.Generators.Model;

/// <summary>
/// Column names from property names: snake_case with acronyms kept whole, as System.Text.Json's
/// <c>JsonNamingPolicy.SnakeCaseLower</c> does (<c>MaxWords</c> → <c>max_words</c>,
/// <c>HTMLBody</c> → <c>html_body</c>), so that Distil's columns match what .NET serializers write.
/// </summary>
internal static class ColumnNames
{
    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previous = i > 0 ? name[i - 1] : '\0';
                var next = i + 1 < name.Length ? name[i + 1] : '\0';
                var startsWord = i > 0 && previous != '_' &&
                                 (char.IsLower(previous) || char.IsDigit(previous) || (char.IsUpper(previous) && char.IsLower(next)));
                if (startsWord) builder.Append('_');
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
