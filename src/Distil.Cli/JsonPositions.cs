using System.Text;
using System.Text.Json;

namespace Distil.Cli;

/// <summary>
/// Where each key of a JSON text stands, as a line and column counted from 1, by the path of
/// the key (<c>steps/2/params</c>); and JSON errors said with positions counted from 1.
/// <see cref="System.Text.Json.Nodes.JsonNode"/> keeps no positions, so the text is read a
/// second time with <see cref="Utf8JsonReader"/> only when a problem needs one.
/// </summary>
internal sealed class JsonPositions
{
    private readonly byte[] _utf8;
    private readonly List<int> _lineStarts = [0];
    private readonly Dictionary<string, int> _keys = new(StringComparer.Ordinal);

    private JsonPositions(string text)
    {
        _utf8 = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < _utf8.Length; i++)
        {
            if (_utf8[i] == (byte)'\n') _lineStarts.Add(i + 1);
        }
        // Containers open around the reader: their paths, and for a list the index of its next item.
        var open = new Stack<(string Path, bool IsList, int Next)>();
        string? property = null;
        var reader = new Utf8JsonReader(_utf8);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    property = open.Peek().Path + "/" + reader.GetString();
                    _keys[property] = (int)reader.TokenStartIndex;
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    open.Push((ValuePath(), reader.TokenType == JsonTokenType.StartArray, 0));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.Pop();
                    break;
                default:
                    ValuePath();
                    break;
            }
        }

        // The path of the value just read: a list's next index, or the property before it.
        string ValuePath()
        {
            if (open.Count == 0) return "";
            var (path, isList, next) = open.Pop();
            open.Push((path, isList, isList ? next + 1 : next));
            return isList ? path + "/" + next : property!;
        }
    }

    /// <summary>Reads the positions of every key of <paramref name="text"/>, a valid JSON text.</summary>
    public static JsonPositions Of(string text) => new(text);

    /// <summary>"line L, column C" of the key at <paramref name="path"/> (<c>steps/0/parms</c>), or null when there is none.</summary>
    public string? Key(string path) => _keys.TryGetValue(path, out var offset) ? At(offset) : null;

    private string At(int offset)
    {
        var line = _lineStarts.BinarySearch(offset);
        if (line < 0) line = ~line - 1;
        return $"line {line + 1}, column {Encoding.UTF8.GetCharCount(_utf8, _lineStarts[line], offset - _lineStarts[line]) + 1}";
    }

    /// <summary>
    /// A JSON error of <paramref name="text"/> with its position counted from 1 ("line 3, column 7: ..."):
    /// <see cref="JsonException"/> counts lines and bytes from 0.
    /// </summary>
    public static string Describe(JsonException error, string text) => ErrorText.OfJson(error, text);
}
