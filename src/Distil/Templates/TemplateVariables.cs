using Scriban.Syntax;

namespace Distil.Templates;

/// <summary>
/// The global variables a template reads: not its loop variables, not what it assigns itself, not
/// Scriban's built-ins. The run-time twin of the generator's check, for templates given as settings
/// (whose variables name the columns a task reads).
/// </summary>
internal sealed class TemplateVariables
{
    private static readonly HashSet<string> BuiltIns = new(StringComparer.Ordinal)
    {
        "array", "date", "html", "include", "include_join", "math", "object", "regex", "string", "timespan",
        "empty", "blank", "this", "for", "while", "tablerow",
    };

    private readonly HashSet<string> _assigned = new(StringComparer.Ordinal);
    private readonly List<string> _loopVariables = [];
    private readonly List<string> _found = [];

    /// <summary>The variables in order of first use.</summary>
    public static IReadOnlyList<string> Of(ScriptPage page)
    {
        var collector = new TemplateVariables();
        collector.FindAssignments(page);
        collector.Visit(page);
        return collector._found;
    }

    private void FindAssignments(ScriptNode? node)
    {
        if (node is null) return;
        switch (node)
        {
            case ScriptAssignExpression { Target: ScriptVariableGlobal target }: _assigned.Add(target.Name); break;
            case ScriptCaptureStatement { Target: ScriptVariableGlobal target }: _assigned.Add(target.Name); break;
            case ScriptFunction { NameOrDoToken: ScriptVariableGlobal name }: _assigned.Add(name.Name); break;
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
                var name = (loop.Variable as ScriptVariableGlobal)?.Name;
                if (name is not null) _loopVariables.Add(name);
                Visit(loop.Body);
                if (name is not null) _loopVariables.RemoveAt(_loopVariables.Count - 1);
                Visit(loop.Else);
                return;
            case ScriptMemberExpression member:
                Visit(member.Target); // review.text reads review; the member name is not a variable
                return;
            case ScriptVariableGlobal variable:
                var used = variable.Name;
                if (!_loopVariables.Contains(used) && !_assigned.Contains(used) && !BuiltIns.Contains(used) && !_found.Contains(used)) _found.Add(used);
                return;
            case ScriptVariable:
                return;
        }
        foreach (var child in node.Children) Visit(child);
    }
}
