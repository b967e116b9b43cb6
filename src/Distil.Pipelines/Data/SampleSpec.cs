using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>Reads the JSON form of a <see cref="SampleSource"/> (see <see cref="RowSources.Sample(JsonObject)"/>).</summary>
internal static class SampleSpec
{
    private static readonly string[] Kinds = ["category", "subcategory", "uniform", "gaussian", "bernoulli", "poisson", "uuid", "datetime"];

    public static SampleSource Read(JsonObject spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var rows = Number(spec["rows"], "\"rows\" (how many rows to make)");
        var seed = spec["seed"] is null ? 0 : (int)Number(spec["seed"], "\"seed\"");
        var groups = Groups(spec);
        var columns = spec["columns"] as JsonObject;
        if (spec["columns"] is not null && columns is null)
            throw new FormatException("\"columns\" must be an object of column names and how each is drawn.");
        if ((columns is null || columns.Count == 0) && groups.Count == 0)
            throw new FormatException("A sample needs \"columns\": an object of column names and how each is drawn" + GroupHint() + ".");
        var parsed = new Dictionary<string, SampledColumn>(StringComparer.Ordinal);
        foreach (var (name, value) in columns ?? [])
        {
            try
            {
                parsed[name] = Column(value as JsonObject ?? throw new FormatException($"write it as an object with one of {string.Join(", ", Kinds)}"));
            }
            catch (Exception error) when (error is FormatException or ArgumentException or InvalidOperationException or JsonException)
            {
                throw new FormatException($"Sample column '{name}': {error.Message}", error);
            }
        }
        try
        {
            return new SampleSource((long)rows, seed, parsed, groups);
        }
        catch (ArgumentException error)
        {
            throw new FormatException(error.Message, error);
        }
    }

    // Every key besides rows, seed and columns names a registered group kind (Distil.Personas' "people").
    private static Dictionary<string, SampledColumnGroup> Groups(JsonObject spec)
    {
        var groups = new Dictionary<string, SampledColumnGroup>(StringComparer.Ordinal);
        foreach (var (key, value) in spec)
        {
            if (key is "rows" or "seed" or "columns") continue;
            var kind = SampledColumnGroupKinds.Find(key)
                ?? throw new FormatException($"A sample has no key '{key}': it takes rows, seed, columns{GroupHint()}.");
            try
            {
                groups[key] = kind.Read(value as JsonObject ?? throw new FormatException($"write it as an object of settings ({{}} for the defaults)"));
            }
            catch (Exception error) when (error is FormatException or ArgumentException or InvalidOperationException or JsonException)
            {
                throw new FormatException($"Sample \"{key}\": {error.Message}", error);
            }
        }
        return groups;
    }

    private static string GroupHint() => SampledColumnGroupKinds.All switch
    {
        [] => " (and \"people\" once the Distil.Personas package is referenced)",
        var kinds => ", or " + string.Join(", ", kinds.Select(k => k.Key.Name)),
    };

    private static SampledColumn Column(JsonObject json)
    {
        var kinds = Kinds.Where(json.ContainsKey).ToList();
        if (kinds.Count != 1) throw new FormatException($"give exactly one of {string.Join(", ", Kinds)}; it has {(kinds.Count == 0 ? "none" : string.Join(", ", kinds))}");
        var value = json[kinds[0]];
        return kinds[0] switch
        {
            "category" => value switch
            {
                JsonArray list => SampledColumn.Category(list.Select(v => (string?)v ?? throw new FormatException("a category value is null")).ToArray()),
                JsonObject weights => SampledColumn.Category(weights.ToDictionary(w => w.Key, w => Number(w.Value, $"the weight of '{w.Key}'"))),
                _ => throw new FormatException("\"category\" is a list of values or an object of values and weights"),
            },
            "subcategory" => SampledColumn.Subcategory(
                (string?)value?["of"] ?? throw new FormatException("\"subcategory\" needs \"of\": the column it depends on"),
                (value?["values"] as JsonObject ?? throw new FormatException("\"subcategory\" needs \"values\": the values for each value of the other column"))
                    .ToDictionary(v => v.Key, v => (IReadOnlyList<string>)(v.Value as JsonArray ?? throw new FormatException($"the values for '{v.Key}' must be a list")).Select(s => (string)s!).ToList())),
            "uniform" => Uniform(value, (bool?)json["integers"] ?? false),
            "gaussian" => Gaussian(value),
            "bernoulli" => SampledColumn.Bernoulli(Number(value, "\"bernoulli\" (a probability)")),
            "poisson" => SampledColumn.Poisson(Number(value, "\"poisson\" (a mean)")),
            "uuid" => SampledColumn.Uuid(),
            _ => value is JsonArray { Count: 2 } range
                ? SampledColumn.DateTime(Date(range[0]), Date(range[1]))
                : throw new FormatException("\"datetime\" is [start, end] in ISO 8601, e.g. [\"2024-01-01\", \"2024-12-31\"]"),
        };
    }

    private static SampledColumn Uniform(JsonNode? value, bool integers)
    {
        var (low, high) = Pair(value, "uniform", "[low, high]");
        return SampledColumn.Uniform(low, high, integers);
    }

    private static SampledColumn Gaussian(JsonNode? value)
    {
        var (mean, deviation) = Pair(value, "gaussian", "[mean, standard deviation]");
        return SampledColumn.Gaussian(mean, deviation);
    }

    private static (double, double) Pair(JsonNode? value, string kind, string form) =>
        value is JsonArray { Count: 2 } pair ? (Number(pair[0], $"\"{kind}\" {form}"), Number(pair[1], $"\"{kind}\" {form}")) : throw new FormatException($"\"{kind}\" is {form}");

    private static double Number(JsonNode? value, string what) =>
        value is JsonValue number && number.TryGetValue<double>(out var result) ? result : throw new FormatException($"{what} must be a number");

    private static DateTimeOffset Date(JsonNode? value) =>
        DateTimeOffset.TryParse((string?)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new FormatException($"'{value}' is not an ISO 8601 date");
}
