using System.ComponentModel;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// How the records of one type are rows: their columns, and the code that turns a record into a row
/// and back. The generator writes one for every record a program uses with <c>Load&lt;T&gt;</c>,
/// <c>Map&lt;TIn, TOut&gt;</c>, <c>Filter&lt;T&gt;</c> and typed result reads; <see cref="RowMappers"/> finds it.
/// </summary>
public abstract class RowMapper
{
    /// <summary>Checks the members: one column per member, at least one member.</summary>
    /// <exception cref="ArgumentException">Two members map to one column, or there is none.</exception>
    protected RowMapper(string typeName, IReadOnlyList<RowMember> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var duplicate = members.GroupBy(m => m.Column.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"{typeName} maps {string.Join(" and ", duplicate.Select(m => m.Property))} to one column '{duplicate.Key}'.");
        }
        if (members.Count == 0) throw new ArgumentException($"{typeName} has no public property to be a column.");
        TypeName = typeName;
        Members = members;
        Schema = new RowSchema(members.Select(m => m.Column));
        Required = [.. members.Where(m => !m.Optional).Select(m => m.Column.Name)];
    }

    /// <summary>The record type's short name, for messages.</summary>
    public string TypeName { get; }

    /// <summary>The record's columns, in declaration order.</summary>
    public IReadOnlyList<RowMember> Members { get; }

    /// <summary>The record's columns as a schema.</summary>
    public RowSchema Schema { get; }

    /// <summary>The columns every row must carry.</summary>
    public IReadOnlyList<string> Required { get; }

    /// <summary>Whether the generator wrote this mapper (false: found by reflection at run time).</summary>
    public virtual bool IsGenerated => true;
}

/// <summary>How records of <typeparamref name="T"/> are rows (see <see cref="RowMapper"/>).</summary>
/// <typeparam name="T">The record type.</typeparam>
public abstract class RowMapper<T> : RowMapper
{
    /// <inheritdoc/>
    protected RowMapper(string typeName, IReadOnlyList<RowMember> members) : base(typeName, members) { }

    /// <summary>The record as a row: each property's value under its column.</summary>
    public abstract JsonObject ToRow(T record);

    /// <summary>The record a row holds (columns it does not declare are ignored).</summary>
    /// <exception cref="RowValueException">A column is missing or holds a value of another type; the message names the column.</exception>
    [EditorBrowsable(EditorBrowsableState.Advanced)]
    public abstract T FromRow(JsonObject row);

    /// <summary>Reads a row, naming <paramref name="where"/> (the step and row) when it does not fit.</summary>
    internal T Read(JsonObject row, string where)
    {
        try
        {
            return FromRow(row);
        }
        catch (RowValueException error)
        {
            throw new PipelineException($"{where} cannot be read as {TypeName}: {error.Message}", error);
        }
    }
}
