using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Generators.Incremental;

/// <summary>
/// What reading a class can see of its compilation beyond the declarations it reads
/// (<see cref="SourceDependencies"/>): the references, the nullable context, the global usings, and how many
/// times each type and namespace name is declared in the project. A type added, removed or renamed
/// anywhere may change what a name in an unchanged declaration means; an edit inside a method body,
/// a property or a prompt changes none of these.
/// </summary>
/// <remarks>
/// Computed once per compilation, from per-tree facts computed once per tree; equal scopes are
/// shared as one object, so that a thousand tasks compare their scopes by reference.
/// </remarks>
internal sealed class CompilationScope : IEquatable<CompilationScope>
{
    private const int RecentScopes = 16;

    private static readonly ConditionalWeakTable<Compilation, CompilationScope> ByCompilation = new();
    private static readonly ConditionalWeakTable<Compilation, CompilationScope>.CreateValueCallback Create = CreateShared;
    private static readonly ConditionalWeakTable<SyntaxTree, string[]> NamesByTree = new();
    private static readonly ConditionalWeakTable<SyntaxTree, string[]>.CreateValueCallback ReadNames = NamesOf;
    private static readonly List<WeakReference<CompilationScope>> Recent = new();

    private readonly MetadataReference[] _references;
    // Of the options, what reading a class can see: whether nullable annotations are on. (Options'
    // own Equals and GetHashCode reach the command-line compiler's resolvers, which do not implement them.)
    private readonly NullableContextOptions _nullable;
    private readonly Dictionary<string, int> _names;
    private readonly int _hash;

    private CompilationScope(Compilation compilation)
    {
        _references = compilation.References.ToArray();
        _nullable = compilation.Options.NullableContextOptions;
        _names = new Dictionary<string, int>(StringComparer.Ordinal);
        var hash = (int)_nullable;
        foreach (var reference in _references) hash = hash * 31 + RuntimeHelpers.GetHashCode(reference);
        foreach (var tree in compilation.SyntaxTrees)
        {
            foreach (var name in NamesByTree.GetValue(tree, ReadNames))
            {
                _names[name] = _names.TryGetValue(name, out var count) ? count + 1 : 1;
                // Order-independent: the order of files does not count.
                hash += StringComparer.Ordinal.GetHashCode(name);
            }
        }
        _hash = hash;
    }

    /// <summary>The scope of a compilation: the same object as an earlier compilation's when nothing here differs.</summary>
    public static CompilationScope Of(Compilation compilation) => ByCompilation.GetValue(compilation, Create);

    private static CompilationScope CreateShared(Compilation compilation)
    {
        var scope = new CompilationScope(compilation);
        lock (Recent)
        {
            // A few, not one: an IDE runs the generator for several projects, and tests run in parallel.
            Recent.RemoveAll(static r => !r.TryGetTarget(out _));
            foreach (var reference in Recent)
            {
                if (reference.TryGetTarget(out var earlier) && earlier.Equals(scope)) return earlier;
            }
            if (Recent.Count == RecentScopes) Recent.RemoveAt(0);
            Recent.Add(new WeakReference<CompilationScope>(scope));
        }
        return scope;
    }

    public bool Equals(CompilationScope? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || _hash != other._hash || _names.Count != other._names.Count) return false;
        if (_references.Length != other._references.Length || _nullable != other._nullable) return false;
        for (var i = 0; i < _references.Length; i++)
        {
            if (!ReferenceEquals(_references[i], other._references[i])) return false;
        }
        foreach (var pair in _names)
        {
            if (!other._names.TryGetValue(pair.Key, out var count) || count != pair.Value) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as CompilationScope);

    public override int GetHashCode() => _hash;

    // "T:" type names with their arity, "N:" namespace names, "U:" global using directives: one entry
    // per declaration, so that a second part of a partial class, or a second type of a name in another
    // namespace, counts. Only member lists are walked, never method bodies.
    private static string[] NamesOf(SyntaxTree tree)
    {
        var names = new List<string>();
        if (tree.GetRoot() is CompilationUnitSyntax unit)
        {
            foreach (var directive in unit.Usings)
            {
                if (directive.GlobalKeyword.IsKind(Microsoft.CodeAnalysis.CSharp.SyntaxKind.GlobalKeyword)) names.Add("U:" + directive.ToString());
            }
            foreach (var alias in unit.Externs) names.Add("E:" + alias.ToString());
            AddMembers(unit.Members, names);
        }
        return names.ToArray();
    }

    private static void AddMembers(SyntaxList<MemberDeclarationSyntax> members, List<string> names)
    {
        foreach (var member in members)
        {
            switch (member)
            {
                case BaseNamespaceDeclarationSyntax ns:
                    names.Add("N:" + ns.Name);
                    AddMembers(ns.Members, names);
                    break;
                case TypeDeclarationSyntax type:
                    names.Add("T:" + type.Identifier.ValueText + "`" + (type.TypeParameterList?.Parameters.Count ?? 0));
                    AddMembers(type.Members, names);
                    break;
                case BaseTypeDeclarationSyntax other:
                    names.Add("T:" + other.Identifier.ValueText);
                    break;
                case DelegateDeclarationSyntax callback:
                    names.Add("T:" + callback.Identifier.ValueText + "`" + (callback.TypeParameterList?.Parameters.Count ?? 0));
                    break;
            }
        }
    }
}
