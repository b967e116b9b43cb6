using System.Collections.Generic;
using Scriban.Syntax;

namespace Distil.Generators.Templates;

/// <summary>
/// Finds the global variables a template reads, and those that are neither a column, a template
/// parameter, a loop variable, a variable the template assigns itself nor a Scriban built-in.
/// Works on any template, compiled or not.
/// </summary>
internal sealed class TemplateVariableCollector
{
    // Scriban's top-level built-ins (function namespaces and special values) and loop objects.
    private static readonly HashSet<string> BuiltIns = new(System.StringComparer.Ordinal)
    {
        "array", "date", "html", "include", "include_join", "math", "object", "regex", "string", "timespan",
        "empty", "blank", "this", "for", "while", "tablerow",
    };

    private readonly TemplateScope _scope;
    private readonly TemplateCompilation _result;
    private readonly HashSet<string> _assigned = new(System.StringComparer.Ordinal);
    private readonly List<string> _loopVariables = new();

    private TemplateVariableCollector(TemplateScope scope, TemplateCompilation result)
    {
        _scope = scope;
        _result = result;
    }

    public static void Collect(ScriptPage page, TemplateScope scope, TemplateCompilation result)
    {
        var collector = new TemplateVariableCollector(scope, result);
        collector.FindAssignments(page);
        collector.Visit(page);
    }

    // A template may define its own globals ({{ x = 1 }}, capture, func) anywhere; they are not typos.
    private void FindAssignments(ScriptNode? node)
    {
        if (node is null) return;
        switch (node)
        {
            case ScriptAssignExpression { Target: ScriptVariableGlobal target }:
                _assigned.Add(target.Name);
                break;
            case ScriptCaptureStatement { Target: ScriptVariableGlobal target }:
                _assigned.Add(target.Name);
                break;
            case ScriptFunction { NameOrDoToken: ScriptVariableGlobal name }:
                _assigned.Add(name.Name);
                break;
        }
        foreach (var child in node.Children) FindAssignments(child);
    }

    private void Visit(ScriptNode? node)
    {
        switch (node)
        {
            case null:
                return;
            case ScriptForStatement loop:
                Visit(loop.Iterator);
                if (loop.NamedArguments is not null) foreach (var argument in loop.NamedArguments) Visit(argument.Value);
                var name = (loop.Variable as ScriptVariableGlobal)?.Name;
                if (name is not null) _loopVariables.Add(name);
                Visit(loop.Body);
                if (name is not null) _loopVariables.RemoveAt(_loopVariables.Count - 1);
                Visit(loop.Else);
                return;
            case ScriptMemberExpression member:
                // The member name (review.text, for.index) is not a variable.
                Visit(member.Target);
                return;
            case ScriptNamedArgument argument:
                Visit(argument.Value);
                return;
            case ScriptVariableGlobal variable:
                Check(variable);
                return;
            case ScriptVariable:
                return;
        }
        foreach (var child in node.Children) Visit(child);
    }

    private void Check(ScriptVariableGlobal variable)
    {
        var name = variable.Name;
        if (_loopVariables.Contains(name) || _assigned.Contains(name) || BuiltIns.Contains(name)) return;
        if (_scope.Variables.ContainsKey(name))
        {
            _result.UsedVariables.Add(name);
            return;
        }
        var span = variable.Span;
        _result.UnknownVariables.Add(new UnknownVariable(
            name, span.Start.Line, span.Start.Column, span.Start.Offset, System.Math.Max(1, span.End.Offset - span.Start.Offset + 1)));
    }
}
