using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using System.Text.RegularExpressions;

namespace Distil.Pipelines;

/// <summary>
/// Checks one value of a row: returns the reasons it is not valid (none when it is). Implement it
/// for checks of your own; <see cref="RowValidators"/> and the Distil.Validation package have
/// regular expressions, JSON schemas and C# compilation.
/// </summary>
public interface IRowValidator
{
    /// <summary>What it checks, for messages and the run's signature (include every setting).</summary>
    string Describe();

    /// <summary>Why <paramref name="value"/> is not valid; empty when it is.</summary>
    IReadOnlyList<string> Check(JsonNode? value);
}

/// <summary>Validators for <see cref="StepHandle.Validate"/>.</summary>
public static class RowValidators
{
    /// <summary>Text that matches <paramref name="pattern"/> as a whole (anchored), with a one-second limit per value.</summary>
    /// <exception cref="ArgumentException">The pattern does not parse.</exception>
    public static IRowValidator Regex(string pattern) => new RegexValidator(pattern);

    private sealed class RegexValidator(string pattern) : IRowValidator
    {
        private readonly Regex _regex = new($"^(?:{pattern})$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

        public string Describe() => $"regex {pattern}";

        public IReadOnlyList<string> Check(JsonNode? value)
        {
            var text = JsonNodeRead.Text(value);
            if (text is null) return ["the value is null"];
            try
            {
                return _regex.IsMatch(text) ? [] : [$"does not match {pattern}"];
            }
            catch (RegexMatchTimeoutException)
            {
                return [$"matching {pattern} took over a second"];
            }
        }
    }
}

/// <summary>
/// Adds <c>&lt;column&gt;_valid</c> (bool) and <c>&lt;column&gt;_errors</c> (the reasons) to each row,
/// from a validator; with <c>keepValidOnly</c> it drops the rows that fail instead.
/// </summary>
internal sealed class ValidateNode(string name, string column, IRowValidator validator, bool keepValidOnly) : RowwiseNode(name)
{
    /// <summary>Whether rows that fail are dropped (else they are kept, marked).</summary>
    public bool KeepValidOnly => keepValidOnly;

    public override string Kind => "validate";

    public override IReadOnlyList<string> RequiredColumns => [column];

    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents) => parents[0]?.With(
        [new Column(column + "_valid", ColumnType.Boolean), new Column(column + "_errors", ColumnType.ListOf(ColumnType.String))]);

    public override string Settings() => $"{column}|{validator.Describe()}|{keepValidOnly}";

    protected override IReadOnlyList<JsonObject> Apply(JsonObject row, RowKey key)
    {
        var errors = validator.Check(row[column]);
        if (keepValidOnly && errors.Count > 0) return [];
        row[column + "_valid"] = errors.Count == 0;
        row[column + "_errors"] = new JsonArray([.. errors.Select(e => (JsonNode?)e)]);
        return [row];
    }
}
