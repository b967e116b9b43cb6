using System.Collections;
using System.Text;

namespace Distil;

/// <summary>
/// The columns of a dataset's rows, in order, with their types: what a task reads and writes
/// (generated from its records at build time), what each pipeline step hands to the next, and
/// what typed files are written with. Immutable; column names are unique.
/// </summary>
/// <example>
/// <code>
/// Console.WriteLine(new QualityScorer().OutputSchema);   // scores: list&lt;double&gt;
/// </code>
/// </example>
public sealed class RowSchema : IReadOnlyList<Column>, IEquatable<RowSchema>
{
    private readonly Column[] _columns;
    private readonly Dictionary<string, int> _byName;

    /// <summary>A schema of <paramref name="columns"/>, in order.</summary>
    /// <exception cref="ArgumentException">Two columns have the same name.</exception>
    public RowSchema(params IEnumerable<Column> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = columns.ToArray();
        _byName = new Dictionary<string, int>(_columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < _columns.Length; i++)
        {
            if (!_byName.TryAdd(_columns[i].Name, i))
            {
                throw new ArgumentException($"A row schema has two columns named '{_columns[i].Name}'.", nameof(columns));
            }
        }
    }

    /// <summary>No columns.</summary>
    public static RowSchema Empty { get; } = new();

    /// <inheritdoc/>
    public int Count => _columns.Length;

    /// <inheritdoc/>
    public Column this[int index] => _columns[index];

    /// <summary>The column names, in order.</summary>
    public IEnumerable<string> Names => _columns.Select(c => c.Name);

    /// <summary>The column named <paramref name="name"/>, or null.</summary>
    public Column? Find(string name) => _byName.TryGetValue(name, out var index) ? _columns[index] : null;

    /// <summary>Whether a column is named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>
    /// This schema with <paramref name="columns"/> added: a column of the same name as an existing
    /// one replaces it where it stands (a task that writes a column its input had), others go last.
    /// </summary>
    public RowSchema With(IEnumerable<Column> columns)
    {
        var result = _columns.ToList();
        foreach (var column in columns)
        {
            var at = result.FindIndex(c => c.Name == column.Name);
            if (at >= 0) result[at] = column;
            else result.Add(column);
        }
        return new RowSchema(result);
    }

    /// <inheritdoc/>
    public IEnumerator<Column> GetEnumerator() => ((IEnumerable<Column>)_columns).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <inheritdoc/>
    public bool Equals(RowSchema? other) => other is not null && _columns.SequenceEqual(other._columns);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as RowSchema);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var column in _columns) hash.Add(column);
        return hash.ToHashCode();
    }

    /// <summary>One column per line: <c>name: type</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var column in _columns)
        {
            column.Write(text);
            text.Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
