using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using System.Xml.Linq;
using Distil.Generators.Diagnostics;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Distil.Generators.Writing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Tools;

/// <summary>
/// Reads a <c>[Tool]</c> method into a <see cref="ToolMethodSpec"/>: its tool name, its description
/// (the attribute's, else the XML summary read from the method's own comment, whatever the
/// project's documentation mode), the JSON schema of its parameters, and how each is read.
/// </summary>
internal static class ToolParser
{
    public const string ToolAttribute = "Distil.ToolAttribute";

    private const string Supported = "use string, bool, a number, an enum, DateTime, DateTimeOffset, Guid, an array or list of those, or a CancellationToken";

    public static ToolMethodResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var method = (IMethodSymbol)context.TargetSymbol;
        var syntax = (MethodDeclarationSyntax)context.TargetNode;
        var type = method.ContainingType;
        var diagnostics = new List<DiagnosticInfo>();
        var at = LocationInfo.From(syntax.Identifier.GetLocation());

        if (WhyNoTool(method, type) is { } why)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ToolMethodNotSupported, at, method.Name, why));
            return new ToolMethodResult(null, diagnostics.ToEquatableArray());
        }

        cancellationToken.ThrowIfCancellationRequested();
        var docs = DocComment.Read(syntax);
        var parameters = new List<ToolParameterSpec>();
        foreach (var parameter in method.Parameters)
        {
            var read = ReadParameter(parameter);
            if (read is null)
            {
                var location = parameter.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation();
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedToolParameter, LocationInfo.From(location),
                    parameter.Name, method.Name, parameter.Type.ToDisplayString(), Supported));
                continue;
            }
            parameters.Add(read);
        }
        if (diagnostics.Count > 0) return new ToolMethodResult(null, diagnostics.ToEquatableArray());

        var attribute = context.Attributes[0];
        // An "Async" suffix says how the method runs, not what the tool does: book_hotel, not book_hotel_async.
        var baseName = method.Name.Length > 5 && method.Name.EndsWith("Async", StringComparison.Ordinal) ? method.Name.Substring(0, method.Name.Length - 5) : method.Name;
        var name = Named(attribute, "Name") ?? ColumnNames.SnakeCase(baseName);
        var description = Named(attribute, "Description") ?? docs.Summary ?? "";
        var spec = new ToolMethodSpec(
            type.ToDisplayString(),
            type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            type.Name,
            TaskGenerator.Parser.ContainingTypes(type).ToEquatableArray(),
            method.Name,
            method.IsStatic,
            name,
            description,
            Schema(parameters, docs),
            parameters.ToEquatableArray(),
            ReturnOf(method));
        return new ToolMethodResult(spec, EquatableArray<DiagnosticInfo>.Empty);
    }

    // Why the method cannot be a tool at all (its parameters aside), or null.
    private static string? WhyNoTool(IMethodSymbol method, INamedTypeSymbol type)
    {
        if (!DerivesFromLlmTask(type)) return $"its class '{type.Name}' does not derive from Distil.LlmTask<TInput, TOutput>";
        if (TaskGenerator.Parser.FirstNonPartialType(type) is { } notPartial) return $"its class '{notPartial.Name}' is not partial";
        if (method.IsGenericMethod) return "it is generic; a tool's parameters must have fixed types";
        if (method.Parameters.Any(p => p.RefKind != RefKind.None)) return "it has a ref, out or in parameter";
        return null;
    }

    private static bool DerivesFromLlmTask(INamedTypeSymbol type)
    {
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (current.Arity == 2 && KnownTypes.Is(current, "Distil", "LlmTask")) return true;
        }
        return false;
    }

    private static string? Named(AttributeData attribute, string name) =>
        attribute.NamedArguments.FirstOrDefault(a => a.Key == name).Value.Value as string;

    private static ToolReturn ReturnOf(IMethodSymbol method)
    {
        var returns = method.ReturnType;
        if (method.ReturnsVoid) return ToolReturn.Void;
        if (returns is INamedTypeSymbol named && KnownTypes.IsNamespace(named.ContainingNamespace, "System.Threading.Tasks"))
        {
            if (named.Name == "Task") return named.Arity == 0 ? ToolReturn.Task : ToolReturn.TaskOfValue;
            if (named.Name == "ValueTask") return named.Arity == 0 ? ToolReturn.ValueTask : ToolReturn.ValueTaskOfValue;
        }
        return ToolReturn.Value;
    }

    private static ToolParameterSpec? ReadParameter(IParameterSymbol parameter)
    {
        var type = parameter.Type;
        var typeName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(
            SymbolDisplayMiscellaneousOptions.UseSpecialTypes | SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier));
        if (KnownTypes.Is(type, "System.Threading", "CancellationToken"))
        {
            return new ToolParameterSpec(parameter.Name, typeName, typeName, ToolValueKind.CancellationToken, ToolCollection.None, false, null, EquatableArray<string>.Empty);
        }
        var collection = ToolCollection.None;
        var value = type;
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            collection = ToolCollection.Array;
            value = array.ElementType;
        }
        else if (type is INamedTypeSymbol { Arity: 1 } generic && IsListType(generic))
        {
            collection = ToolCollection.List;
            value = generic.TypeArguments[0];
        }
        var nullable = type.NullableAnnotation == NullableAnnotation.Annotated || parameter.HasExplicitDefaultValue;
        var underlying = value is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapped ? wrapped.TypeArguments[0] : value;
        // A list of nullable values would need nulls inside arrays: not a tool argument.
        if (collection != ToolCollection.None && !SymbolEqualityComparer.Default.Equals(underlying, value)) return null;
        var kind = KindOf(underlying);
        if (kind is null) return null;
        var members = kind == ToolValueKind.Enum
            ? underlying.GetMembers().OfType<IFieldSymbol>().Where(f => f.HasConstantValue).Select(f => f.Name).ToEquatableArray()
            : EquatableArray<string>.Empty;
        var valueName = underlying.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.WithMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.UseSpecialTypes));
        return new ToolParameterSpec(parameter.Name, typeName, valueName, kind.Value, collection, nullable, DefaultLiteral(parameter, valueName), members);
    }

    private static bool IsListType(INamedTypeSymbol type) =>
        (KnownTypes.IsNamespace(type.ContainingNamespace, "System.Collections.Generic")
         && type.Name is "List" or "IList" or "IReadOnlyList" or "IEnumerable" or "ICollection" or "IReadOnlyCollection");

    private static ToolValueKind? KindOf(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_String => ToolValueKind.String,
        SpecialType.System_Boolean => ToolValueKind.Boolean,
        SpecialType.System_Int16 => ToolValueKind.Int16,
        SpecialType.System_Int32 => ToolValueKind.Int32,
        SpecialType.System_Int64 => ToolValueKind.Int64,
        SpecialType.System_Byte => ToolValueKind.Byte,
        SpecialType.System_SByte => ToolValueKind.SByte,
        SpecialType.System_UInt16 => ToolValueKind.UInt16,
        SpecialType.System_UInt32 => ToolValueKind.UInt32,
        SpecialType.System_UInt64 => ToolValueKind.UInt64,
        SpecialType.System_Single => ToolValueKind.Single,
        SpecialType.System_Double => ToolValueKind.Double,
        SpecialType.System_Decimal => ToolValueKind.Decimal,
        SpecialType.System_DateTime => ToolValueKind.DateTime,
        _ when type.TypeKind == TypeKind.Enum => ToolValueKind.Enum,
        _ when KnownTypes.Is(type, "System", "DateTimeOffset") => ToolValueKind.DateTimeOffset,
        _ when KnownTypes.Is(type, "System", "Guid") => ToolValueKind.Guid,
        _ => null,
    };

    // The C# of a parameter's default value; null when it has none.
    private static string? DefaultLiteral(IParameterSymbol parameter, string valueName)
    {
        if (!parameter.HasExplicitDefaultValue) return null;
        var value = parameter.ExplicitDefaultValue;
        if (value is null) return "default";
        if (parameter.Type.TypeKind == TypeKind.Enum || parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n && n.TypeArguments[0].TypeKind == TypeKind.Enum)
        {
            return $"({valueName})({SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false)})";
        }
        return value switch
        {
            string text => CSharpLiteral.String(text),
            bool flag => flag ? "true" : "false",
            float single => SymbolDisplay.FormatPrimitive(single, false, false) + "F",
            double number => SymbolDisplay.FormatPrimitive(number, false, false) + "D",
            decimal money => SymbolDisplay.FormatPrimitive(money, false, false) + "M",
            long or ulong or uint => $"({valueName}){SymbolDisplay.FormatPrimitive(value, false, false)}",
            _ => $"({valueName})({SymbolDisplay.FormatPrimitive(value, false, false)})",
        };
    }

    // The JSON schema of the parameters, as the model reads it: an object with a property per
    // parameter (the cancellation token aside), each described by its XML <param> text.
    private static string Schema(IReadOnlyList<ToolParameterSpec> parameters, DocComment docs)
    {
        var json = new StringBuilder("{\"type\":\"object\",\"properties\":{");
        var first = true;
        foreach (var parameter in parameters.Where(p => p.Kind != ToolValueKind.CancellationToken))
        {
            if (!first) json.Append(',');
            first = false;
            JsonStringLiteral.Append(json, parameter.Name);
            json.Append(':');
            var description = docs.Parameters.TryGetValue(parameter.Name, out var text) ? text : null;
            if (parameter.Collection == ToolCollection.None)
            {
                ValueSchema(json, parameter, description);
            }
            else
            {
                json.Append("{\"type\":\"array\",\"items\":");
                ValueSchema(json, parameter, null);
                if (description is not null) json.Append(",\"description\":").Append(JsonStringLiteral.Quote(description));
                json.Append('}');
            }
        }
        json.Append('}');
        var required = parameters.Where(p => p.Kind != ToolValueKind.CancellationToken && !p.Nullable).Select(p => JsonStringLiteral.Quote(p.Name)).ToList();
        if (required.Count > 0) json.Append(",\"required\":[").Append(string.Join(",", required)).Append(']');
        return json.Append('}').ToString();
    }

    private static void ValueSchema(StringBuilder json, ToolParameterSpec parameter, string? description)
    {
        json.Append(parameter.Kind switch
        {
            ToolValueKind.String => "{\"type\":\"string\"",
            ToolValueKind.Boolean => "{\"type\":\"boolean\"",
            ToolValueKind.Single or ToolValueKind.Double or ToolValueKind.Decimal => "{\"type\":\"number\"",
            ToolValueKind.DateTime or ToolValueKind.DateTimeOffset => "{\"type\":\"string\",\"format\":\"date-time\"",
            ToolValueKind.Guid => "{\"type\":\"string\",\"format\":\"uuid\"",
            ToolValueKind.Enum => "{\"type\":\"string\",\"enum\":[" + string.Join(",", parameter.EnumMembers.Select(JsonStringLiteral.Quote)) + "]",
            _ => "{\"type\":\"integer\"",
        });
        if (description is not null) json.Append(",\"description\":").Append(JsonStringLiteral.Quote(description));
        json.Append('}');
    }

    /// <summary>
    /// The XML doc comment of a method, read from its own trivia: a project without
    /// <c>GenerateDocumentationFile</c> parses <c>///</c> lines as plain comments, and the symbol's
    /// documentation is then empty.
    /// </summary>
    private sealed class DocComment
    {
        public string? Summary { get; private set; }

        public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);

        public static DocComment Read(MethodDeclarationSyntax method)
        {
            var docs = new DocComment();
            var lines = new StringBuilder();
            foreach (var trivia in method.GetLeadingTrivia())
            {
                if (!trivia.IsKind(SyntaxKind.SingleLineDocumentationCommentTrivia) && !trivia.IsKind(SyntaxKind.SingleLineCommentTrivia)) continue;
                foreach (var line in trivia.ToFullString().Split('\n'))
                {
                    var text = line.Trim();
                    if (text.StartsWith("///", StringComparison.Ordinal)) lines.AppendLine(text.Substring(3));
                }
            }
            if (lines.Length == 0) return docs;
            try
            {
                var root = XElement.Parse("<doc>" + lines + "</doc>");
                docs.Summary = Text(root.Element("summary"));
                foreach (var param in root.Elements("param"))
                {
                    if (param.Attribute("name")?.Value is { } name && Text(param) is { } text) docs.Parameters[name] = text;
                }
            }
            catch (System.Xml.XmlException)
            {
                // A comment that is not well-formed XML describes nothing: the tool goes without.
            }
            return docs;
        }

        // The element's text with <c>, <see cref> and <paramref> kept as words, and whitespace collapsed.
        private static string? Text(XElement? element)
        {
            if (element is null) return null;
            var text = new StringBuilder();
            foreach (var node in element.DescendantNodes())
            {
                if (node is XText part) text.Append(part.Value);
                else if (node is XElement { IsEmpty: true } empty)
                {
                    text.Append(empty.Attribute("cref")?.Value.Split('.').Last() ?? empty.Attribute("name")?.Value ?? empty.Attribute("langword")?.Value ?? "");
                }
            }
            var collapsed = string.Join(" ", text.ToString().Split([' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries));
            return collapsed.Length == 0 ? null : collapsed;
        }
    }
}
