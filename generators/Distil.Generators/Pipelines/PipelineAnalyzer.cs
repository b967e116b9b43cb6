using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Distil.Generators.Diagnostics;
using Distil.Generators.Model;
using Distil.Generators.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace Distil.Generators.Pipelines;

/// <summary>
/// Follows fluent pipeline chains in a method (<c>Load&lt;TRow&gt;</c>, <c>Then</c>, <c>KeepColumns</c>,
/// <c>RenameColumns</c>, <c>ExpandColumns</c>, <c>Map</c>, <c>Filter</c>, joins, branches kept in
/// locals) and computes the columns at each step from the declared row records, the tasks' input
/// and output records and the constant arguments, as the pipeline's own validation does at run
/// time. A step that reads a column no earlier step writes is DISTIL016; a column read as another
/// type than written is DISTIL017. Where the chain leaves what is known at build time (a
/// non-constant argument, a task made elsewhere, a loader of untyped rows, a step it does not
/// model), it says nothing from there on.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PipelineAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.PipelineColumnNotWritten, DiagnosticDescriptors.PipelineColumnType, DiagnosticDescriptors.PipelineMappingUnknownColumn);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = PipelineSymbols.Find(start.Compilation);
            if (symbols is null) return; // the project does not use Distil's pipelines
            var tasks = new ConcurrentDictionary<ITypeSymbol, TaskColumns?>(SymbolEqualityComparer.Default);
            var records = new ConcurrentDictionary<(ITypeSymbol, bool), ObjectSpec?>(new RecordKeyComparer());
            start.RegisterOperationBlockAction(block =>
            {
                // The pipeline calls of this body, in source order; most bodies have none.
                List<IInvocationOperation>? steps = null;
                foreach (var operation in block.OperationBlocks.SelectMany(b => b.DescendantsAndSelf()))
                {
                    if (operation is IInvocationOperation invocation
                        && (SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, symbols.StepHandle)
                            || SymbolEqualityComparer.Default.Equals(invocation.TargetMethod.ContainingType, symbols.Pipeline)
                            || symbols.IsStepExtension(invocation.TargetMethod)))
                    {
                        (steps ??= []).Add(invocation);
                    }
                }
                if (steps is null) return;
                var chain = new ChainReader(symbols, tasks, records, start.Compilation, block.OperationBlocks, block.ReportDiagnostic);
                foreach (var step in steps) chain.ColumnsAfter(step);
            });
        });
    }
}

/// <summary>The Distil types the analyzer recognises, or null when the compilation does not reference them.</summary>
internal sealed record PipelineSymbols(INamedTypeSymbol Pipeline, INamedTypeSymbol StepHandle, INamedTypeSymbol LlmTaskOfT, INamedTypeSymbol? ColumnMappings,
    INamedTypeSymbol? Regroup)
{
    /// <summary>A step kind's fluent extension: <c>static StepHandle X(this StepHandle step, ...)</c> (Distil's or a package's).</summary>
    public bool IsStepExtension(IMethodSymbol method) =>
        method.IsExtensionMethod && method.Parameters.Length > 0
        && SymbolEqualityComparer.Default.Equals(method.Parameters[0].Type, StepHandle)
        && SymbolEqualityComparer.Default.Equals(method.ReturnType, StepHandle);

    public static PipelineSymbols? Find(Compilation compilation)
    {
        var pipeline = compilation.GetTypeByMetadataName("Distil.Pipelines.Pipeline");
        var stepHandle = compilation.GetTypeByMetadataName("Distil.Pipelines.StepHandle");
        var task = compilation.GetTypeByMetadataName("Distil.LlmTask`2");
        if (pipeline is null || stepHandle is null || task is null) return null;
        return new PipelineSymbols(pipeline, stepHandle, task, compilation.GetTypeByMetadataName("Distil.Pipelines.ColumnMappings"),
            compilation.GetTypeByMetadataName("Distil.Pipelines.RegroupStepExtensions"));
    }
}

/// <summary>Compares (record type, is output) keys by symbol.</summary>
internal sealed class RecordKeyComparer : IEqualityComparer<(ITypeSymbol Type, bool IsOutput)>
{
    public bool Equals((ITypeSymbol Type, bool IsOutput) x, (ITypeSymbol Type, bool IsOutput) y) =>
        x.IsOutput == y.IsOutput && SymbolEqualityComparer.Default.Equals(x.Type, y.Type);

    public int GetHashCode((ITypeSymbol Type, bool IsOutput) key) => SymbolEqualityComparer.Default.GetHashCode(key.Type) * 2 + (key.IsOutput ? 1 : 0);
}

/// <summary>What a task class reads and writes, from its input and output records.</summary>
internal sealed record TaskColumns(
    string Name,
    IReadOnlyList<(string Column, string Type, bool Required)>? Inputs,
    IReadOnlyList<(string Column, string Type)> Outputs,
    bool ReplacesRows = false);

/// <summary>Evaluates the chains of one method body, each step once, reporting as it goes.</summary>
internal sealed class ChainReader
{
    private const string MetadataColumn = "distilabel_metadata";

    private readonly PipelineSymbols _symbols;
    private readonly ConcurrentDictionary<ITypeSymbol, TaskColumns?> _tasks;
    private readonly ConcurrentDictionary<(ITypeSymbol, bool), ObjectSpec?> _records;
    private readonly Compilation _compilation;
    private readonly ImmutableArray<IOperation> _blocks;
    private readonly Action<Diagnostic> _report;
    private readonly Dictionary<IOperation, ColumnSet?> _after = [];
    private Dictionary<ILocalSymbol, List<IOperation>>? _assignments;

    public ChainReader(PipelineSymbols symbols, ConcurrentDictionary<ITypeSymbol, TaskColumns?> tasks, ConcurrentDictionary<(ITypeSymbol, bool), ObjectSpec?> records,
        Compilation compilation, ImmutableArray<IOperation> blocks, Action<Diagnostic> report)
    {
        _symbols = symbols;
        _tasks = tasks;
        _records = records;
        _compilation = compilation;
        _blocks = blocks;
        _report = report;
    }

    /// <summary>The columns after a pipeline step call; null when they cannot be known at build time.</summary>
    public ColumnSet? ColumnsAfter(IInvocationOperation step)
    {
        if (_after.TryGetValue(step, out var known)) return known;
        _after[step] = null; // a step that (through a local) depends on itself stays unknown
        var columns = Evaluate(step);
        _after[step] = columns;
        return columns;
    }

    private ColumnSet? Evaluate(IInvocationOperation step)
    {
        var method = step.TargetMethod;
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _symbols.Pipeline)) return FromPipeline(step);
        if (SymbolEqualityComparer.Default.Equals(method.ContainingType, _symbols.Regroup)) return FromRegroup(step);
        if (_symbols.IsStepExtension(method)) return Extension(step);
        if (step.Instance is null || ColumnsOf(step.Instance) is not { } before) return null;
        switch (method.Name)
        {
            case "Then" when method.Parameters.Length == 1 && method.Parameters[0].Name == "step":
                return TypedStep(step, before);
            case "Then" or "Generate":
                return Task(step, before);
            case "KeepColumns" when Strings(Argument(step, "columns")) is { } keep:
                Require(step, before, keep, "KeepColumns");
                return new ColumnSet(keep.Select(k => Pair(k.Name, before.TryGet(k.Name, out var fact) ? fact : new ColumnFact(ColumnTypes.Unknown, "KeepColumns"))));
            case "RenameColumns" when Pairs(Argument(step, "renames")) is { } renames:
                Require(step, before, renames.Select(r => r.From).ToList(), "RenameColumns");
                var renamed = Lookup(renames);
                return new ColumnSet(before.Columns.Select(c => renamed.TryGetValue(c.Key, out var to) ? Pair(to, c.Value) : c), before.IsOpen);
            case "ExpandColumns":
                var expand = Pairs(Argument(step, "columns")) ?? Strings(Argument(step, "columns"))?.Select(c => (From: c, To: c.Name, ToLocation: c.Location)).ToList();
                if (expand is null) return null;
                Require(step, before, expand.Select(e => e.From).ToList(), "ExpandColumns");
                var expanded = Lookup(expand);
                return new ColumnSet(before.Columns.Select(c => expanded.TryGetValue(c.Key, out var to)
                    ? Pair(to, new ColumnFact(ColumnTypes.ElementOf(c.Value.Type) ?? ColumnTypes.Unknown, "ExpandColumns"))
                    : c), before.IsOpen);
            case "Filter" when method.IsGenericMethod:
                return TypedReads(step, method.TypeArguments[0], before, "Filter") ? before : null;
            case "Map" when method.IsGenericMethod:
                if (!TypedReads(step, method.TypeArguments[0], before, "Map") || method.TypeArguments[1] is not INamedTypeSymbol mapped) return null;
                // Rule: the map writes its output record's columns onto the row; the others stay.
                return ReadRecord(mapped, isOutput: false) is { } mapWrites
                    ? before.With(mapWrites.Properties.Select(p => Pair(p.Column, new ColumnFact(ColumnTypes.Of(p.Type), $"Map<{method.TypeArguments[0].Name}, {mapped.Name}>"))))
                    : null;
            case "Filter":
                return ReadsThenSame(step, before, "Filter");
            case "Map":
                if (ReadsThenSame(step, before, "Map") is null) return null;
                var writes = Argument(step, "writes");
                if (IsNull(writes)) return before;
                return Strings(writes) is { } written ? before.With(written.Select(w => Pair(w.Name, new ColumnFact(ColumnTypes.Unknown, "Map")))) : null;
            case "Write":
                return before;
            case "Deduplicate":
                // Rule: deduplication by embeddings reads a vector (as Embed writes it); the text methods read anything.
                return Reads(step, before, "Deduplicate", ("column", DedupsByEmbedding(step) ? "list<number>" : null)) ? before : null;
            case "Validate" when Constant(Argument(step, "column")) is { } validated:
                return Reads(step, before, "Validate", ("column", null))
                    ? before.With([Pair(validated + "_valid", new ColumnFact("boolean", "Validate")), Pair(validated + "_errors", new ColumnFact("list<string>", "Validate"))])
                    : null;
            case "Embed" when Constant(Argument(step, "column")) is { } embedded:
                var output = Argument(step, "output");
                var name = IsNull(output) ? embedded + "_embedding" : Constant(output);
                if (name is null) return null;
                return Reads(step, before, "Embed", ("column", "string")) ? before.With([Pair(name, new ColumnFact("list<number>", "Embed"))]) : null;
            default:
                return null; // Evaluate, Global and anything newer: their columns are not known here
        }
    }

    // Rule: a step kind's extension method says what it reads and writes with Distil's attributes
    // (ReadsColumn, WritesColumn on its parameters, AddsColumn on the method); without them, or
    // with a column named by a value not known at build time, its columns are not known.
    private ColumnSet? Extension(IInvocationOperation step)
    {
        var method = step.TargetMethod;
        var receiver = step.Instance ?? step.Arguments.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter, method.Parameters[0]))?.Value;
        if (receiver is null || ColumnsOf(receiver) is not { } before) return null;
        var contract = StepContract.Of(method);
        if (contract is null) return null;
        var added = new List<KeyValuePair<string, ColumnFact>>();
        foreach (var (parameter, type) in contract.Writes)
        {
            if (Constant(Argument(step, parameter)) is not { } written) return null;
            added.Add(Pair(written, new ColumnFact(type, method.Name)));
        }
        if (!Reads(step, before, method.Name, contract.Reads.ToArray())) return null;
        foreach (var (column, type, itemTypeOf) in contract.Adds)
        {
            added.Add(Pair(column, new ColumnFact(ItemType(step, before, type, itemTypeOf), method.Name)));
        }
        return before.With(added);
    }

    // The type of the items of the list column a parameter names, when it fits the declared type (integers for number).
    private string ItemType(IInvocationOperation step, ColumnSet before, string type, string? itemTypeOf)
    {
        if (itemTypeOf is null || Constant(Argument(step, itemTypeOf)) is not { } column || !before.TryGet(column, out var fact)) return type;
        return ColumnTypes.ElementOf(fact.Type) is { } item && item != ColumnTypes.Unknown && ColumnTypes.Fits(type, item) ? item : type;
    }

    // Pipeline.Load<TRow>(...) and the joins; everything else on Pipeline starts an unknown chain.
    private ColumnSet? FromPipeline(IInvocationOperation call)
    {
        var method = call.TargetMethod;
        switch (method.Name)
        {
            case "Load" when method.IsGenericMethod && method.TypeArguments.Length == 1 && method.TypeArguments[0] is INamedTypeSymbol row:
                var shape = ReadRecord(row, isOutput: false);
                return shape is null ? null : new ColumnSet(shape.Properties.Select(p => Pair(p.Column, new ColumnFact(ColumnTypes.Of(p.Type), $"Load<{row.Name}>"))));
            case "Generate" when call.Arguments.Any(a => a.Parameter?.Name == "rows"):
                return Task(call, new ColumnSet([]));
            case "Start":
                return TypedStep(call, new ColumnSet([]));
            case "CombineOutputs":
                return Branches(call) is { } branches ? ColumnSet.Union(branches.Select(b => b.Columns)) : null;
            case "GroupColumns":
                if (Branches(call) is not { } joined || Strings(Argument(call, "columns")) is not { } grouped) return null;
                var outputs = Argument(call, "outputColumns");
                var names = IsNull(outputs) ? grouped.Select(g => "grouped_" + g.Name).ToList() : Strings(outputs)?.Select(o => o.Name).ToList();
                if (names is null || names.Count != grouped.Count) return null;
                foreach (var (_, columns) in joined) Require(call, columns, grouped, "GroupColumns");
                var others = ColumnSet.Union(joined.Select(b => new ColumnSet(b.Columns.Columns.Where(c => grouped.All(g => g.Name != c.Key)), b.Columns.IsOpen)));
                return others.With(grouped.Select((g, i) => Pair(names[i], new ColumnFact(ColumnTypes.Unknown, "GroupColumns"))));
            default:
                return null;
        }
    }

    // source.ForEach(list, item, each => ..., gather) and items.Regroup(source, columns, over), as
    // RegroupNode.SchemaAfter: the source's columns, each gathered column a list of its item's type.
    private ColumnSet? FromRegroup(IInvocationOperation call)
    {
        var what = call.TargetMethod.Name;
        var isForEach = what == "ForEach";
        if (ColumnsOf(Argument(call, "source")!) is not { } source) return null;
        if (Pairs(Argument(call, isForEach ? "gather" : "columns")) is not { } gather) return null;
        var over = Argument(call, isForEach ? "listColumn" : "over");
        if (!IsNull(over))
        {
            if (Constant(over) is not { } list) return null;
            if (!source.TryGet(list, out _)) NotWritten(over!.Syntax.GetLocation(), what, list, source);
        }
        var items = isForEach ? LastStepOf(Argument(call, "each")) : Argument(call, "items");
        var itemColumns = items is null ? null : ColumnsOf(items);
        if (itemColumns is not null) Require(call, itemColumns, gather.Select(g => g.From).ToList(), what);
        return source.With(gather.Select(g => Pair(g.To, new ColumnFact(
            itemColumns is not null && itemColumns.TryGet(g.From.Name, out var fact) ? ColumnTypes.ListOf(fact.Type) : ColumnTypes.Unknown, what))));
    }

    // The step a ForEach lambda returns (its one return), or null.
    private static IOperation? LastStepOf(IOperation? each)
    {
        if (Unwrap(each) is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }) return null;
        var returns = lambda.Body.Descendants().OfType<IReturnOperation>().Where(r => r.ReturnedValue is not null).ToList();
        return returns.Count == 1 ? returns[0].ReturnedValue : null;
    }

    // The parameter of a ForEach lambda stands for the expanded rows: the source's list column as its item column.
    private ColumnSet? ForEachItems(IParameterReferenceOperation parameter)
    {
        IOperation? current = parameter;
        while (current is not null && !(current is IAnonymousFunctionOperation lambda && SymbolEqualityComparer.Default.Equals(lambda.Symbol, parameter.Parameter.ContainingSymbol)))
        {
            current = current.Parent;
        }
        var argument = current?.Parent is IDelegateCreationOperation creation ? creation.Parent as IArgumentOperation : null;
        if (argument is not { Parameter.Name: "each", Parent: IInvocationOperation forEach }
            || forEach.TargetMethod.Name != "ForEach" || !SymbolEqualityComparer.Default.Equals(forEach.TargetMethod.ContainingType, _symbols.Regroup))
        {
            return null;
        }
        if (ColumnsOf(Argument(forEach, "source")!) is not { } source
            || Constant(Argument(forEach, "listColumn")) is not { } list || Constant(Argument(forEach, "itemColumn")) is not { } item
            || !source.TryGet(list, out _))
        {
            return null;
        }
        return new ColumnSet(source.Columns.Select(c => c.Key == list
            ? Pair(item, new ColumnFact(ColumnTypes.ElementOf(c.Value.Type) ?? ColumnTypes.Unknown, "ForEach"))
            : c), source.IsOpen);
    }

    private List<(IOperation Branch, ColumnSet Columns)>? Branches(IInvocationOperation call)
    {
        var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == "branches");
        var values = argument?.Value is IArrayCreationOperation { Initializer: { } initializer } ? initializer.ElementValues : default;
        if (values.IsDefaultOrEmpty) return null;
        var branches = new List<(IOperation, ColumnSet)>();
        foreach (var value in values)
        {
            if (ColumnsOf(value) is not { } columns) return null;
            branches.Add((value, columns));
        }
        return branches;
    }

    // Then(task), Then(task, mappings), Generate(task): the task's required inputs must be there; its outputs are added.
    private ColumnSet? Task(IInvocationOperation step, ColumnSet before)
    {
        var argument = Argument(step, "task");
        if (Unwrap(argument) is not IObjectCreationOperation { Type: INamedTypeSymbol type } creation) return null;
        if (_tasks.GetOrAdd(type, t => ReadTask((INamedTypeSymbol)t)) is not { } task) return null;
        var (inputs, outputs) = (new Dictionary<string, string>(StringComparer.Ordinal), new Dictionary<string, string>(StringComparer.Ordinal));
        var mappingLocations = new Dictionary<string, Location>(StringComparer.Ordinal);
        var mappedKeys = new List<(bool IsInput, string Name, Location Location)>();
        var mappings = step.Arguments.FirstOrDefault(a => a.Parameter?.Name == "mappings");
        // A conditional step (Then(task, when, mappings = null)) passes null when it maps nothing.
        if (mappings is not null && !IsNull(mappings.Value) && !ReadMappings(mappings.Value, inputs, outputs, mappingLocations, mappedKeys)) return null;
        // Rule: a mapping key must be one of the task's own columns (ColumnMappings.Check refuses it at run time).
        if (!MappedKeysExist(task, mappedKeys)) return null;

        var who = $"Task '{task.Name}'";
        if (task.Inputs is { } declared)
        {
            foreach (var (input, inputType, required) in declared)
            {
                var read = inputs.TryGetValue(input, out var mapped) ? mapped : input;
                var location = mappingLocations.TryGetValue(input, out var at) ? at : argument!.Syntax.GetLocation();
                if (before.TryGet(read, out var fact))
                {
                    if (!ColumnTypes.Fits(inputType, fact.Type))
                    {
                        _report(Diagnostic.Create(DiagnosticDescriptors.PipelineColumnType, location, who, read, inputType, fact.WrittenBy, fact.Type));
                    }
                }
                else if (required)
                {
                    NotWritten(location, who, read, before);
                }
            }
        }
        // GroupGenerations makes every output a list; set to something not constant, the outputs' shape is unknown.
        var group = Assigned(creation, "GroupGenerations");
        bool? grouped = group is null ? false : group.ConstantValue is { HasValue: true, Value: bool flag } ? flag : null;
        string Shape(string type) => grouped switch { true => ColumnTypes.ListOf(type), false => type, null => ColumnTypes.Unknown };
        var metadata = Assigned(creation, "MetadataColumn") is { } column ? Constant(column) : MetadataColumn;
        var added = task.Outputs.Select(o => Pair(outputs.TryGetValue(o.Column, out var to) ? to : o.Column, new ColumnFact(Shape(o.Type), who))).ToList();
        added.Add(Pair("model_name", new ColumnFact(Shape("string"), who)));
        if (metadata is not null) added.Add(Pair(metadata, new ColumnFact(ColumnTypes.Unknown, who)));
        // Rule: a metadata column named by a value not known at build time is a column of unknown
        // name; from here on a read of a column not otherwise known may be that one: say nothing.
        return metadata is null ? before.With(added).Opened() : before.With(added);
    }

    // Then(new Normalize()), Start(new Topics()): a typed step ([Step] class) reads its input
    // record's columns and adds its output record's; a global or generator step's rows hold only
    // its output's. Any other PipelineStep (a package's, made in its extension) is not known here.
    private ColumnSet? TypedStep(IInvocationOperation call, ColumnSet before)
    {
        var argument = Argument(call, "step");
        if (Unwrap(argument) is not IObjectCreationOperation { Type: INamedTypeSymbol type }) return null;
        if (_tasks.GetOrAdd(type, t => ReadStep((INamedTypeSymbol)t)) is not { } step) return null;
        var who = $"Step '{step.Name}'";
        foreach (var (input, inputType, required) in step.Inputs ?? [])
        {
            var location = argument!.Syntax.GetLocation();
            if (before.TryGet(input, out var fact))
            {
                if (!ColumnTypes.Fits(inputType, fact.Type))
                    _report(Diagnostic.Create(DiagnosticDescriptors.PipelineColumnType, location, who, input, inputType, fact.WrittenBy, fact.Type));
            }
            else if (required)
            {
                NotWritten(location, who, input, before);
            }
        }
        var added = step.Outputs.Select(o => Pair(o.Column, new ColumnFact(o.Type, who)));
        return step.ReplacesRows ? new ColumnSet(added) : before.With(added);
    }

    private TaskColumns? ReadStep(INamedTypeSymbol type)
    {
        var name = type.GetAttributes().FirstOrDefault(a => KnownTypes.IsAttribute(a, "Distil", "StepAttribute"))?.ConstructorArguments.FirstOrDefault().Value as string;
        if (name is null) return null;
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (!KnownTypes.Is(current, "Distil", current.Name) || current.Name is not ("Step" or "ManyStep" or "GlobalStep" or "GeneratorStep")) continue;
            if (current.TypeArguments.Any(t => t is not INamedTypeSymbol)) return null;
            var isGenerator = current.Name == "GeneratorStep";
            var output = ReadRecord((INamedTypeSymbol)current.TypeArguments[current.TypeArguments.Length - 1], isOutput: false);
            var input = isGenerator ? null : ReadRecord((INamedTypeSymbol)current.TypeArguments[0], isOutput: false);
            if (output is null || (!isGenerator && input is null)) return null;
            return new TaskColumns(
                name,
                input?.Properties.Select(p => (p.Column, ColumnTypes.Of(p.Type), !p.IsOptional)).ToList() ?? [],
                output.Properties.Select(p => (p.Column, ColumnTypes.Of(p.Type))).ToList(),
                ReplacesRows: current.Name is "GlobalStep" or "GeneratorStep");
        }
        return null;
    }

    // Each mapped input or output must be the task's own (DISTIL018, at the key, with the closest name).
    private bool MappedKeysExist(TaskColumns task, List<(bool IsInput, string Name, Location Location)> keys)
    {
        var valid = true;
        foreach (var (isInput, name, location) in keys)
        {
            // A task that declares its own inputs (from its template) has them known only at run time.
            if (isInput && task.Inputs is null) continue;
            var names = isInput ? task.Inputs!.Select(i => i.Column).ToList() : task.Outputs.Select(o => o.Column).ToList();
            if (names.Contains(name)) continue;
            var closest = NameSuggestions.Closest(name, names);
            _report(Diagnostic.Create(DiagnosticDescriptors.PipelineMappingUnknownColumn, location, task.Name, isInput ? "input" : "output", name,
                names.Count == 0 ? "none" : string.Join(", ", names), closest is null ? "" : $". Did you mean '{closest}'?"));
            valid = false;
        }
        return valid;
    }

    private TaskColumns? ReadTask(INamedTypeSymbol type)
    {
        var name = type.GetAttributes().FirstOrDefault(a => KnownTypes.IsAttribute(a, "Distil", "TaskAttribute"))?.ConstructorArguments.FirstOrDefault().Value as string;
        for (var current = type.BaseType; current is not null; current = current.BaseType)
        {
            if (!SymbolEqualityComparer.Default.Equals(current.OriginalDefinition, _symbols.LlmTaskOfT)) continue;
            if (current.TypeArguments.Length != 2 || current.TypeArguments[0] is not INamedTypeSymbol input || current.TypeArguments[1] is not INamedTypeSymbol output) return null;
            var outputs = ReadRecord(output, isOutput: true);
            if (outputs is null) return null;
            // A task that declares its own Inputs (TextGeneration's template columns) reads what it says at run time.
            var inputs = DeclaresInputs(type) ? null : ReadRecord(input, isOutput: false);
            return new TaskColumns(
                name ?? type.Name,
                inputs?.Properties.Select(p => (p.Column, ColumnTypes.Of(p.Type), !p.IsOptional)).ToList(),
                outputs.Properties.Select(p => (p.Column, ColumnTypes.Of(p.Type))).ToList());
        }
        return null;
    }

    // Inputs written by hand in the task's own source (not by the generator).
    private static bool DeclaresInputs(INamedTypeSymbol type) =>
        type.GetMembers("Inputs").Concat(type.GetMembers("RequiredInputs")).Any(m => m.DeclaringSyntaxReferences.Any(r =>
            !r.SyntaxTree.FilePath.EndsWith(".g.cs", StringComparison.OrdinalIgnoreCase)));

    // A record's columns, read once per compilation.
    private ObjectSpec? ReadRecord(INamedTypeSymbol type, bool isOutput) => _records.GetOrAdd((type, isOutput), key =>
    {
        var reader = new TypeShapeReader([], _compilation);
        var id = reader.ReadRoot((INamedTypeSymbol)key.Item1, key.Item2);
        return id is null || reader.HasErrors ? null : reader.Objects.FirstOrDefault(o => o.Id == id);
    });

    // ColumnMappings { Inputs = new Dictionary<string, string> { ["instruction"] = "question" }, Outputs = ... } with constants.
    private bool ReadMappings(IOperation value, Dictionary<string, string> inputs, Dictionary<string, string> outputs, Dictionary<string, Location> locations,
        List<(bool IsInput, string Name, Location Location)> keys)
    {
        if (Unwrap(value) is not IObjectCreationOperation creation || !SymbolEqualityComparer.Default.Equals(creation.Type, _symbols.ColumnMappings)) return false;
        foreach (var initializer in creation.Initializer?.Initializers ?? [])
        {
            if (initializer is not ISimpleAssignmentOperation { Target: IPropertyReferenceOperation property } assignment) return false;
            if (Pairs(assignment.Value) is not { } pairs) return false;
            var into = property.Property.Name == "Inputs" ? inputs : property.Property.Name == "Outputs" ? outputs : null;
            if (into is null) return false;
            foreach (var (from, to, toLocation) in pairs)
            {
                into[from.Name] = to;
                if (into == inputs) locations[from.Name] = toLocation;
                keys.Add((into == inputs, from.Name, from.Location));
            }
        }
        return true;
    }

    // Filter<T> and Map<TIn, TOut>: the record's required columns must be there (DISTIL016), and
    // every column it reads must hold its type (DISTIL017); reported at the type argument.
    private bool TypedReads(IInvocationOperation step, ITypeSymbol type, ColumnSet before, string what)
    {
        if (type is not INamedTypeSymbol record || ReadRecord(record, isOutput: false) is not { } read) return false;
        var who = $"{what}<{record.Name}>";
        var location = TypeArgumentLocation(step, 0);
        foreach (var property in read.Properties)
        {
            var columnType = ColumnTypes.Of(property.Type);
            if (before.TryGet(property.Column, out var fact))
            {
                if (!ColumnTypes.Fits(columnType, fact.Type)) _report(Diagnostic.Create(DiagnosticDescriptors.PipelineColumnType, location, who, property.Column, columnType, fact.WrittenBy, fact.Type));
            }
            else if (!property.IsOptional && !property.Type.IsNullable)
            {
                NotWritten(location, who, property.Column, before);
            }
        }
        return true;
    }

    // The written type argument (Map<Ticket, ...>), or the call's name when the types are inferred.
    private static Location TypeArgumentLocation(IInvocationOperation step, int index)
    {
        var name = step.Syntax is Microsoft.CodeAnalysis.CSharp.Syntax.InvocationExpressionSyntax { Expression: Microsoft.CodeAnalysis.CSharp.Syntax.MemberAccessExpressionSyntax access } ? access.Name : null;
        return name is Microsoft.CodeAnalysis.CSharp.Syntax.GenericNameSyntax generic && generic.TypeArgumentList.Arguments.Count > index
            ? generic.TypeArgumentList.Arguments[index].GetLocation()
            : (name ?? step.Syntax).GetLocation();
    }

    // A Filter or Map: its declared reads must be there; the rows go on as they are.
    private ColumnSet? ReadsThenSame(IInvocationOperation step, ColumnSet before, string what)
    {
        var reads = Argument(step, "reads");
        if (IsNull(reads)) return before;
        if (Strings(reads) is not { } columns) return null;
        Require(step, before, columns, what);
        return before;
    }

    // Steps that read named string arguments: each must be a constant naming a column there.
    private bool Reads(IInvocationOperation step, ColumnSet before, string what, params (string Parameter, string? Type)[] parameters)
    {
        foreach (var (parameter, type) in parameters)
        {
            var argument = Argument(step, parameter);
            if (Constant(argument) is not { } column) return false;
            if (!before.TryGet(column, out var fact))
            {
                NotWritten(argument!.Syntax.GetLocation(), what, column, before);
            }
            else if (type is not null && !ColumnTypes.Fits(type, fact.Type))
            {
                _report(Diagnostic.Create(DiagnosticDescriptors.PipelineColumnType, argument!.Syntax.GetLocation(), what, column, type, fact.WrittenBy, fact.Type));
            }
        }
        return true;
    }

    private void Require(IOperation step, ColumnSet before, IReadOnlyList<(string Name, Location Location)> columns, string what)
    {
        foreach (var (name, location) in columns)
        {
            if (!before.TryGet(name, out _)) NotWritten(location, what, name, before);
        }
    }

    private void NotWritten(Location location, string who, string column, ColumnSet there)
    {
        if (there.IsOpen) return; // a column of a name unknown at build time may be this one
        var names = there.Names.ToList();
        var list = names.Count == 0 ? "no columns" : string.Join(", ", names);
        var closest = NameSuggestions.Closest(column, names);
        _report(Diagnostic.Create(DiagnosticDescriptors.PipelineColumnNotWritten, location, who, column, list, closest is null ? "" : $". Did you mean '{closest}'?"));
    }

    // The columns a StepHandle expression stands for: a step call, or a local holding one.
    private ColumnSet? ColumnsOf(IOperation expression)
    {
        switch (Unwrap(expression))
        {
            case IInvocationOperation invocation when SymbolEqualityComparer.Default.Equals(invocation.Type, _symbols.StepHandle):
                return ColumnsAfter(invocation);
            case ILocalReferenceOperation local:
                var assigned = Assignments(local.Local);
                return assigned.Count == 1 ? ColumnsOf(assigned[0]) : null;
            case IParameterReferenceOperation parameter:
                return ForEachItems(parameter);
            default:
                return null;
        }
    }

    // Every value the method gives each local: one assignment means the local is that step.
    private List<IOperation> Assignments(ILocalSymbol local)
    {
        if (_assignments is null)
        {
            _assignments = new Dictionary<ILocalSymbol, List<IOperation>>(SymbolEqualityComparer.Default);
            foreach (var operation in _blocks.SelectMany(b => b.DescendantsAndSelf()))
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                        Add(declarator.Symbol, initializer.Value);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(target.Local, assignment.Value);
                        break;
                    case IDeconstructionAssignmentOperation deconstruction:
                        foreach (var reference in deconstruction.Target.DescendantsAndSelf().OfType<ILocalReferenceOperation>()) Add(reference.Local, operation);
                        break;
                    case ICompoundAssignmentOperation { Target: ILocalReferenceOperation target }:
                        Add(target.Local, operation);
                        break;
                    case IArgumentOperation { Value: ILocalReferenceOperation byRef, Parameter.RefKind: not RefKind.None }:
                        Add(byRef.Local, operation);
                        break;
                }
            }
        }
        return _assignments.TryGetValue(local, out var values) ? values : [];

        void Add(ILocalSymbol? symbol, IOperation value)
        {
            if (symbol is null) return;
            if (!_assignments!.TryGetValue(symbol, out var list)) _assignments[symbol] = list = [];
            list.Add(value);
        }
    }

    private static IOperation? Argument(IInvocationOperation call, string parameter) =>
        call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)?.Value;

    // new DedupOptions { Method = DedupMethod.Embedding, ... } (anything else, or not known: false).
    private static bool DedupsByEmbedding(IInvocationOperation step) =>
        Unwrap(Argument(step, "options")) is IObjectCreationOperation options
        && Unwrap(Assigned(options, "Method")) is IFieldReferenceOperation { Field: { Name: "Embedding", ContainingType.Name: "DedupMethod" } };

    private static IOperation? Assigned(IObjectCreationOperation creation, string property) =>
        creation.Initializer?.Initializers.OfType<ISimpleAssignmentOperation>()
            .FirstOrDefault(a => a.Target is IPropertyReferenceOperation p && p.Property.Name == property)?.Value;

    private static IOperation? Unwrap(IOperation? operation)
    {
        while (operation is IConversionOperation { IsImplicit: true } or IParenthesizedOperation)
        {
            operation = operation is IConversionOperation conversion ? conversion.Operand : ((IParenthesizedOperation)operation).Operand;
        }
        return operation;
    }

    private static bool IsNull(IOperation? operation) => operation is null || Unwrap(operation) is { ConstantValue: { HasValue: true, Value: null } };

    private static string? Constant(IOperation? operation) =>
        operation is { ConstantValue: { HasValue: true, Value: string text } } ? text : null;

    // A list of constant strings: params arrays, new[] { ... }, collection expressions.
    private static List<(string Name, Location Location)>? Strings(IOperation? operation)
    {
        var elements = Unwrap(operation) switch
        {
            IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues.ToList(),
            ICollectionExpressionOperation collection => collection.Elements.ToList(),
            _ => null,
        };
        if (elements is null) return null;
        var names = new List<(string, Location)>();
        foreach (var element in elements)
        {
            if (Constant(element) is not { } name) return null;
            names.Add((name, element.Syntax.GetLocation()));
        }
        return names;
    }

    // A dictionary of constant strings: new Dictionary<string, string> { ["a"] = "b" } or { { "a", "b" } }.
    private static List<((string Name, Location Location) From, string To, Location ToLocation)>? Pairs(IOperation? operation)
    {
        if (Unwrap(operation) is not IObjectCreationOperation { Initializer: { } initializer } || initializer.Initializers.IsDefault) return null;
        var pairs = new List<((string, Location), string, Location)>();
        foreach (var item in initializer.Initializers)
        {
            switch (item)
            {
                case ISimpleAssignmentOperation { Target: IPropertyReferenceOperation { Arguments.Length: 1 } indexer } indexed
                    when Constant(indexer.Arguments[0].Value) is { } from && Constant(indexed.Value) is { } to:
                    pairs.Add(((from, indexer.Arguments[0].Value.Syntax.GetLocation()), to, indexed.Value.Syntax.GetLocation()));
                    break;
                case IInvocationOperation { TargetMethod.Name: "Add", Arguments.Length: 2 } add
                    when Constant(add.Arguments[0].Value) is { } from && Constant(add.Arguments[1].Value) is { } to:
                    pairs.Add(((from, add.Arguments[0].Value.Syntax.GetLocation()), to, add.Arguments[1].Value.Syntax.GetLocation()));
                    break;
                default:
                    return null;
            }
        }
        return pairs;
    }

    private static KeyValuePair<string, ColumnFact> Pair(string name, ColumnFact fact) => new(name, fact);

    private static Dictionary<string, string> Lookup(IEnumerable<((string Name, Location Location) From, string To, Location ToLocation)> pairs)
    {
        var lookup = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (from, to, _) in pairs) lookup[from.Name] = to;
        return lookup;
    }
}
