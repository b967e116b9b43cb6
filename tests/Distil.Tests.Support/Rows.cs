using System.Text.Json.Nodes;

namespace Distil.Tests.Support;

public static class Rows
{
    public static JsonObject Parse(string json) => JsonNode.Parse(json)!.AsObject();

    public static async Task<List<JsonObject>> ToListAsync(this IAsyncEnumerable<JsonObject> rows)
    {
        var list = new List<JsonObject>();
        await foreach (var row in rows) list.Add(row);
        return list;
    }
}
