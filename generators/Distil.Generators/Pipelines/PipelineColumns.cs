using System;
using System.Collections.Generic;
using System.Linq;
using Distil.Generators.Model;

namespace Distil.Generators.Pipelines;

/// <summary>A column at a point of a pipeline: its type as far as the analyzer knows it, and the step that wrote it.</summary>
internal sealed record ColumnFact(string Type, string WrittenBy);

/// <summary>
/// The columns of the rows at one point of a pipeline chain, in order. Immutable: each step makes a
/// new set from its parent's.
/// </summary>
internal sealed class ColumnSet
{
    private readonly List<KeyValuePair<string, ColumnFact>> _columns;
    private readonly Dictionary<string, ColumnFact> _byName;

    public ColumnSet(IEnumerable<KeyValuePair<string, ColumnFact>> columns, bool isOpen = false)
    {
        IsOpen = isOpen;
        _columns = new List<KeyValuePair<string, ColumnFact>>();
        _byName = new Dictionary<string, ColumnFact>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            if (_byName.ContainsKey(column.Key))
            {
                _columns[_columns.FindIndex(c => c.Key == column.Key)] = column;
            }
            else
            {
                _columns.Add(column);
            }
            _byName[column.Key] = column.Value;
        }
    }

    /// <summary>
    /// Whether the rows may also have a column whose name is not known at build time (a task's
    /// metadata column named by a variable): a read of a name not listed here is then not an error.
    /// </summary>
    public bool IsOpen { get; }

    public IEnumerable<string> Names => _columns.Select(c => c.Key);

    public IEnumerable<KeyValuePair<string, ColumnFact>> Columns => _columns;

    public bool TryGet(string name, out ColumnFact fact) => _byName.TryGetValue(name, out fact!);

    /// <summary>These columns, with <paramref name="added"/> after them (an added column replaces one of the same name).</summary>
    public ColumnSet With(IEnumerable<KeyValuePair<string, ColumnFact>> added) => new(_columns.Concat(added), IsOpen);

    /// <summary>These columns, and maybe one more of a name not known at build time.</summary>
    public ColumnSet Opened() => new(_columns, isOpen: true);

    public static ColumnSet Union(IEnumerable<ColumnSet> sets)
    {
        var list = sets.ToList();
        return new(list.SelectMany(s => s.Columns), list.Any(s => s.IsOpen));
    }
}

/// <summary>Column types as text (<c>string</c>, <c>integer</c>, <c>list&lt;string&gt;</c>, <c>unknown</c>) and when a read fits a write.</summary>
internal static class ColumnTypes
{
    public const string Unknown = "unknown";

    public static string Of(TypeShape shape) => shape.Kind switch
    {
        ValueKind.String or ValueKind.Enum => "string",
        ValueKind.Boolean => "boolean",
        ValueKind.Integer => "integer",
        ValueKind.Number or ValueKind.Decimal => "number",
        ValueKind.List => $"list<{(shape.Element is null ? Unknown : Of(shape.Element))}>",
        ValueKind.Object => "object",
        _ => Unknown,
    };

    public static string ListOf(string element) => $"list<{element}>";

    public static string? ElementOf(string type) =>
        type.StartsWith("list<", StringComparison.Ordinal) && type.EndsWith(">", StringComparison.Ordinal) ? type.Substring(5, type.Length - 6) : null;

    /// <summary>
    /// Whether a value written as <paramref name="written"/> can be read as <paramref name="read"/>:
    /// unknown fits anything, numbers fit numbers, lists fit lists of fitting items.
    /// </summary>
    public static bool Fits(string read, string written)
    {
        if (read == Unknown || written == Unknown || read == written) return true;
        if (IsNumber(read) && IsNumber(written)) return true;
        var (readItem, writtenItem) = (ElementOf(read), ElementOf(written));
        return readItem is not null && writtenItem is not null && Fits(readItem, writtenItem);
    }

    private static bool IsNumber(string type) => type is "integer" or "number";
}
