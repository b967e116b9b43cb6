using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Distil.Generators.Model;
using Distil.Generators.Writing;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Distil.Generators.Templates;

/// <summary>
/// Compiles a Scriban template to C# that builds the same text. The compiled subset: text,
/// variables and member access, if/else if/else, for loops with <c>for.index</c> and friends,
/// comparisons, <c>&amp;&amp; || !</c>, and <c>array.join</c>, <c>array.size</c>,
/// <c>string.size</c>, <c>string.upcase</c>, <c>string.downcase</c>, <c>string.strip</c>.
/// Anything else leaves <see cref="TemplateCompilation.Code"/> null, and Scriban renders the
/// template at run time instead. Output equals Scriban's, auto-indent included.
/// </summary>
internal sealed class TemplateCompiler
{
    private const string Text = "global::Distil.Templates.TemplateText";

    private readonly TemplateScope _scope;
    private readonly bool _indented;
    private readonly SourceWriter _code = new();
    private readonly List<Loop> _loops = new();
    private int _counter;
    private int _capacity;

    private TemplateCompiler(TemplateScope scope, bool indented)
    {
        _scope = scope;
        _indented = indented;
    }

    /// <summary>True when some statement is written under a non-empty auto-indent.</summary>
    private bool SawIndent { get; set; }

    public static TemplateCompilation Compile(string text, string sourceName, TemplateScope scope)
    {
        var result = new TemplateCompilation();
        var template = Template.Parse(text, sourceName);
        if (template.HasErrors)
        {
            foreach (var message in template.Messages.Where(m => m.Type == ParserMessageType.Error))
            {
                result.Errors.Add(new TemplateError(
                    message.Message, message.Span.Start.Line, message.Span.Start.Column, message.Span.Start.Offset));
            }
            return result;
        }

        TemplateVariableCollector.Collect(template.Page!, scope, result);
        if (result.UnknownVariables.Count > 0) return result;

        result.Code = TryCompile(template.Page!, scope, indented: false, out var sawIndent);
        if (result.Code is not null && sawIndent)
        {
            // Some tag is indented: every write must go through Scriban's auto-indent.
            result.Code = TryCompile(template.Page!, scope, indented: true, out _);
        }
        return result;
    }

    private static string? TryCompile(ScriptPage page, TemplateScope scope, bool indented, out bool sawIndent)
    {
        var compiler = new TemplateCompiler(scope, indented);
        sawIndent = false;
        try
        {
            compiler.Block(page.Body, indent: null);
        }
        catch (NotCompilableException)
        {
            return null;
        }
        sawIndent = compiler.SawIndent;
        var method = new SourceWriter();
        method.WriteLine(indented
            ? $"var __w = new global::Distil.Templates.TemplateWriter({compiler._capacity});"
            : $"var __b = new global::System.Text.StringBuilder({compiler._capacity});");
        method.WriteLines(compiler._code.ToString().TrimEnd('\n'));
        method.WriteLine(indented ? "return __w.ToString();" : "return __b.ToString();");
        return method.ToString().TrimEnd('\n');
    }

    // Scriban sets the indent of each statement from the last {{ before it in its block: the
    // tag's indent when entering code, the block's own indent when leaving it.
    private void Block(ScriptBlockStatement? block, string? indent)
    {
        if (block is null) return;
        var current = indent;
        foreach (var statement in block.Statements)
        {
            if (statement is ScriptEscapeStatement escape)
            {
                current = escape.IsEntering ? escape.Indent : indent;
                continue;
            }
            Statement(statement, current);
        }
    }

    private void Statement(ScriptStatement statement, string? indent)
    {
        switch (statement)
        {
            case ScriptRawStatement raw:
                var text = raw.Text.ToString();
                if (text.Length > 0) Write(CSharpLiteral.String(text), indent, text.Length);
                break;
            case ScriptExpressionStatement { Expression: not ScriptAssignExpression and not null } expression:
                WriteValue(Value(expression.Expression), indent);
                break;
            case ScriptIfStatement conditional:
                If(conditional, indent);
                break;
            case ScriptForStatement loop when loop.GetType() == typeof(ScriptForStatement):
                For(loop, indent);
                break;
            case ScriptEndStatement:
                break;
            default:
                throw new NotCompilableException();
        }
    }

    private void If(ScriptIfStatement conditional, string? indent)
    {
        using (_code.Block($"if ({Condition(conditional.Condition)})")) Block(conditional.Then, indent);
        switch (conditional.Else)
        {
            case ScriptIfStatement elseIf:
                using (_code.Block("else")) If(elseIf, indent);
                break;
            case ScriptElseStatement otherwise:
                using (_code.Block("else")) Block(otherwise.Body, indent);
                break;
        }
    }

    private void For(ScriptForStatement loop, string? indent)
    {
        if (loop.NamedArguments is { Count: > 0 } || loop.Variable is not ScriptVariableGlobal variable) throw new NotCompilableException();
        var items = Value(loop.Iterator);
        if (items.Shape.Kind != ValueKind.List) throw new NotCompilableException();

        var n = _counter++;
        var state = new Loop(variable.Name, new Typed($"__item{n}", items.Shape.Element!), $"__index{n}", $"__count{n}");
        using (_code.Block())
        {
            _code.WriteLine($"var __items{n} = {items.Code};");
            using (_code.Block($"if (__items{n} is not null)"))
            {
                _code.WriteLine($"var __index{n} = 0;");
                if (NeedsCount(loop.Body)) _code.WriteLine($"var __count{n} = {Text}.Size(__items{n});");
                using (_code.Block($"foreach (var __item{n} in __items{n})"))
                {
                    _loops.Add(state);
                    Block(loop.Body, indent);
                    _loops.RemoveAt(_loops.Count - 1);
                    _code.WriteLine($"__index{n}++;");
                }
                if (loop.Else is not null)
                {
                    // Scriban runs a loop's else only for an empty list, not for a null one.
                    using (_code.Block($"if (__index{n} == 0)")) Block(loop.Else.Body, indent);
                }
            }
        }
    }

    private static bool NeedsCount(ScriptNode? node) =>
        node is not null && (node is ScriptMemberExpression
        {
            Target: ScriptVariableGlobal { Name: "for" },
            Member.Name: "last" or "rindex" or "length",
        } || node.Children.Any(NeedsCount));

    private string Condition(ScriptExpression? expression)
    {
        switch (expression)
        {
            case ScriptNestedExpression nested:
                return $"({Condition(nested.Expression)})";
            case ScriptUnaryExpression { Operator: ScriptUnaryOperator.Not } not:
                return $"!({Condition(not.Right)})";
            case ScriptBinaryExpression { Operator: ScriptBinaryOperator.And or ScriptBinaryOperator.Or } logic:
                var op = logic.Operator == ScriptBinaryOperator.And ? "&&" : "||";
                return $"({Condition(logic.Left)} {op} {Condition(logic.Right)})";
            case ScriptBinaryExpression comparison:
                return Compare(comparison);
            case ScriptLiteral literal:
                return literal.Value switch { null => "false", bool b => b ? "true" : "false", _ => "true" };
            default:
                return Truthy(Value(expression));
        }
    }

    // Scriban's truthiness: only null and false are false.
    private static string Truthy(Typed value) => value.Shape switch
    {
        { Kind: ValueKind.Boolean, IsNullable: false } => value.Code,
        { Kind: ValueKind.Boolean } => $"({value.Code} == true)",
        { IsValueType: true, IsNullable: false } => "true",
        _ => $"({value.Code} is not null)",
    };

    private string Compare(ScriptBinaryExpression comparison)
    {
        var op = comparison.Operator switch
        {
            ScriptBinaryOperator.CompareEqual => "==",
            ScriptBinaryOperator.CompareNotEqual => "!=",
            ScriptBinaryOperator.CompareLess => "<",
            ScriptBinaryOperator.CompareGreater => ">",
            ScriptBinaryOperator.CompareLessOrEqual => "<=",
            ScriptBinaryOperator.CompareGreaterOrEqual => ">=",
            _ => throw new NotCompilableException(),
        };
        var equality = op is "==" or "!=";

        if (equality && (IsNullLiteral(comparison.Left) || IsNullLiteral(comparison.Right)))
        {
            var other = Value(IsNullLiteral(comparison.Left) ? comparison.Right : comparison.Left);
            if (other.Shape is { IsValueType: true, IsNullable: false }) return op == "==" ? "false" : "true";
            return op == "==" ? $"({other.Code} is null)" : $"({other.Code} is not null)";
        }

        var left = Value(comparison.Left);
        var right = Value(comparison.Right);
        if (equality && left.Shape.Kind == ValueKind.String && right.Shape.Kind == ValueKind.String)
        {
            var equals = $"string.Equals({left.Code}, {right.Code}, global::System.StringComparison.Ordinal)";
            return op == "==" ? equals : $"!{equals}";
        }
        if (IsNumber(left.Shape) && IsNumber(right.Shape) && (equality || (!left.Shape.IsNullable && !right.Shape.IsNullable)))
        {
            return $"({left.Code} {op} {right.Code})";
        }
        if (equality && left.Shape.Kind == ValueKind.Boolean && right.Shape.Kind == ValueKind.Boolean)
        {
            return $"({left.Code} {op} {right.Code})";
        }
        throw new NotCompilableException();
    }

    private static bool IsNumber(TypeShape shape) => shape.Kind is ValueKind.Integer or ValueKind.Number;

    private static bool IsNullLiteral(ScriptExpression? expression) => expression is ScriptLiteral { Value: null };

    private Typed Value(ScriptExpression? expression)
    {
        switch (expression)
        {
            case ScriptNestedExpression nested:
                var inner = Value(nested.Expression);
                return inner with { Code = $"({inner.Code})", NullConditional = false };
            case ScriptLiteral literal:
                return Literal(literal.Value);
            case ScriptVariableGlobal variable:
                return Variable(variable.Name);
            case ScriptMemberExpression member:
                return Member(member);
            case ScriptPipeCall pipe:
                return Pipe(pipe);
            case ScriptFunctionCall call:
                return Call(call, piped: null);
            case ScriptBinaryExpression { Operator: ScriptBinaryOperator.Add or ScriptBinaryOperator.Subtract or ScriptBinaryOperator.Multiply } arithmetic:
                return Arithmetic(arithmetic);
            case ScriptBinaryExpression or ScriptUnaryExpression { Operator: ScriptUnaryOperator.Not }:
                return new Typed(Condition(expression), Shapes.Boolean);
            default:
                throw new NotCompilableException();
        }
    }

    // Whole numbers are added as long, as Scriban widens rather than overflows; any double makes a double.
    private Typed Arithmetic(ScriptBinaryExpression arithmetic)
    {
        var left = Value(arithmetic.Left);
        var right = Value(arithmetic.Right);
        if (!IsNumber(left.Shape) || !IsNumber(right.Shape) || left.Shape.IsNullable || right.Shape.IsNullable
            || left.Shape.ClrName == "float" || right.Shape.ClrName == "float")
        {
            throw new NotCompilableException();
        }
        var op = arithmetic.Operator switch
        {
            ScriptBinaryOperator.Add => "+",
            ScriptBinaryOperator.Subtract => "-",
            _ => "*",
        };
        return left.Shape.Kind == ValueKind.Integer && right.Shape.Kind == ValueKind.Integer
            ? new Typed($"((long){left.Code} {op} {right.Code})", Shapes.Int64)
            : new Typed($"((double){left.Code} {op} {right.Code})", Shapes.Double);
    }

    private static Typed Literal(object? value) => value switch
    {
        string text => new Typed(CSharpLiteral.String(text), Shapes.String),
        bool flag => new Typed(flag ? "true" : "false", Shapes.Boolean),
        int number => new Typed(number.ToString(CultureInfo.InvariantCulture), Shapes.Int32),
        long number => new Typed(number.ToString(CultureInfo.InvariantCulture) + "L", Shapes.Int64),
        double number when !double.IsNaN(number) && !double.IsInfinity(number) =>
            new Typed(number.ToString("R", CultureInfo.InvariantCulture) + "d", Shapes.Double),
        _ => throw new NotCompilableException(),
    };

    private Typed Variable(string name)
    {
        for (var i = _loops.Count - 1; i >= 0; i--)
        {
            if (_loops[i].Variable == name) return _loops[i].Item;
        }
        return _scope.Variables.TryGetValue(name, out var variable)
            ? new Typed(variable.Access, variable.Type)
            : throw new NotCompilableException();
    }

    private Typed Member(ScriptMemberExpression member)
    {
        var name = member.Member?.Name ?? throw new NotCompilableException();
        if (member.Target is ScriptVariableGlobal { Name: "for" } && _loops.Count > 0)
        {
            var loop = _loops[_loops.Count - 1];
            return name switch
            {
                "index" => new Typed(loop.Index, Shapes.Int32),
                "rindex" => new Typed($"({loop.Count} - {loop.Index} - 1)", Shapes.Int32),
                "length" => new Typed(loop.Count, Shapes.Int32),
                "first" => new Typed($"({loop.Index} == 0)", Shapes.Boolean),
                "last" => new Typed($"({loop.Index} == {loop.Count} - 1)", Shapes.Boolean),
                "even" => new Typed($"(({loop.Index} & 1) == 0)", Shapes.Boolean),
                "odd" => new Typed($"(({loop.Index} & 1) != 0)", Shapes.Boolean),
                _ => throw new NotCompilableException(),
            };
        }

        var target = Value(member.Target);
        if (target.Shape.Kind == ValueKind.List && name == "size")
        {
            return new Typed($"{Text}.Size({target.Code})", Shapes.Int32);
        }
        if (target.Shape.Kind == ValueKind.Object && target.Shape.ObjectId.Length > 0)
        {
            // Scriban reaches into .NET objects through its standard renamer (MaxWords → max_words).
            var property = _scope.Objects[target.Shape.ObjectId].Properties
                .FirstOrDefault(p => StandardMemberRenamer.Rename(p.Name) == name);
            if (property is not null)
            {
                // a?.b renders nothing for a null a; a.b fails on it, in Scriban as here. After a
                // ?. the rest of the chain (a?.b.c) is null too when a is.
                if (member.DotToken?.TokenType == TokenType.QuestionDot)
                {
                    return new Typed($"{target.Code}?.{property.Name}", property.Type with { IsNullable = true }, NullConditional: true);
                }
                var access = target.Shape.IsNullable ? "!." : ".";
                var type = target.NullConditional ? property.Type with { IsNullable = true } : property.Type;
                return new Typed($"{target.Code}{access}{property.Name}", type, target.NullConditional);
            }
        }
        throw new NotCompilableException();
    }

    // Pipes nest to the right: a | f | g is Pipe(a, Pipe(f, g)); the piped value is the first argument.
    private Typed Pipe(ScriptPipeCall pipe)
    {
        var value = Value(pipe.From);
        var next = pipe.To;
        while (next is ScriptPipeCall chained)
        {
            value = Apply(chained.From, value);
            next = chained.To;
        }
        return Apply(next, value);
    }

    private Typed Apply(ScriptExpression? function, Typed piped) => function switch
    {
        ScriptFunctionCall call => Call(call, piped),
        ScriptMemberExpression member => Call(FunctionName(member), [piped]),
        _ => throw new NotCompilableException(),
    };

    private Typed Call(ScriptFunctionCall call, Typed? piped)
    {
        var arguments = new List<Typed>();
        if (piped is not null) arguments.Add(piped);
        foreach (var argument in call.Arguments) arguments.Add(Value(argument));
        return Call(FunctionName(call.Target), arguments);
    }

    private static string FunctionName(ScriptExpression? target) =>
        target is ScriptMemberExpression { Target: ScriptVariableGlobal ns, Member: { } member }
            ? ns.Name + "." + member.Name
            : throw new NotCompilableException();

    private static Typed Call(string function, IReadOnlyList<Typed> arguments)
    {
        switch (function)
        {
            case "string.upcase" or "string.downcase" or "string.strip" when OneString(arguments):
                var method = function switch { "string.upcase" => "Upcase", "string.downcase" => "Downcase", _ => "Strip" };
                return new Typed($"{Text}.{method}({arguments[0].Code})", Shapes.NullableString);
            case "string.size" when OneString(arguments):
                return new Typed($"{Text}.StringSize({arguments[0].Code})", Shapes.Int32);
            case "array.size" when arguments.Count == 1 && arguments[0].Shape.Kind == ValueKind.List:
                return new Typed($"{Text}.Size({arguments[0].Code})", Shapes.Int32);
            case "array.join" when arguments.Count == 2
                                   && arguments[0].Shape is { Kind: ValueKind.List, Element: { } element }
                                   && CanJoin(element)
                                   && arguments[1].Shape.Kind == ValueKind.String:
                return new Typed($"{Text}.Join({arguments[0].Code}, {arguments[1].Code})", Shapes.String);
            default:
                throw new NotCompilableException();
        }
    }

    private static bool OneString(IReadOnlyList<Typed> arguments) =>
        arguments.Count == 1 && arguments[0].Shape.Kind == ValueKind.String;

    private static bool CanJoin(TypeShape element) =>
        element.Kind == ValueKind.String
        || (!element.IsNullable && element.Kind == ValueKind.Boolean)
        || (!element.IsNullable && element.Kind == ValueKind.Integer && element.ClrName is "int" or "long")
        || (!element.IsNullable && element.Kind == ValueKind.Number && element.ClrName == "double");

    private void WriteValue(Typed value, string? indent)
    {
        var shape = value.Shape;
        var text = shape.Kind switch
        {
            ValueKind.String => value.Code,
            ValueKind.Boolean => $"(bool?)({value.Code})",
            ValueKind.Integer => shape.IsNullable ? $"(long?)({value.Code})" : $"(long)({value.Code})",
            ValueKind.Number when shape.ClrName == "float" => $"(float?)({value.Code})",
            ValueKind.Number => shape.IsNullable ? $"(double?)({value.Code})" : $"(double)({value.Code})",
            ValueKind.Decimal => $"(decimal?)({value.Code})",
            ValueKind.Enum => value.Code,
            // Scriban prints lists and objects in its own notation; leave those to Scriban.
            _ => throw new NotCompilableException(),
        };
        _capacity += 16;
        if (shape.Kind == ValueKind.String)
        {
            Write(text, indent, 0);
        }
        else if (shape.Kind == ValueKind.Enum)
        {
            if (_indented) Write($"{Text}.EnumText<{shape.TypeName}>({text})", indent, 0);
            else _code.WriteLine($"{Text}.AppendEnum<{shape.TypeName}>(__b, {text});");
        }
        else
        {
            if (_indented) Write($"{Text}.Text({text})", indent, 0);
            else _code.WriteLine($"{Text}.Append(__b, {text});");
        }
    }

    // Writes text (a C# string expression) under the statement's auto-indent.
    private void Write(string code, string? indent, int length)
    {
        _capacity += length;
        if (!string.IsNullOrEmpty(indent)) SawIndent = true;
        _code.WriteLine(_indented
            ? $"__w.Write({code}, {CSharpLiteral.String(indent)});"
            : $"__b.Append({code});");
    }

    /// <summary>A C# expression and the shape of its value.</summary>
    private sealed record Typed(string Code, TypeShape Shape, bool NullConditional = false);

    private sealed record Loop(string Variable, Typed Item, string Index, string Count);

    private static class Shapes
    {
        public static readonly TypeShape String = new(ValueKind.String, "string", false, false);
        public static readonly TypeShape NullableString = new(ValueKind.String, "string", true, false);
        public static readonly TypeShape Boolean = new(ValueKind.Boolean, "bool", false, true);
        public static readonly TypeShape Int32 = new(ValueKind.Integer, "int", false, true, ClrName: "int");
        public static readonly TypeShape Int64 = new(ValueKind.Integer, "long", false, true, ClrName: "long");
        public static readonly TypeShape Double = new(ValueKind.Number, "double", false, true, ClrName: "double");
    }

    /// <summary>The template goes beyond the compiled subset; Scriban will render it at run time.</summary>
    private sealed class NotCompilableException : Exception
    {
    }
}
