using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Distil.Generators.Diagnostics;
using Distil.Generators.Mapping;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Distil.Generators.Schema;
using Distil.Generators.Templates;
using Microsoft.CodeAnalysis.Text;

namespace Distil.Generators;

/// <summary>A task ready to emit (null when nothing can be emitted) and the diagnostics it has.</summary>
internal sealed record ResolvedTask(TaskSpec? Spec, EquatableArray<DiagnosticInfo> Diagnostics);

public sealed partial class TaskGenerator
{
    /// <summary>
    /// Finds each template of a task (inline or in a project file), compiles it, checks its
    /// variables against the task's columns and parameters, and writes the output schema and grammar.
    /// </summary>
    internal static class Resolver
    {
        public static ResolvedTask Resolve(TaskDeclaration task, TemplateFileSet files, CancellationToken cancellationToken)
        {
            var diagnostics = task.Diagnostics.ToList();
            // Without a task base there are no records to resolve against; nothing is written.
            if (task.Mode == EmitMode.Nothing && task.InputObjectId.Length == 0) return new ResolvedTask(null, diagnostics.ToEquatableArray());

            var objects = new ObjectLookup(task.Objects);
            var input = objects[task.InputObjectId];
            var scope = new TemplateScope(
                input.Properties.Select(p => new TemplateVariable(p.Column, "input." + p.Name, p.Type))
                    .Concat(task.Parameters.Select(p => new TemplateVariable(p.Variable, "this." + p.Name, p.Type))),
                objects);

            var compiled = new List<CompiledTemplate>();
            var used = new HashSet<string>(StringComparer.Ordinal);
            var templatesOk = true;
            foreach (var source in task.Templates)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var file = source.FilePath is null ? null : FindFile(files, source.FilePath);
                var text = source.InlineText ?? file?.Text;
                if (text is null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.TemplateFileNotFound, source.AttributeLocation, source.Role.Name(), source.FilePath!, task.TaskName));
                    templatesOk = false;
                    continue;
                }

                var sourceName = source.FilePath ?? $"{task.ClassName} ({source.Role.Name()} prompt)";
                var compilation = TemplateCompiler.Compile(text, sourceName, scope);
                used.UnionWith(compilation.UsedVariables);
                foreach (var error in compilation.Errors)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.TemplateDoesNotParse,
                        Locate(source, file, error.Line, error.Column, error.Offset, 1),
                        source.Role.Name(), task.TaskName, $"{sourceName}({error.Line + 1},{error.Column + 1})", error.Message));
                }
                foreach (var unknown in compilation.UnknownVariables)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnknownTemplateVariable,
                        Locate(source, file, unknown.Line, unknown.Column, unknown.Offset, unknown.Length),
                        unknown.Name, task.TaskName, DidYouMean(unknown.Name, scope.Variables.Keys)));
                }
                templatesOk &= compilation.Errors.Count == 0 && compilation.UnknownVariables.Count == 0;
                compiled.Add(new CompiledTemplate(source.Role, text, sourceName, compilation.Code));
            }

            // A column no template reads is probably a typo or a leftover; only worth a warning.
            if (templatesOk && !task.HasFormatMessages)
            {
                foreach (var property in input.Properties.Where(p => !used.Contains(p.Column)))
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnusedInputColumn, property.Location, property.Column, task.TaskName));
                }
            }

            // A row rule must name a list of the input.
            var output = objects[task.OutputObjectId];
            foreach (var property in output.Properties)
            {
                foreach (var (attribute, name) in new[] { ("SameCountAs", property.Rules?.SameCountAs), ("OneOf", property.Rules?.OneOfInput) })
                {
                    if (name is null || Emitter.RowInput(input, name) is not null) continue;
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowRuleInput, property.Location, attribute, name, property.Name, task.TaskName));
                    templatesOk = false;
                }
            }

            var mode = task.Mode == EmitMode.Members && !templatesOk ? EmitMode.Stubs : task.Mode;
            var valid = mode == EmitMode.Members;
            var schema = valid ? JsonSchemaWriter.Write(task.OutputObjectId, task.Objects) : "";
            var grammar = valid ? GbnfGrammarWriter.Write(task.OutputObjectId, task.Objects) : "";
            // What identifies the task's code: its declarations, its templates, and this generator's version.
            var sourceHash = SettingReader.Hash(string.Join("\n", new[] { GeneratorVersion, task.DeclarationText }.Concat(compiled.Select(t => t.Role.Name() + ":" + t.Text))));
            var spec = new TaskSpec(task with { Mode = mode }, compiled.ToEquatableArray(), schema, grammar, sourceHash);
            return new ResolvedTask(spec, diagnostics.ToEquatableArray());
        }

        /// <summary>
        /// The project's template files that <paramref name="task"/>'s prompts name, and nothing
        /// else: an edit to another task's template leaves this task's input equal, so it is not
        /// resolved again.
        /// </summary>
        public static TemplateFileSet FilesOf(TaskDeclaration task, TemplateFileSet files) =>
            new(files.ProjectDirectory, task.Templates
                .Select(t => FindFile(files, t.FilePath))
                .Where(f => f is not null)
                .Select(f => f!)
                .Distinct()
                .ToEquatableArray());

        // Template paths are relative to the project directory; additional files arrive with full
        // paths. Without a project directory (or for linked files) the path's tail must match.
        private static TemplateFile? FindFile(TemplateFileSet files, string? relativePath)
        {
            if (relativePath is null) return null;
            var relative = relativePath.Replace('\\', '/');
            while (relative.StartsWith("./", StringComparison.Ordinal)) relative = relative.Substring(2);
            relative = relative.TrimStart('/');

            if (files.ProjectDirectory.Length > 0)
            {
                var full = files.ProjectDirectory.TrimEnd('/') + "/" + relative;
                var exact = files.Files.FirstOrDefault(f => string.Equals(f.Path, full, StringComparison.OrdinalIgnoreCase));
                if (exact is not null) return exact;
            }
            return files.Files.FirstOrDefault(f =>
                f.Path.EndsWith("/" + relative, StringComparison.OrdinalIgnoreCase) || f.Path == relative);
        }

        private static LocationInfo? Locate(TemplateSource source, TemplateFile? file, int line, int column, int offset, int length)
        {
            if (file is not null)
            {
                return new LocationInfo(
                    file.Path, new TextSpan(offset, length),
                    new LinePositionSpan(new LinePosition(line, column), new LinePosition(line, column + length)));
            }
            if (source.InlineTextOffset >= 0 && source.AttributeLocation is { } attribute)
            {
                var start = line == 0
                    ? new LinePosition(source.InlineTextLine, source.InlineTextColumn + column)
                    : new LinePosition(source.InlineTextLine + line, column);
                return new LocationInfo(
                    attribute.FilePath, new TextSpan(source.InlineTextOffset + offset, length),
                    new LinePositionSpan(start, new LinePosition(start.Line, start.Character + length)));
            }
            return source.AttributeLocation;
        }

        private static string DidYouMean(string name, IEnumerable<string> known)
        {
            var best = NameSuggestions.Closest(name, known);
            var list = string.Join(", ", known.OrderBy(k => k, StringComparer.Ordinal));
            return best is not null
                ? $". Did you mean '{best}'?"
                : list.Length > 0 ? $". Known variables: {list}." : ". The task has no input columns or template parameters.";
        }
    }
}
