using System.Text.RegularExpressions;

namespace Distil.Pipelines;

/// <summary>
/// Why a step recomputes: compares each step's signature parts with those the run store kept from
/// the run before and names what changed, most specific first: a setting (with its old and new
/// value), the model, the prompt template, the step's code; else the nearest step upstream that
/// changed. Pure: it reads nothing and writes nothing, so a dry run asks it too.
/// </summary>
internal static class SignatureChange
{
    /// <summary>A step as the store kept it: its signature parts and how many input rows it stored.</summary>
    public sealed record Stored(StepSignature Signature, long Rows);

    // What one step's comparison came to; Origins are the nearest steps (itself or upstream) that changed on their own.
    private sealed record Status(bool Changed, bool IsNew, IReadOnlyList<(RecomputeCause Cause, string Text)> Own, IReadOnlyList<string> Origins);

    private static readonly Status Same = new(false, false, [], []);

    /// <summary>
    /// The stored steps of <paramref name="order"/> that recompute because their signature is not
    /// the stored one, in run order, with the reason. A step the store has never seen is not among
    /// them (it has nothing to recompute); neither is a step that keeps no rows (a loader, a writer).
    /// </summary>
    /// <param name="order">The steps, parents before children.</param>
    /// <param name="now">Each step's signature in this run.</param>
    /// <param name="stored">What the store kept, by step name.</param>
    public static IReadOnlyList<StepRecompute> Find(IReadOnlyList<PipelineStep> order, IReadOnlyDictionary<PipelineStep, StepSignature> now,
        IReadOnlyDictionary<string, Stored> stored)
    {
        var statuses = new Dictionary<string, Status>(StringComparer.Ordinal);
        var recomputes = new List<StepRecompute>();
        foreach (var step in order)
        {
            var current = now[step];
            var before = stored.GetValueOrDefault(step.Name);
            var status = StatusOf(current, before?.Signature, statuses);
            statuses[step.Name] = status;
            if (!status.Changed || status.IsNew || !step.IsStored) continue;
            var (cause, reason) = Reason(status, statuses);
            recomputes.Add(new StepRecompute(step.Name, cause, reason, before!.Rows));
        }
        return recomputes;
    }

    private static Status StatusOf(StepSignature now, StepSignature? before, IReadOnlyDictionary<string, Status> upstream)
    {
        if (before is null) return new Status(true, true, [], [now.Step]);
        if (before.Hash == now.Hash) return Same;
        if (!before.HasParts)
        {
            return new Status(true, false, [(RecomputeCause.Unrecorded, "the stored run is from an older version of Distil (no reason recorded)")], [now.Step]);
        }
        var own = Own(before, now);
        if (own.Count > 0) return new Status(true, false, own, [now.Step]);
        var beforeParents = before.Parents!.Select(p => p.Step).ToList();
        var nowParents = now.Parents!.Select(p => p.Step).ToList();
        if (!beforeParents.SequenceEqual(nowParents, StringComparer.Ordinal))
        {
            var added = nowParents.Except(beforeParents, StringComparer.Ordinal).Where(p => upstream.GetValueOrDefault(p)?.IsNew == true).ToList();
            var text = added.Count > 0
                ? $"it now comes after the new step {Names(added)}"
                : $"it now comes after {Names(nowParents)} (before: after {Names(beforeParents)})";
            return new Status(true, false, [(RecomputeCause.Inputs, text)], [now.Step]);
        }
        // Same own parts, same parents by name: the change is upstream, in the parents whose signature moved.
        var origins = now.Parents!.Zip(before.Parents!)
            .Where(pair => pair.First.Signature != pair.Second.Signature)
            .SelectMany(pair => upstream.GetValueOrDefault(pair.First.Step) is { Changed: true, Own.Count: 0, IsNew: false } passing && passing.Origins.Count > 0
                ? passing.Origins
                : [pair.First.Step])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        if (origins.Count > 0) return new Status(true, false, [], origins);
        return new Status(true, false,
            [(RecomputeCause.Unrecorded, "its signature changed in a part the run store does not keep (a URL's query, a secret, or how this version of Distil signs steps)")],
            [now.Step]);
    }

    private static (RecomputeCause Cause, string Text) Reason(Status status, IReadOnlyDictionary<string, Status> statuses)
    {
        if (status.Own.Count > 0) return (status.Own[0].Cause, string.Join("; ", status.Own.Select(r => r.Text)));
        if (status.Origins.Count == 1)
        {
            var origin = status.Origins[0];
            var theirs = statuses.GetValueOrDefault(origin);
            var why = theirs switch
            {
                { IsNew: true } => " (it is new)",
                { Own.Count: > 0 } => $" ({string.Join("; ", theirs.Own.Select(r => r.Text))})",
                _ => "",
            };
            return (RecomputeCause.Upstream, $"upstream step '{origin}' changed{why}");
        }
        return (RecomputeCause.Upstream, $"upstream steps {Names(status.Origins)} changed");
    }

    /// <summary>
    /// What changed in a step's own parts (kind and settings text), most specific first; empty when
    /// they are the same. Settings and the model are named with their values; the prompt is named
    /// when no setting explains it; the step's code when nothing more specific does.
    /// </summary>
    public static IReadOnlyList<(RecomputeCause Cause, string Text)> Own(StepSignature before, StepSignature now)
    {
        if (before.Kind != now.Kind) return [(RecomputeCause.Code, $"it is now a {now.Kind} step (before: {before.Kind})")];
        if (before.Settings == now.Settings) return [];
        var old = Parts(before.Settings!);
        var current = Parts(now.Settings!);
        var specific = new List<(RecomputeCause, string)>();
        var prompt = new List<(RecomputeCause, string)>();
        var code = new List<(RecomputeCause, string)>();
        foreach (var name in current.Select(p => p.Name).Concat(old.Select(p => p.Name)).Distinct(StringComparer.Ordinal))
        {
            var was = old.FirstOrDefault(p => p.Name == name).Value;
            var @is = current.FirstOrDefault(p => p.Name == name).Value;
            if (was == @is) continue;
            switch (name)
            {
                case "type":
                    code.Add((RecomputeCause.Code, $"its type changed ({Short(was)} -> {Short(@is)})"));
                    break;
                case "source":
                    code.Add((RecomputeCause.Code, "its code changed"));
                    break;
                case "prompt":
                    prompt.Add((RecomputeCause.Prompt, "its prompt template changed"));
                    break;
                case "model":
                    specific.Add((RecomputeCause.Model, $"its model changed ({Model(was, @is)} -> {Model(@is, was)})"));
                    break;
                case "options":
                    specific.AddRange(OptionChanges(was ?? "", @is ?? ""));
                    break;
                case "mappings":
                    specific.Add((RecomputeCause.Settings, $"its column mappings changed ({Short(was)} -> {Short(@is)})"));
                    break;
                case "when":
                    specific.Add((RecomputeCause.Settings, "its condition changed"));
                    break;
                case var _ when name.StartsWith('#'):
                    if (IsCode(was) || IsCode(@is)) code.Add((RecomputeCause.Code, "its code changed"));
                    else specific.Add((RecomputeCause.Settings, now.Kind == "load" ? SourceChange(was, @is) : $"its settings changed ({Short(was)} -> {Short(@is)})"));
                    break;
                case "template" or "user_template" or "system_template":
                    specific.Add((RecomputeCause.Prompt, $"its prompt template changed ({Short(was)} -> {Short(@is)})"));
                    break;
                default:
                    specific.Add((RecomputeCause.Settings, Setting(name, was, @is)));
                    break;
            }
        }
        // The prompt follows the settings it renders, and the code holds the settings' defaults: each
        // is named only when nothing more specific explains the change.
        var reasons = specific.Count > 0 ? specific : prompt.Count > 0 ? prompt : code;
        return reasons.Count > 0 ? reasons.Distinct().ToList()
            : [(RecomputeCause.Settings, "its settings changed")];
    }

    // A loader's settings describe its source: "jsonl file PATH (SIZE bytes, modified TIME)" for a file.
    private static readonly Regex FileSource = new(@"^(?<file>.+) \((?<size>\d+) bytes, modified (?<time>[^)]*)\)$", RegexOptions.CultureInvariant);

    private static string SourceChange(string? was, string? @is)
    {
        if (was is not null && @is is not null && FileSource.Match(was) is { Success: true } old && FileSource.Match(@is) is { Success: true } current)
        {
            return old.Groups["file"].Value == current.Groups["file"].Value
                ? $"its source changed (the {current.Groups["file"].Value} was modified)"
                : $"its source changed ({Short(old.Groups["file"].Value, 120)} -> {Short(current.Groups["file"].Value, 120)})";
        }
        return $"its source changed ({Short(was)} -> {Short(@is)})";
    }

    private static IEnumerable<(RecomputeCause, string)> OptionChanges(string before, string now)
    {
        var old = Options(before);
        var current = Options(now);
        foreach (var name in current.Keys.Concat(old.Keys).Distinct(StringComparer.Ordinal))
        {
            var was = old.GetValueOrDefault(name);
            var @is = current.GetValueOrDefault(name);
            if (was != @is) yield return (RecomputeCause.Settings, Setting(name.TrimStart('+'), was, @is));
        }
    }

    private static string Setting(string name, string? was, string? @is) => (was, @is) switch
    {
        (null or "null", _) => $"setting {name} is now set ({Short(@is)})",
        (_, null or "null") => $"setting {name} is no longer set (was {Short(was)})",
        _ => $"setting {name} changed ({Short(was)} -> {Short(@is)})",
    };

    // "provider|uri|model": the model's name when only it differs, else the whole of it.
    private static string Model(string? value, string? other)
    {
        var parts = (value ?? "none").Split('|');
        var others = (other ?? "none").Split('|');
        return parts.Length == 3 && others.Length == 3 && parts[0] == others[0] && parts[1] == others[1] ? parts[2]
            : parts.Length == 3 ? $"{parts[2]} at {parts[1]}" : value ?? "none";
    }

    // "model=x;temperature=0.7;..." as name -> value.
    private static Dictionary<string, string> Options(string text)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        if (text == "none") return options;
        foreach (var pair in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0) options[pair[..equals]] = pair[(equals + 1)..];
        }
        return options;
    }

    private static readonly Regex Named = new(@"^(?<name>\+?[A-Za-z_][A-Za-z0-9_.+-]*)=(?<value>.*)$", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    // A task's suffixes after its settings lines: "|mappings:...|distinct-row-draws|when:...".
    private static readonly Regex Suffix = new(@"\|(?=mappings:|when:|distinct-row-draws)", RegexOptions.CultureInvariant);

    // What PipelineStep.CodeOf makes: "Type.Method:" or "lambda:" and a hex hash of the code
    // ("no-il" where there is no IL to hash, under NativeAOT).
    private static readonly Regex CodeHash = new(@"^[^\s=|]+:([0-9A-Fa-f]{16,}|no-il)$", RegexOptions.CultureInvariant);

    private static bool IsCode(string? part) => part is not null && CodeHash.IsMatch(part);

    /// <summary>
    /// A settings text as named parts: <c>name=value</c> lines (a task's or a typed step's), the
    /// prompt (from <c>prompt=</c> up to the last <c>options=</c> line: a prompt has lines of its
    /// own), a task's suffixes (<c>mappings</c>, <c>when</c>), and for any other text its
    /// <c>|</c>-separated parts by position (<c>#1</c>, <c>#2</c>...).
    /// </summary>
    internal static IReadOnlyList<(string Name, string Value)> Parts(string settings)
    {
        var parts = new List<(string, string)>();
        var lines = settings.Split('\n');
        var lastOptions = Array.FindLastIndex(lines, l => l.StartsWith("options=", StringComparison.Ordinal));
        var position = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue;
            if (line.StartsWith("prompt=", StringComparison.Ordinal) && lastOptions > i)
            {
                parts.Add(("prompt", string.Join('\n', lines[i..lastOptions])["prompt=".Length..]));
                i = lastOptions - 1;
            }
            else if (line.StartsWith('|'))
            {
                foreach (var suffix in Suffix.Split(line).Where(s => s.Length > 0))
                {
                    var colon = suffix.IndexOf(':', StringComparison.Ordinal);
                    parts.Add(colon > 0 ? (suffix[..colon], suffix[(colon + 1)..]) : (suffix, "true"));
                }
            }
            else if (Named.Match(line) is { Success: true } named)
            {
                parts.Add((named.Groups["name"].Value, named.Groups["value"].Value));
            }
            else
            {
                foreach (var piece in line.Split('|')) parts.Add(("#" + ++position, piece));
            }
        }
        return parts;
    }

    private static string Names(IEnumerable<string> steps) => string.Join(", ", steps.Select(s => $"'{s}'"));

    private static string Short(string? value, int most = 60) =>
        value is null ? "none" : value.Length <= most ? value : value[..(most - 1)] + "…";
}
