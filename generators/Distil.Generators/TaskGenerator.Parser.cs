using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Distil.Generators.Diagnostics;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators;

public sealed partial class TaskGenerator
{
    /// <summary>Reads a <c>[Task]</c> class into a <see cref="TaskDeclaration"/>.</summary>
    internal static class Parser
    {
        public const string TaskAttribute = "Distil.TaskAttribute";

        public static TaskDeclaration Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var syntax = (ClassDeclarationSyntax)context.TargetNode;
            var diagnostics = new List<DiagnosticInfo>();
            var taskName = context.Attributes[0].ConstructorArguments.FirstOrDefault().Value as string ?? type.Name;

            var isPartial = IsPartialAllTheWay(type);
            if (!isPartial)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TaskClassNotPartial, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name));
            }

            var taskBase = FindTaskBase(type);
            if (taskBase is null || taskBase.TypeArguments.Any(t => t is not INamedTypeSymbol { TypeKind: TypeKind.Class }))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TaskClassWithoutTaskBase, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name));
                return Invalid(type, taskName, diagnostics);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var inputType = (INamedTypeSymbol)taskBase.TypeArguments[0];
            var outputType = (INamedTypeSymbol)taskBase.TypeArguments[1];
            var shapes = new TypeShapeReader(diagnostics);
            var inputId = shapes.ReadRoot(inputType, isOutput: false);
            var outputId = shapes.ReadRoot(outputType, isOutput: true);
            var objects = shapes.Objects.ToList();
            ReportDuplicateColumns(objects, diagnostics);

            var templates = ReadTemplates(type).ToList();
            if (!templates.Any(t => t.Role == "user"))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TaskWithoutPrompt, LocationInfo.From(syntax.Identifier.GetLocation()), taskName));
            }

            return new TaskDeclaration(
                taskName,
                type.Name,
                type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
                type.ToDisplayString(),
                ContainingTypes(type).ToEquatableArray(),
                TypeShapeReader.TypeName(inputType),
                TypeShapeReader.TypeName(outputType),
                inputId,
                outputId,
                objects.ToEquatableArray(),
                ReadParameters(type).ToEquatableArray(),
                templates.ToEquatableArray(),
                HasParseOutput(type, inputType, outputType),
                IsValid: isPartial && !diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error),
                diagnostics.ToEquatableArray());
        }

        private static TaskDeclaration Invalid(INamedTypeSymbol type, string taskName, List<DiagnosticInfo> diagnostics) =>
            new(taskName, type.Name, "", type.ToDisplayString(), default, "", "", "", "", default, default, default,
                false, false, diagnostics.ToEquatableArray());

        private static bool IsPartialAllTheWay(INamedTypeSymbol type)
        {
            for (var current = type; current is not null; current = current.ContainingType)
            {
                var partial = current.DeclaringSyntaxReferences.Any(r =>
                    r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial) return false;
            }
            return true;
        }

        private static INamedTypeSymbol? FindTaskBase(INamedTypeSymbol type)
        {
            for (var current = type.BaseType; current is not null; current = current.BaseType)
            {
                if (current is { Arity: 2 } && KnownTypes.Is(current, "Distil", "Task")) return current;
            }
            return null;
        }

        private static IEnumerable<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
        {
            var chain = new List<ContainingTypeSpec>();
            for (var current = type.ContainingType; current is not null; current = current.ContainingType)
            {
                var keyword = current.IsRecord
                    ? (current.IsValueType ? "record struct" : "record")
                    : current.TypeKind == TypeKind.Struct ? "struct" : current.TypeKind == TypeKind.Interface ? "interface" : "class";
                chain.Insert(0, new ContainingTypeSpec(keyword, current.Name));
            }
            return chain;
        }

        private static void ReportDuplicateColumns(IEnumerable<ObjectSpec> objects, List<DiagnosticInfo> diagnostics)
        {
            foreach (var obj in objects)
            {
                var byColumn = new Dictionary<string, PropertySpec>();
                foreach (var property in obj.Properties)
                {
                    if (byColumn.TryGetValue(property.Column, out var first))
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.DuplicateColumn, property.Location,
                            first.Name, property.Name, obj.DisplayName, property.Column));
                    }
                    else
                    {
                        byColumn[property.Column] = property;
                    }
                }
            }
        }

        private static IEnumerable<TemplateSource> ReadTemplates(INamedTypeSymbol type)
        {
            foreach (var attribute in type.GetAttributes())
            {
                var role = KnownTypes.IsAttribute(attribute, "Distil", "SystemPromptAttribute") ? "system"
                    : KnownTypes.IsAttribute(attribute, "Distil", "UserPromptAttribute") ? "user"
                    : null;
                if (role is null) continue;

                var inline = attribute.ConstructorArguments.FirstOrDefault().Value as string;
                var file = attribute.NamedArguments.FirstOrDefault(a => a.Key == "File").Value.Value as string;
                var syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
                var argument = syntax?.ArgumentList?.Arguments.FirstOrDefault(a =>
                    inline is not null ? a.NameEquals is null : a.NameEquals?.Name.Identifier.Text == "File");
                var offset = InlineTextOffset(argument?.Expression, inline);
                var start = offset < 0 || syntax is null
                    ? default
                    : syntax.SyntaxTree.GetLineSpan(new Microsoft.CodeAnalysis.Text.TextSpan(offset, 0)).StartLinePosition;
                yield return new TemplateSource(
                    role,
                    inline,
                    inline is null ? file : null,
                    LocationInfo.From(argument?.GetLocation() ?? syntax?.GetLocation()),
                    offset,
                    start.Line,
                    start.Character);
            }
        }

        // Where the template's first character sits in the source, when the literal holds the
        // template verbatim (no escapes); -1 when diagnostics must point at the whole argument.
        private static int InlineTextOffset(ExpressionSyntax? expression, string? text)
        {
            if (text is null || expression is not LiteralExpressionSyntax literal) return -1;
            var index = literal.Token.Text.IndexOf(text, System.StringComparison.Ordinal);
            return index < 0 ? -1 : literal.Token.SpanStart + index;
        }

        private static IEnumerable<TemplateParameterSpec> ReadParameters(INamedTypeSymbol type)
        {
            foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
            {
                if (!property.GetAttributes().Any(a => KnownTypes.IsAttribute(a, "Distil", "TemplateParameterAttribute"))) continue;
                var shape = SimpleShape(property.Type);
                if (shape is null) continue;
                yield return new TemplateParameterSpec(property.Name, ColumnNames.SnakeCase(property.Name), shape);
            }
        }

        // Template parameters are settings (text, numbers, flags, lists of text); templates read
        // them, nothing maps them to rows, so only their kind matters.
        private static TypeShape? SimpleShape(ITypeSymbol type)
        {
            var nullable = type.NullableAnnotation == NullableAnnotation.Annotated;
            var name = TypeShapeReader.TypeName(type);
            if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } wrapper)
            {
                var inner = SimpleShape(wrapper.TypeArguments[0]);
                return inner is null ? null : inner with { IsNullable = true };
            }
            return type.SpecialType switch
            {
                SpecialType.System_String => new TypeShape(ValueKind.String, name, nullable, false),
                SpecialType.System_Boolean => new TypeShape(ValueKind.Boolean, name, nullable, true),
                SpecialType.System_Int32 or SpecialType.System_Int64 => new TypeShape(ValueKind.Integer, name, nullable, true, ClrName: name),
                SpecialType.System_Double or SpecialType.System_Single => new TypeShape(ValueKind.Number, name, nullable, true, ClrName: name),
                _ => type.TypeKind == TypeKind.Enum
                    ? new TypeShape(ValueKind.Enum, name, nullable, true)
                    : new TypeShape(ValueKind.Object, name, nullable, type.IsValueType),
            };
        }

        private static bool HasParseOutput(INamedTypeSymbol type, ITypeSymbol input, ITypeSymbol output) =>
            type.GetMembers("ParseOutput").OfType<IMethodSymbol>().Any(m =>
                m.IsStatic
                && m.Parameters.Length == 2
                && m.Parameters[0].Type.SpecialType == SpecialType.System_String
                && SymbolEqualityComparer.Default.Equals(m.Parameters[1].Type, input)
                && SymbolEqualityComparer.Default.Equals(m.ReturnType.WithNullableAnnotation(NullableAnnotation.NotAnnotated), output));
    }
}
