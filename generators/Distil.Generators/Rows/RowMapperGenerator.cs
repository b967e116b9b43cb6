using System;
using System.Linq;
using Distil.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Rows;

/// <summary>
/// Writes a row mapper for every record a program maps to rows (<c>Load&lt;T&gt;</c>,
/// <c>Map&lt;TIn, TOut&gt;</c>, <c>Filter&lt;T&gt;</c>, typed result reads), so that the runtime maps
/// them without reflection (NativeAOT-safe). Wiring only: finding and reading records is in
/// <see cref="RowRecordReader"/>, writing code in <see cref="RowMapperEmitter"/>.
/// </summary>
/// <remarks>
/// Found from the calls, not from an opt-in attribute: the records to map are exactly those the
/// program uses as rows, a user has nothing to remember, and records from other assemblies (which
/// one cannot annotate) are mapped too.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class RowMapperGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var records = context.SyntaxProvider
            .CreateSyntaxProvider(RowRecordReader.IsCandidate, RowRecordReader.Read)
            .Where(static specs => specs.Count > 0)
            .WithTrackingName(TrackingNames.RowRecords);

        // One mapper per record, however many calls name it.
        var distinct = records
            .Collect()
            .Select(static (all, _) => all.SelectMany(specs => specs)
                .GroupBy(s => s.TypeName, StringComparer.Ordinal)
                .Select(g => g.First())
                .OrderBy(s => s.TypeName, StringComparer.Ordinal)
                .ToEquatableArray())
            .WithTrackingName(TrackingNames.RowMappers);

        context.RegisterSourceOutput(distinct, static (production, specs) =>
        {
            foreach (var spec in specs) production.AddSource(RowMapperEmitter.HintName(spec), RowMapperEmitter.Emit(spec));
        });
    }
}
