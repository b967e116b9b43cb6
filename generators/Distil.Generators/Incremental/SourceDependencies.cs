using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Incremental;

/// <summary>
/// The syntax trees one read of a class depended on: the parts of the class, of its bases and
/// containing types, and of every type of the project its records are made of. A later compilation
/// that still holds all of these trees (and has the same <see cref="CompilationScope"/>) would read
/// the class the same way, so the read can be skipped (<see cref="DeclarationSite"/>).
/// </summary>
internal sealed class SourceDependencies
{
    private readonly HashSet<SyntaxTree> _trees = new();
    private readonly HashSet<ITypeSymbol> _types = new(SymbolEqualityComparer.IncludeNullability);
    private readonly HashSet<SyntaxNode> _declarations = new();

    /// <summary>
    /// True when an attribute of one of the declarations takes a value that is written elsewhere
    /// (a constant, an enum member, <c>typeof</c> of a project type): an edit to that other file
    /// would change what is read, and no tree here says so. Such a class is read on every compilation.
    /// </summary>
    public bool ReadsValuesFromElsewhere { get; private set; }

    /// <summary>The trees, or null when the read cannot be reused (<see cref="ReadsValuesFromElsewhere"/>).</summary>
    public SyntaxTree[]? Trees => ReadsValuesFromElsewhere ? null : _trees.ToArray();

    /// <summary>Adds the declarations of a type, of its bases and containing types, and of its type arguments.</summary>
    public void AddType(ITypeSymbol? type)
    {
        switch (type)
        {
            case IArrayTypeSymbol array:
                AddType(array.ElementType);
                return;
            case INamedTypeSymbol named when _types.Add(named):
                foreach (var argument in named.TypeArguments) AddType(argument);
                // A type from a referenced assembly has no declarations here, nor can its bases.
                for (var current = named.OriginalDefinition; current is not null && AddDeclarations(current); current = current.BaseType)
                {
                    for (var outer = current.ContainingType; outer is not null; outer = outer.ContainingType) AddDeclarations(outer);
                }
                return;
        }
    }

    private bool AddDeclarations(INamedTypeSymbol type)
    {
        var references = type.DeclaringSyntaxReferences;
        foreach (var reference in references)
        {
            _trees.Add(reference.SyntaxTree);
            var declaration = reference.GetSyntax();
            if (_declarations.Add(declaration) && !ReadsValuesFromElsewhere) ReadsValuesFromElsewhere = HasOutsideValue(declaration);
        }
        return references.Length > 0;
    }

    // Attribute arguments anywhere in the declaration except inside method bodies (which the
    // parser never reads).
    private static bool HasOutsideValue(SyntaxNode declaration) =>
        declaration.DescendantNodes(static node => node is not (BlockSyntax or ArrowExpressionClauseSyntax))
            .OfType<AttributeArgumentSyntax>()
            .Any(static argument => !IsSelfContained(argument.Expression));

    /// <summary>True when an expression's value is written out in it (literals and operators on them).</summary>
    internal static bool IsSelfContained(ExpressionSyntax expression) => expression switch
    {
        LiteralExpressionSyntax => true,
        ParenthesizedExpressionSyntax parenthesized => IsSelfContained(parenthesized.Expression),
        BinaryExpressionSyntax binary => IsSelfContained(binary.Left) && IsSelfContained(binary.Right),
        PrefixUnaryExpressionSyntax unary => IsSelfContained(unary.Operand),
        InterpolatedStringExpressionSyntax interpolated => interpolated.Contents.All(static content =>
            content is InterpolatedStringTextSyntax || content is InterpolationSyntax { Expression: var inner } && IsSelfContained(inner)),
        // nameof(X) is the text "X", whatever X is.
        InvocationExpressionSyntax { Expression: IdentifierNameSyntax { Identifier.ValueText: "nameof" } } => true,
        TypeOfExpressionSyntax { Type: PredefinedTypeSyntax } => true,
        ImplicitArrayCreationExpressionSyntax array => array.Initializer.Expressions.All(IsSelfContained),
        ArrayCreationExpressionSyntax { Type.ElementType: PredefinedTypeSyntax, Initializer: { } initializer } => initializer.Expressions.All(IsSelfContained),
        CollectionExpressionSyntax collection => collection.Elements.All(static element =>
            element is ExpressionElementSyntax { Expression: var item } && IsSelfContained(item)),
        _ => false,
    };
}
