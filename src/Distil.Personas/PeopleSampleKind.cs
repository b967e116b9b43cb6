using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// <c>"people": { "locales": {"en": 3, "de": 1}, "age": [18, 80], "age_mean": 40, "age_sd": 12, "female_share": 0.5, "prefix": "persona_" }</c>
/// in a pipeline file's <c>sample</c>: a <see cref="PersonSampler"/> per row, beside the sample's <c>columns</c>.
/// Registered in <see cref="SampledColumnGroupKinds"/> when this package loads (the <c>distil</c> command loads it).
/// </summary>
public sealed class PeopleSampleKind : SampledColumnGroupKind
{
    /// <inheritdoc/>
    public override PipelineFileKey Key { get; } = PipelineFileKey.Options("people",
        "People as columns (Distil.Personas): name, first_name, last_name, sex, age, locale, country, city, occupation, handle, persona.",
        new PipelineFileKey("locales", ["array", "object"], "Bogus locales, a list or locale: weight (default en)."),
        PipelineFileKey.List("age", "[youngest, oldest] in whole years (default [18, 80])."),
        PipelineFileKey.Number("age_mean", "With age_sd: ages around this mean, within the range (default: spread evenly)."),
        PipelineFileKey.Number("age_sd", "The spread of ages around age_mean."),
        PipelineFileKey.Number("female_share", "The share of women, 0 to 1 (default 0.5)."),
        PipelineFileKey.Text("prefix", "Put before every column name, e.g. persona_."));

    /// <inheritdoc/>
    public override SampledColumnGroup Read(JsonObject settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var defaults = new PersonOptions();
        var (minAge, maxAge) = Ages(settings["age"]) ?? (defaults.MinAge, defaults.MaxAge);
        var options = new PersonOptions
        {
            Locales = Locales(settings["locales"]) ?? defaults.Locales,
            MinAge = minAge,
            MaxAge = maxAge,
            AgeMean = Number(settings["age_mean"], "age_mean"),
            AgeStandardDeviation = Number(settings["age_sd"], "age_sd"),
            FemaleShare = Number(settings["female_share"], "female_share") ?? defaults.FemaleShare,
            ColumnPrefix = settings["prefix"] is null ? "" : Text(settings["prefix"], "prefix"),
        };
        try
        {
            return new PersonSampler(options);
        }
        catch (ArgumentException error)
        {
            throw new FormatException(error.Message.Split(" (Parameter")[0], error);
        }
    }

    private static Dictionary<string, double>? Locales(JsonNode? value) => value switch
    {
        null => null,
        JsonArray list => list.ToDictionary(l => Text(l, "a locale"), _ => 1.0, StringComparer.Ordinal),
        JsonObject weights => weights.ToDictionary(w => w.Key, w => Number(w.Value, $"the weight of locale '{w.Key}'") ?? 0, StringComparer.Ordinal),
        _ => throw new FormatException("\"locales\" is a list of Bogus locales, or an object of locales and weights, e.g. {\"en\": 3, \"de\": 1}"),
    };

    private static (int, int)? Ages(JsonNode? value) => value switch
    {
        null => null,
        JsonArray { Count: 2 } pair => (Whole(pair[0]), Whole(pair[1])),
        _ => throw new FormatException("\"age\" is [youngest, oldest], e.g. [18, 80]"),
    };

    private static int Whole(JsonNode? value) =>
        Number(value, "\"age\"") is { } number && number == Math.Floor(number) && number is >= 0 and <= 200
            ? (int)number
            : throw new FormatException("\"age\" is [youngest, oldest] in whole years from 0 to 200");

    private static double? Number(JsonNode? value, string what) => value switch
    {
        null => null,
        JsonValue number when number.TryGetValue<double>(out var result) => result,
        _ => throw new FormatException($"{what} must be a number"),
    };

    private static string Text(JsonNode? value, string what) =>
        value is JsonValue text && text.TryGetValue<string>(out var result) ? result : throw new FormatException($"{what} must be text");

#pragma warning disable CA2255 // A library's module initializer: registering the kind is part of this package's point.
    /// <summary>Registers the kind as soon as any type of this package is used.</summary>
    [ModuleInitializer]
    internal static void RegisterOnLoad() => SampledColumnGroupKinds.Register(new PeopleSampleKind());
#pragma warning restore CA2255
}
