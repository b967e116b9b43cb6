using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Distil.Generators.Model;

/// <summary>
/// Where a diagnostic points, as plain values. A <see cref="Location"/> holds a syntax tree and
/// would keep every model unequal across runs, so models keep this instead.
/// </summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location) =>
        location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}
