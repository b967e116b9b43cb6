using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;

namespace Distil.Pipelines;

/// <summary>
/// The row mappers of a program, by record type. Generated code registers one for every record the
/// program uses with <c>Load&lt;T&gt;</c>, <c>Map&lt;TIn, TOut&gt;</c>, <c>Filter&lt;T&gt;</c>,
/// <c>ReadAsync&lt;T&gt;</c> or <c>ToListAsync&lt;T&gt;</c> (from a <c>[ModuleInitializer]</c>, before
/// <c>Main</c> runs), so that mapping a row needs no reflection and works in a NativeAOT program.
/// </summary>
/// <remarks>
/// A record the generator did not see (used only through a generic method of the program's own, or
/// from an assembly built without Distil's generator) is mapped by reflection instead, with the same
/// columns, errors and CSV cells. That fallback is not trimming-safe: a trimmed or NativeAOT program
/// should name its records in one of the calls above.
/// </remarks>
public static class RowMappers
{
    private static readonly ConcurrentDictionary<Type, RowMapper> Mappers = new();

    /// <summary>Registers the generated mapper of <typeparamref name="T"/> (called by generated code).</summary>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public static void Register<T>(RowMapper<T> mapper)
    {
        ArgumentNullException.ThrowIfNull(mapper);
        // Generated code wins over a reflection mapper made before it registered; a record seen by
        // two assemblies' generators is mapped the same way by either.
        Mappers[typeof(T)] = mapper;
    }

    /// <summary>Whether the generator registered a mapper for <typeparamref name="T"/>.</summary>
    public static bool IsGenerated<T>() => Mappers.TryGetValue(typeof(T), out var mapper) && mapper.IsGenerated;

    /// <summary>The mapper of <typeparamref name="T"/>: the generated one, else one found by reflection.</summary>
    /// <exception cref="ArgumentException"><typeparamref name="T"/> has a property a row cannot hold (a nested record).</exception>
    [UnconditionalSuppressMessage("Trimming", "IL2091", Justification = "The reflection fallback runs only for records the generator did not see; see the remarks of RowMappers.")]
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "The reflection fallback runs only for records the generator did not see; see the remarks of RowMappers.")]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The reflection fallback runs only for records the generator did not see; see the remarks of RowMappers.")]
    public static RowMapper<T> For<T>() =>
        (RowMapper<T>)Mappers.GetOrAdd(typeof(T), static _ => ReflectionRowMapper<T>.Create());
}
