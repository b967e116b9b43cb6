using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Distil.Generators.Diagnostics;
using Distil.Generators.Incremental;
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

        /// <summary>
        /// Reads the class the attribute lookup found, and records on <paramref name="site"/> what the
        /// reading depended on, so that the next compilation reads it again only if one of those changed.
        /// </summary>
        public static TaskDeclaration Parse(DeclarationSite site, CancellationToken cancellationToken)
        {
            var syntax = (TypeDeclarationSyntax)site.Node;
            var compilation = site.Compilation;
            var type = compilation.GetSemanticModel(syntax.SyntaxTree).GetDeclaredSymbol(syntax, cancellationToken)!;
            var dependencies = new SourceDependencies();
            var declaration = Parse(type, syntax, compilation, dependencies, cancellationToken);
            site.Read(dependencies);
            return declaration;
        }

        private static TaskDeclaration Parse(
            INamedTypeSymbol type, TypeDeclarationSyntax syntax, Compilation compilation, SourceDependencies dependencies,
            CancellationToken cancellationToken)
        {
            var diagnostics = new List<DiagnosticInfo>();
            var attributes = type.GetAttributes();
            dependencies.AddType(type);
            foreach (var attribute in attributes) dependencies.AddType(attribute.AttributeClass);
            var taskName = KnownTypes.WrittenOn(syntax, attributes, "Distil", "TaskAttribute")?.ConstructorArguments.FirstOrDefault().Value as string ?? type.Name;

            var notPartial = FirstNonPartialType(type);
            if (notPartial is not null)
            {
                var location = notPartial.Equals(type, SymbolEqualityComparer.Default)
                    ? syntax.Identifier.GetLocation()
                    : notPartial.Locations.FirstOrDefault();
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TaskClassNotPartial, LocationInfo.From(location), notPartial.Name));
            }
            var isPartial = notPartial is null;

            var taskBase = FindTaskBase(type);
            if (type.TypeKind != TypeKind.Class || type.IsRecord || taskBase is null
                || taskBase.TypeArguments.Any(t => t is not INamedTypeSymbol { TypeKind: TypeKind.Class }))
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.TaskClassWithoutTaskBase, LocationInfo.From(syntax.Identifier.GetLocation()), type.Name));
                return Invalid(type, taskName, diagnostics);
            }

            cancellationToken.ThrowIfCancellationRequested();
            var inputType = (INamedTypeSymbol)taskBase.TypeArguments[0];
            var outputType = (INamedTypeSymbol)taskBase.TypeArguments[1];
            var shapes = new TypeShapeReader(diagnostics, compilation) { Dependencies = dependencies };
            var inputId = shapes.ReadRoot(inputType, isOutput: false);
            var outputId = shapes.ReadRoot(outputType, isOutput: true);
            if (inputId is null || outputId is null) return Invalid(type, taskName, diagnostics);
            var parameters = ReadParameters(type, shapes).ToList();
            var objects = shapes.Objects.ToList();
            ReportDuplicateColumns(objects, diagnostics);

            var templates = ReadTemplates(attributes, taskName, diagnostics).ToList();
            var hasFormatMessages = HasFormatMessages(type, inputType, taskName, diagnostics);
            if (hasFormatMessages && templates.Count > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.FormatMessagesWithPrompts, LocationInfo.From(syntax.Identifier.GetLocation()), taskName));
            }
            else if (!hasFormatMessages && !templates.Any(t => t.Role == PromptRole.User))
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
                parameters.ToEquatableArray(),
                templates.ToEquatableArray(),
                HasParseOutput(type, inputType, outputType, taskName, diagnostics),
                hasFormatMessages,
                // A task whose columns depend on its settings (a user template) declares Inputs itself.
                DeclaresInputs: DeclaresMember<PropertyDeclarationSyntax>(type, p => p.Identifier.ValueText == "Inputs"),
                Mode: !isPartial ? EmitMode.Nothing
                    : diagnostics.Any(d => DiagnosticDescriptors.ById(d.Id).DefaultSeverity == DiagnosticSeverity.Error) ? EmitMode.Stubs
                    : EmitMode.Members,
                diagnostics.ToEquatableArray(),
                SettingReader.Read(type, dependencies: dependencies).ToEquatableArray(),
                // The text, not its hash: hashing waits for the Resolver, which runs only for a task that changed.
                // Its records count too, wherever they are declared: they say what it reads and answers.
                SettingReader.DeclarationText(type) + SettingReader.RecordsText(type, new ITypeSymbol[] { inputType, outputType }, dependencies));
        }

        private static TaskDeclaration Invalid(INamedTypeSymbol type, string taskName, List<DiagnosticInfo> diagnostics) =>
            new(taskName, type.Name, "", type.ToDisplayString(), default, "", "", "", "", default, default, default,
                false, false, false, EmitMode.Nothing, diagnostics.ToEquatableArray());

        // The task class and every class around it must be partial for the generated part to join them.
        internal static INamedTypeSymbol? FirstNonPartialType(INamedTypeSymbol type)
        {
            for (var current = type; current is not null; current = current.ContainingType)
            {
                var partial = current.DeclaringSyntaxReferences.Any(r =>
                    r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword));
                if (!partial) return current;
            }
            return null;
        }

        private static INamedTypeSymbol? FindTaskBase(INamedTypeSymbol type)
        {
            for (var current = type.BaseType; current is not null; current = current.BaseType)
            {
                if (current is { Arity: 2 } && KnownTypes.Is(current, "Distil", "LlmTask")) return current;
            }
            return null;
        }

        internal static IEnumerable<ContainingTypeSpec> ContainingTypes(INamedTypeSymbol type)
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

        internal static void ReportDuplicateColumns(IEnumerable<ObjectSpec> objects, List<DiagnosticInfo> diagnostics)
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

        private static IEnumerable<TemplateSource> ReadTemplates(
            System.Collections.Immutable.ImmutableArray<AttributeData> attributes, string taskName, List<DiagnosticInfo> diagnostics)
        {
            foreach (var attribute in attributes)
            {
                PromptRole? role = KnownTypes.IsAttribute(attribute, "Distil", "SystemPromptAttribute") ? PromptRole.System
                    : KnownTypes.IsAttribute(attribute, "Distil", "UserPromptAttribute") ? PromptRole.User
                    : null;
                if (role is null) continue;

                var inline = attribute.ConstructorArguments.FirstOrDefault().Value as string;
                var file = attribute.NamedArguments.FirstOrDefault(a => a.Key == "File").Value.Value as string;
                var syntax = attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
                if ((inline is null) == (file is null))
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.AmbiguousPrompt, LocationInfo.From(syntax?.GetLocation()),
                        role == PromptRole.System ? "SystemPrompt" : "UserPrompt", taskName,
                        inline is null ? "has neither template text nor File" : "has both template text and File"));
                    continue;
                }
                var argument = syntax?.ArgumentList?.Arguments.FirstOrDefault(a =>
                    inline is not null ? a.NameEquals is null : a.NameEquals?.Name.Identifier.Text == "File");
                var offset = InlineTextOffset(argument?.Expression, inline);
                var start = offset < 0 || syntax is null
                    ? default
                    : syntax.SyntaxTree.GetLineSpan(new Microsoft.CodeAnalysis.Text.TextSpan(offset, 0)).StartLinePosition;
                yield return new TemplateSource(
                    role.Value,
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

        // Template parameters are settings that only templates read. A type the compiled subset
        // cannot reach into is still passed to Scriban at run time.
        private static IEnumerable<TemplateParameterSpec> ReadParameters(INamedTypeSymbol type, TypeShapeReader shapes)
        {
            // Asking the class for its members costs a binding pass; most tasks have no parameters.
            if (!DeclaresMember<PropertyDeclarationSyntax>(type, p => p.AttributeLists.Count > 0)) yield break;
            foreach (var property in type.GetMembers().OfType<IPropertySymbol>())
            {
                if (!property.GetAttributes().Any(a => KnownTypes.IsAttribute(a, "Distil", "TemplateParameterAttribute"))) continue;
                var shape = shapes.TryRead(property.Type, property)
                            ?? new TypeShape(ValueKind.Object, TypeShapeReader.TypeName(property.Type),
                                property.Type.NullableAnnotation == NullableAnnotation.Annotated, property.Type.IsValueType);
                yield return new TemplateParameterSpec(property.Name, ColumnNames.SnakeCase(property.Name), shape);
            }
        }

        private static bool DeclaresMember<T>(INamedTypeSymbol type, System.Func<T, bool> predicate) where T : MemberDeclarationSyntax =>
            type.DeclaringSyntaxReferences.Any(r =>
                r.GetSyntax() is TypeDeclarationSyntax declaration && declaration.Members.OfType<T>().Any(predicate));

        // A task that builds its own chat (a list of messages from a column, a template chosen at
        // run time) declares FormatMessages instead of prompt attributes.
        private static bool HasFormatMessages(
            INamedTypeSymbol type, ITypeSymbol input, string taskName, List<DiagnosticInfo> diagnostics)
        {
            if (!DeclaresMember<MethodDeclarationSyntax>(type, m => m.Identifier.ValueText == "FormatMessages")) return false;
            var candidates = type.GetMembers("FormatMessages").OfType<IMethodSymbol>().ToList();
            var matches = candidates.Any(m =>
                m.Parameters.Length == 1
                && SymbolEqualityComparer.Default.Equals(m.Parameters[0].Type, input)
                && m.ReturnType is INamedTypeSymbol { Name: "IReadOnlyList", TypeArguments.Length: 1 } list
                && KnownTypes.Is(list.TypeArguments[0], "Microsoft.Extensions.AI", "ChatMessage"));
            if (!matches && candidates.Count > 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.FormatMessagesSignature, LocationInfo.From(candidates[0].Locations.FirstOrDefault()),
                    taskName, input.Name));
            }
            return matches;
        }

        private static bool HasParseOutput(
            INamedTypeSymbol type, ITypeSymbol input, ITypeSymbol output, string taskName, List<DiagnosticInfo> diagnostics)
        {
            if (!DeclaresMember<MethodDeclarationSyntax>(type, m => m.Identifier.ValueText == "ParseOutput")) return false;
            var candidates = type.GetMembers("ParseOutput").OfType<IMethodSymbol>().ToList();
            // Static, or an instance method when parsing depends on the task's settings.
            var matches = candidates.Any(m =>
                m.Parameters.Length == 2
                && m.Parameters[0].Type.SpecialType == SpecialType.System_String
                && SymbolEqualityComparer.Default.Equals(m.Parameters[1].Type, input)
                && SymbolEqualityComparer.Default.Equals(m.ReturnType.WithNullableAnnotation(NullableAnnotation.NotAnnotated), output));
            if (!matches && candidates.Count > 0)
            {
                // A near miss would otherwise be ignored in silence, and the answers parsed as JSON.
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.ParseOutputSignature, LocationInfo.From(candidates[0].Locations.FirstOrDefault()),
                    taskName, output.Name, input.Name));
            }
            return matches;
        }
    }
}
