using System.Text;

namespace Distil.Generators.Writing;

/// <summary>C# literals of arbitrary text.</summary>
internal static class CSharpLiteral
{
    /// <summary>A regular string literal; every character that needs it is escaped.</summary>
    /// <summary>
    /// A verbatim string literal (<c>@"..."</c>) that keeps line breaks as they are, for long
    /// multi-line texts that readers of generated code should see as written. Only for texts
    /// whose line breaks are <c>\n</c>: a carriage return would be invisible in it.
    /// </summary>
    public static string Verbatim(string value) => "@\"" + value.Replace("\"", "\"\"") + "\"";

    public static string String(string? value)
    {
        if (value is null) return "null";
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\0': builder.Append("\\0"); break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
                        builder.Append("\\u").Append(((int)c).ToString("x4"));
                    else
                        builder.Append(c);
                    break;
            }
        }
        return builder.Append('"').ToString();
    }
}
