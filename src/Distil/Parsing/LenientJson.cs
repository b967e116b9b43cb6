using System.ComponentModel;
using System.Text.Json;

namespace Distil.Parsing;

/// <summary>
/// Finds the JSON value in an LLM answer before giving up: the whole answer, else the inside of a
/// markdown code fence, else the first complete object or array in the text. Trailing commas and
/// comments are accepted.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class LenientJson
{
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
    };

    /// <summary>Parses the JSON value of <paramref name="text"/>, or returns null when there is none.</summary>
    /// <remarks>The caller owns the returned document and must dispose it.</remarks>
    public static JsonDocument? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var span = text.AsSpan().Trim();

        // Fast path: a well-behaved model answers with JSON alone.
        if (span.Length > 0 && span[0] is '{' or '[' && TryParseExact(span, out var document)) return document;

        var fenced = InsideFence(span);
        if (!fenced.IsEmpty && TryParseExact(fenced.Trim(), out document)) return document;

        // Prose may hold brackets before the JSON ("compare [Response 1] and ..."): try each
        // balanced candidate in turn.
        for (var start = 0; start < span.Length;)
        {
            var candidate = FirstValue(span.Slice(start), out var offset);
            if (offset < 0) break;
            if (!candidate.IsEmpty && TryParseExact(candidate, out document)) return document;
            start += offset + 1;
        }
        return null;
    }

    private static bool TryParseExact(ReadOnlySpan<char> json, out JsonDocument? document)
    {
        try
        {
            document = JsonDocument.Parse(json.ToString(), Options);
            return true;
        }
        catch (JsonException)
        {
            document = null;
            return false;
        }
    }

    // ```json\n{...}\n``` — the language tag is optional.
    private static ReadOnlySpan<char> InsideFence(ReadOnlySpan<char> text)
    {
        var open = text.IndexOf("```".AsSpan(), StringComparison.Ordinal);
        if (open < 0) return default;
        var rest = text.Slice(open + 3);
        var lineEnd = rest.IndexOf('\n');
        if (lineEnd < 0) return default;
        rest = rest.Slice(lineEnd + 1);
        var close = rest.IndexOf("```".AsSpan(), StringComparison.Ordinal);
        return close < 0 ? rest : rest.Slice(0, close);
    }

    // The first '{' or '[' up to its matching bracket, skipping brackets inside strings.
    private static ReadOnlySpan<char> FirstValue(ReadOnlySpan<char> text, out int start)
    {
        start = text.IndexOfAny('{', '[');
        if (start < 0) return default;
        var depth = 0;
        var inString = false;
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\') i++;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{' or '[': depth++; break;
                case '}' or ']':
                    if (--depth == 0) return text.Slice(start, i - start + 1);
                    break;
            }
        }
        return default;
    }
}
