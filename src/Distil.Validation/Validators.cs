using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using Distil.Pipelines;
using Json.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Distil.Validation;

/// <summary>Validators of generated data: JSON against a schema, and C# that must compile.</summary>
public static class Validators
{
    /// <summary>A value (JSON, or text holding JSON) valid against the JSON schema <paramref name="schema"/> (draft 2020-12).</summary>
    /// <exception cref="ArgumentException">The schema does not parse.</exception>
    public static IRowValidator JsonSchema(string schema) => new JsonSchemaValidator(schema);

    /// <summary>
    /// C# that compiles (a class library, or a program when it has top-level statements), against
    /// the .NET libraries this process runs on, with the implicit usings of an SDK project
    /// (<c>System</c>, <c>System.Linq</c>, <c>System.Collections.Generic</c>…). A Markdown code fence
    /// around the code is removed first. The reasons are the compiler's errors: <c>CS1002 (line 3, column 18): ; expected</c>.
    /// </summary>
    public static IRowValidator CSharp() => CSharpValidator.Instance;

    private sealed class JsonSchemaValidator : IRowValidator
    {
        private readonly string _text;
        private readonly Json.Schema.JsonSchema _schema;

        public JsonSchemaValidator(string schema)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(schema);
            _text = schema;
            try
            {
                _schema = Json.Schema.JsonSchema.FromText(schema);
            }
            catch (JsonException error)
            {
                throw new ArgumentException($"The JSON schema does not parse: {error.Message}", nameof(schema), error);
            }
        }

        public string Describe() => "json_schema " + _text;

        public IReadOnlyList<string> Check(JsonNode? value)
        {
            JsonElement element;
            try
            {
                var text = JsonNodeRead.Text(value) ?? "null";
                using var document = JsonDocument.Parse(text);
                element = document.RootElement.Clone();
            }
            catch (JsonException error)
            {
                return [$"not JSON: {error.Message}"];
            }
            var result = _schema.Evaluate(element, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (result.IsValid) return [];
            var reasons = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{(d.InstanceLocation.ToString() is { Length: > 0 } at ? at : "/")}: {e.Value}"))
                .Distinct().ToList();
            return reasons.Count > 0 ? reasons : ["does not match the schema"];
        }
    }

    private sealed class CSharpValidator : IRowValidator
    {
        public static readonly CSharpValidator Instance = new();

        // The libraries of the running .NET, once.
        private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
            ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Where(path => Path.GetFileName(path).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(path) is "mscorlib.dll" or "netstandard.dll")
                .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToImmutableArray());

        // What an SDK project with ImplicitUsings adds, so that code written for one compiles here.
        private static readonly SyntaxTree ImplicitUsings = CSharpSyntaxTree.ParseText(
            "global using System; global using System.Collections.Generic; global using System.IO; global using System.Linq; " +
            "global using System.Net.Http; global using System.Threading; global using System.Threading.Tasks;",
            new CSharpParseOptions(LanguageVersion.Latest));

        public string Describe() => "csharp";

        public IReadOnlyList<string> Check(JsonNode? value)
        {
            var code = value is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            if (string.IsNullOrWhiteSpace(code)) return ["there is no code"];
            var tree = CSharpSyntaxTree.ParseText(WithoutFence(code), new CSharpParseOptions(LanguageVersion.Latest));
            var program = tree.GetRoot().ChildNodes().OfType<GlobalStatementSyntax>().Any();
            var compilation = CSharpCompilation.Create("Generated", [tree, ImplicitUsings], References.Value,
                new CSharpCompilationOptions(program ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
            return compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(20).Select(d =>
            {
                var position = d.Location.GetLineSpan().StartLinePosition;
                return $"{d.Id} (line {position.Line + 1}, column {position.Character + 1}): {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
            }).ToList();
        }

        // ```csharp ... ``` around the code, as models often write it.
        private static string WithoutFence(string code)
        {
            var trimmed = code.Trim();
            if (!trimmed.StartsWith("```", StringComparison.Ordinal)) return code;
            var firstLine = trimmed.IndexOf('\n');
            var end = trimmed.LastIndexOf("```", StringComparison.Ordinal);
            return firstLine < 0 || end <= firstLine ? code : trimmed[(firstLine + 1)..end];
        }
    }
}
