using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Distil.Pipelines;
using Distil.Tasks;

namespace Distil.Cli;

/// <summary>
/// The user's own tasks and steps, from the built assemblies given with <c>--assembly</c>: the
/// public non-abstract classes marked <c>[Task("name")]</c> that derive from <see cref="LlmTask"/>,
/// and those marked <c>[Step("name")]</c> that derive from <see cref="PipelineStep"/>. Each assembly
/// is loaded in a context of its own (<see cref="UserAssemblyContext"/>) and its pipeline-file step
/// kinds (<c>[assembly: PipelineStepKind(...)]</c>) are registered. A pipeline file names a task
/// with <c>"task": "name"</c> and a step with <c>"step": "name"</c>.
/// </summary>
internal sealed class UserCode
{
    private const string TaskAttributeName = "Distil.TaskAttribute";
    private const string StepAttributeName = "Distil.StepAttribute";

    // A step's settings are read like JSON: numbers, text, lists, enums by name.
    private static readonly JsonSerializerOptions SettingValues = new() { Converters = { new JsonStringEnumConverter() } };

    private UserCode(IReadOnlyDictionary<string, Type> tasks, IReadOnlyDictionary<string, Type> steps)
    {
        Tasks = tasks;
        Steps = steps;
    }

    /// <summary>No assembly: only the built-in tasks and steps.</summary>
    public static UserCode None { get; } = new(new Dictionary<string, Type>(), new Dictionary<string, Type>());

    /// <summary>The user's tasks by their <c>[Task]</c> name.</summary>
    public IReadOnlyDictionary<string, Type> Tasks { get; }

    /// <summary>The user's steps by their <c>[Step]</c> name.</summary>
    public IReadOnlyDictionary<string, Type> Steps { get; }

    /// <summary>
    /// Loads the assemblies at <paramref name="paths"/>. Any problem (no such file, not an assembly,
    /// two of the same name, a task named like a built-in one, two tasks or steps of one name) is a
    /// <see cref="UsageException"/> naming <paramref name="command"/> and the assembly.
    /// </summary>
    public static UserCode Load(IReadOnlyList<string> paths, string command)
    {
        if (paths.Count == 0) return None;
        var tasks = new Dictionary<string, Type>(StringComparer.Ordinal);
        var steps = new Dictionary<string, Type>(StringComparer.Ordinal);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var given in paths)
        {
            var path = Path.GetFullPath(given);
            UsageException Bad(string problem) => new(ErrorText.Sentence($"distil {command}: --assembly '{path}': {problem}"));
            if (!File.Exists(path)) throw Bad("there is no such file; build the project first (dotnet build) and give the .dll it makes");
            AssemblyName name;
            try
            {
                name = AssemblyName.GetAssemblyName(path);
            }
            catch (BadImageFormatException)
            {
                throw Bad("it is not a .NET assembly");
            }
            if (names.TryGetValue(name.Name!, out var other)) throw Bad($"it is the assembly '{name.Name}' again ('{other}' has that name too); give each assembly once");
            if (UserAssemblyContext.IsTools(name.Name!)) throw Bad($"'{name.Name}' is an assembly of distil itself; give the assembly of your own tasks and steps");
            names[name.Name!] = path;

            var assembly = new UserAssemblyContext(path).LoadFromAssemblyPath(path);
            foreach (var type in PublicTypes(assembly, Bad))
            {
                if (Marked(type, TaskAttributeName) is { } taskName) Add(tasks, "task", taskName, type, typeof(LlmTask), Bad);
                if (Marked(type, StepAttributeName) is { } stepName) Add(steps, "step", stepName, type, typeof(PipelineStep), Bad);
            }
            try
            {
                PipelineStepKinds.RegisterAssembly(assembly);
                RowFileFormats.RegisterAssembly(assembly);
            }
            catch (ArgumentException error)
            {
                throw Bad(DistilCommand.OneLine(ErrorText.Of(error)));
            }
        }
        foreach (var (taskName, type) in tasks.Where(t => BuiltInTasks.Names.Contains(t.Key)))
        {
            throw new UsageException($"distil {command}: --assembly '{names[type.Assembly.GetName().Name!]}': its task {type.FullName} is named '{taskName}', as a built-in task is; give it another name in [Task(\"...\")].");
        }
        return new UserCode(tasks, steps);
    }

    private static IEnumerable<Type> PublicTypes(Assembly assembly, Func<string, UsageException> bad)
    {
        try
        {
            return assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false });
        }
        catch (Exception error) when (error is ReflectionTypeLoadException or FileNotFoundException or FileLoadException)
        {
            // A dependency that is neither the tool's nor in the assembly's folder.
            var cause = error is ReflectionTypeLoadException load ? load.LoaderExceptions.FirstOrDefault(e => e is not null) ?? error : error;
            throw bad($"its types cannot be loaded: {DistilCommand.OneLine(ErrorText.Of(cause))}");
        }
    }

    // The name given to [Task]/[Step], read by the attribute's full name: a class built against a copy of
    // Distil the tool does not share would not be found by type, and must be said, not skipped.
    private static string? Marked(Type type, string attribute) =>
        type.CustomAttributes.FirstOrDefault(a => a.AttributeType.FullName == attribute) is { ConstructorArguments: [{ Value: string name }] } ? name : null;

    private static void Add(Dictionary<string, Type> found, string what, string name, Type type, Type required, Func<string, UsageException> bad)
    {
        if (!required.IsAssignableFrom(type))
        {
            throw bad($"{type.FullName} is marked [{char.ToUpperInvariant(what[0])}{what[1..]}(\"{name}\")] but does not derive from Distil's {required.Name} (is it built against another version of Distil?)");
        }
        if (found.TryGetValue(name, out var taken))
        {
            throw bad($"two {what}s are named '{name}': {taken.FullName} ({taken.Assembly.GetName().Name}) and {type.FullName}; give one another name");
        }
        found[name] = type;
    }

    /// <summary>Every task name a file may use: the built-in ones and the user's.</summary>
    public string DescribeTasks() =>
        Tasks.Count == 0
            ? $"built-in: {string.Join(", ", BuiltInTasks.Names)}"
            : $"from --assembly: {string.Join(", ", Tasks.Keys.Order(StringComparer.Ordinal))}; built-in: {string.Join(", ", BuiltInTasks.Names)}";

    /// <summary>
    /// The task <paramref name="name"/>, built-in or the user's, with <paramref name="parameters"/>
    /// (<c>name=value</c>) set as for a built-in task.
    /// </summary>
    /// <exception cref="ArgumentException">No task has that name (the message lists those that do).</exception>
    /// <exception cref="PipelineException">A parameter the task does not have, or a value it refuses.</exception>
    public LlmTask CreateTask(string name, IEnumerable<string> parameters)
    {
        if (!Tasks.TryGetValue(name, out var type))
        {
            if (Tasks.Count == 0 || BuiltInTasks.Names.Contains(name)) return BuiltInTasks.Create(name, parameters);
            var close = DidYouMean.Closest(name, [.. Tasks.Keys, .. BuiltInTasks.Names]) is { } hint ? $" Did you mean '{hint}'?" : "";
            throw new ArgumentException($"There is no task '{name}'.{close} The tasks are: {DescribeTasks()}.");
        }
        var task = (LlmTask)Construct(type, what: "task");
        RuntimeParameters.ApplyTo(task, parameters);
        return task;
    }

    /// <summary>
    /// The user's step <paramref name="kind"/>, named <paramref name="stepName"/>, with
    /// <paramref name="settings"/> set on its public settable properties (by snake_case name).
    /// </summary>
    /// <exception cref="ArgumentException">No step has that name, an unknown setting, or a value that does not convert.</exception>
    public PipelineStep CreateStep(string kind, string stepName, IReadOnlyList<KeyValuePair<string, JsonNode?>> settings)
    {
        if (!Steps.TryGetValue(kind, out var type))
        {
            var close = DidYouMean.Closest(kind, Steps.Keys) is { } hint ? $" Did you mean '{hint}'?" : "";
            var known = Steps.Count == 0 ? "none is loaded; give the assembly of your steps with --assembly PATH.dll" : $"the steps from --assembly are {string.Join(", ", Steps.Keys.Order(StringComparer.Ordinal))}";
            throw new ArgumentException($"there is no step '{kind}'.{close} {char.ToUpperInvariant(known[0])}{known[1..]}");
        }
        var step = NamedStep(type, stepName);
        var properties = Settable(type);
        foreach (var (key, value) in settings)
        {
            var property = properties.FirstOrDefault(p => p.Key == key || string.Equals(p.Value.Name, key, StringComparison.OrdinalIgnoreCase)).Value;
            if (property is null)
            {
                var close = DidYouMean.Closest(key, properties.Keys) is { } hint ? $" Did you mean '{hint}'?" : "";
                var its = properties.Count == 0 ? " It has none (settings are public settable properties)" : $" Its settings: {string.Join(", ", properties.Keys)}";
                throw new ArgumentException($"step '{kind}' ({type.FullName}) has no setting '{key}'.{close}{its}");
            }
            object? converted;
            try
            {
                converted = value?.Deserialize(property.PropertyType, SettingValues);
            }
            catch (Exception error) when (error is JsonException or NotSupportedException or InvalidOperationException or FormatException)
            {
                throw new ArgumentException($"setting '{key}' of step '{kind}' must be {Describe(property.PropertyType)}; it is {value?.ToJsonString() ?? "null"}");
            }
            if (converted is null && property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
            {
                throw new ArgumentException($"setting '{key}' of step '{kind}' must be {Describe(property.PropertyType)}; it is null");
            }
            property.SetValue(step, converted);
        }
        return step;
    }

    /// <summary>The settings a step of <paramref name="type"/> takes: its public settable properties, by snake_case name.</summary>
    public static IReadOnlyDictionary<string, PropertyInfo> Settable(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            // The step's name is the file's "name", not a setting.
            .Where(p => p.CanWrite && p.SetMethod!.IsPublic && p.GetIndexParameters().Length == 0 && p.DeclaringType != typeof(PipelineStep))
            .ToDictionary(p => JsonNamingPolicy.SnakeCaseLower.ConvertName(p.Name), p => p, StringComparer.Ordinal);

    /// <summary>A type as the errors and the listing say it: "a whole number", "text", "a list of text".</summary>
    public static string Describe(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string)) return "text";
        if (type == typeof(bool)) return "true or false";
        if (type == typeof(int) || type == typeof(long) || type == typeof(short)) return "a whole number";
        if (type == typeof(double) || type == typeof(float) || type == typeof(decimal)) return "a number";
        if (type.IsEnum) return $"one of {string.Join(", ", Enum.GetNames(type))}";
        if (type.IsArray) return $"a list of {Plural(Describe(type.GetElementType()!))}";
        if (type.IsGenericType && type.GetGenericArguments() is [var item] && typeof(System.Collections.IEnumerable).IsAssignableFrom(type)) return $"a list of {Plural(Describe(item))}";
        return $"a JSON value for {type.Name}";

        static string Plural(string one) => one.StartsWith("a ", StringComparison.Ordinal) ? one[2..] + "s" : one;
    }

    /// <summary>
    /// A step of <paramref name="type"/> named <paramref name="stepName"/>: through a constructor
    /// taking the name, or one taking nothing and then <see cref="PipelineStep.Name"/> (as a
    /// generated <c>[Step]</c> class is named).
    /// </summary>
    public static PipelineStep NamedStep(Type type, string stepName)
    {
        var named = type.GetConstructors().FirstOrDefault(c => c.GetParameters() is [{ ParameterType: var p }] && p == typeof(string));
        if (named is not null) return (PipelineStep)Invoke(() => named.Invoke([stepName]), type);
        var step = (PipelineStep)Construct(type, what: "step");
        if (step.Name != stepName) step.Name = stepName;
        return step;
    }

    private static object Construct(Type type, string what)
    {
        var constructor = type.GetConstructor(Type.EmptyTypes)
            ?? throw new ArgumentException($"the {what} {type.FullName} has no public constructor without parameters, so distil cannot make one");
        return Invoke(() => constructor.Invoke(null), type);
    }

    // The user's constructor threw: say its error, not the reflection wrapper.
    private static object Invoke(Func<object> construct, Type type)
    {
        try
        {
            return construct();
        }
        catch (TargetInvocationException error) when (error.InnerException is { } inner)
        {
            throw new ArgumentException($"making {type.FullName} failed: {inner.GetType().Name}: {ErrorText.Of(inner)}");
        }
    }
}
