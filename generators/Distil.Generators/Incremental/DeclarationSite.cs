using System;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;

namespace Distil.Generators.Incremental;

/// <summary>
/// A class as the attribute lookup finds it on one compilation, before it is read: its declaration
/// node and the <see cref="CompilationScope"/>, and, once the read step has read it, the trees that
/// reading depended on (<see cref="SourceDependencies"/>). Two sites are equal when they are the
/// same node, with the same scope, and the later compilation still holds every tree the earlier
/// read depended on: reading again would give the same result, so the read step stays cached.
/// This is what keeps an edit to one task from reading the 999 others again.
/// </summary>
/// <remarks>
/// The one incremental model that holds compiler objects, on purpose and only until the read step:
/// the node and the trees are unchanged ones the compilation holds anyway, and the compilation is
/// held weakly, for the read step of the same run (the driver holds it while it runs). No step
/// after the read sees any of them.
/// </remarks>
internal sealed class DeclarationSite : IEquatable<DeclarationSite>
{
    private readonly WeakReference<Compilation> _compilation;
    // Written once, by the read step of the run that made this site, before any later run compares it.
    private SyntaxTree[]? _dependencies;
    private bool _read;

    public DeclarationSite(SyntaxNode node, Compilation compilation)
    {
        Node = node;
        Scope = CompilationScope.Of(compilation);
        _compilation = new WeakReference<Compilation>(compilation);
    }

    public SyntaxNode Node { get; }

    public CompilationScope Scope { get; }

    /// <summary>The compilation of the run that found this site (alive while that run lasts).</summary>
    public Compilation Compilation =>
        _compilation.TryGetTarget(out var compilation)
            ? compilation
            : throw new InvalidOperationException("A declaration was read after the generator run that found it.");

    /// <summary>Records what reading this site depended on (null: it cannot be reused).</summary>
    public void Read(SourceDependencies dependencies)
    {
        _dependencies = dependencies.Trees;
        _read = true;
    }

    public bool Equals(DeclarationSite? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || !ReferenceEquals(Node, other.Node) || !Scope.Equals(other.Scope)) return false;
        // One of the two was read on an earlier run; the other was just found on the current compilation.
        var (read, found) = _read ? (this, other) : (other, this);
        if (read._dependencies is not { } trees || !found._compilation.TryGetTarget(out var compilation)) return false;
        foreach (var tree in trees)
        {
            if (!compilation.ContainsSyntaxTree(tree)) return false;
        }
        return true;
    }

    public override bool Equals(object? obj) => Equals(obj as DeclarationSite);

    public override int GetHashCode() => RuntimeHelpers.GetHashCode(Node);
}
