using System.Globalization;
using System.Text;

namespace Distil.Generators.Writing;

/// <summary>JSON string literals, as the schema and the grammar writers both need them.</summary>
internal static class JsonStringLiteral
{
    public static string Quote(string text)
    {
        var json = new StringBuilder();
        Append(json, text);
        return json.ToString();
    }

    public static void Append(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                default:
                    if (c < ' ') json.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else json.Append(c);
                    break;
            }
        }
        json.Append('"');
    }
}
