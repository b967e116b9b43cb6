using System.Globalization;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// The rows a <see cref="RegroupNode"/> is gathering: source rows waiting for their items, in
/// source order, and items whose source row has not arrived yet. Holds no channels, so that the
/// rules of gathering read in one place.
/// </summary>
internal sealed class RegroupBuffer(RegroupNode step)
{
    private sealed class Group(KeyedRow source, int? slots)
    {
        public KeyedRow Source { get; } = source;

        /// <summary>The number of items the source row had (its <c>over</c> list), when known.</summary>
        public int? Slots { get; } = slots;

        public SortedDictionary<int, JsonObject> Items { get; } = [];

        /// <summary>Set when no more items can come (a later row's item arrived, or the end).</summary>
        public bool Closed { get; set; }

        public bool Finished => Closed || Slots is { } count && Items.Count == count;
    }

    private readonly List<Group> _open = [];
    private readonly Dictionary<RowKey, Group> _byKey = [];
    private readonly List<KeyedRow> _waiting = [];
    private readonly List<KeyedRow> _finished = [];

    /// <summary>A row of the step whose rows were fanned out.</summary>
    public void AddSource(KeyedRow source)
    {
        var group = new Group(source, SlotsOf(source));
        _open.Add(group);
        _byKey[source.Key] = group;
        // An item that came before its source row (the two inputs are separate queues) finds it now.
        if (_waiting.Count > 0)
        {
            var waiting = _waiting.ToList();
            _waiting.Clear();
            foreach (var item in waiting) AddItem(item);
        }
        Flush();
    }

    /// <summary>A row of the fanned-out branch: one item of a source row.</summary>
    public void AddItem(KeyedRow item)
    {
        if (!TryPlace(item, out var group, out var slot))
        {
            _waiting.Add(item);
            return;
        }
        if (group.Closed)
        {
            throw new PipelineException(
                $"Step '{step.Name}' (regroup) got row {item.Key} of '{step.Parents[1].Name}' after it had written row {group.Source.Key}: " +
                "its items must arrive in the order of their source rows.");
        }
        if (group.Slots is { } slots && slot >= slots)
        {
            throw new PipelineException(
                $"Step '{step.Name}' (regroup) got row {item.Key} of '{step.Parents[1].Name}' as item {slot} of row {group.Source.Key}, " +
                $"whose list '{step.Over}' holds {slots} item(s). A step between the fan-out and the regroup made several rows of one item: " +
                "set GroupGenerations = true on a task with several generations there.");
        }
        if (!group.Items.TryAdd(slot, item.Row))
        {
            throw TwoRows(item.Key, group.Source.Key, slot);
        }
        // Rule: every step emits rows in key order, so an item of this row means the rows before it have all theirs.
        foreach (var earlier in _open)
        {
            if (earlier == group) break;
            earlier.Closed = true;
        }
        Flush();
    }

    /// <summary>Both inputs ended: every row is written with what it has.</summary>
    /// <exception cref="PipelineException">An item came from no row of the source.</exception>
    public void End()
    {
        if (_waiting.Count > 0)
        {
            var item = _waiting[0];
            throw new PipelineException(
                $"Step '{step.Name}' (regroup) got row {item.Key} of '{step.Parents[1].Name}', which comes from no row of '{step.Parents[0].Name}'. " +
                $"The first step of the regroup must be the step whose rows were fanned out (before ExpandColumns, or before the task whose generations they are).");
        }
        foreach (var group in _open) group.Closed = true;
        Flush();
    }

    /// <summary>The rows finished since the last call, in source order.</summary>
    public IReadOnlyList<KeyedRow> TakeFinished()
    {
        if (_finished.Count == 0) return [];
        var rows = _finished.ToList();
        _finished.Clear();
        return rows;
    }

    // Rows are written in source order: a finished row waits behind an unfinished one.
    private void Flush()
    {
        var done = 0;
        while (done < _open.Count && _open[done].Finished)
        {
            var group = _open[done++];
            _byKey.Remove(group.Source.Key);
            _finished.Add(new KeyedRow(group.Source.Key, Gather(group)));
        }
        _open.RemoveRange(0, done);
    }

    // The source row with each gathered column as a list, one slot per item; a dropped item is null.
    private JsonObject Gather(Group group)
    {
        var row = group.Source.Row;
        var slots = group.Slots ?? (group.Items.Count == 0 ? 0 : group.Items.Keys.Max() + 1);
        foreach (var (item, list) in step.Columns)
        {
            var values = new JsonNode?[slots];
            foreach (var (slot, itemRow) in group.Items) values[slot] = itemRow[item]?.DeepClone();
            row[list] = new JsonArray(values);
        }
        return row;
    }

    // An item's key is its source row's key (a row of one item) or that key and the item's index.
    private bool TryPlace(KeyedRow item, out Group group, out int slot)
    {
        slot = 0;
        if (_byKey.TryGetValue(item.Key, out group!)) return true;
        var text = item.Key.Text;
        var dot = text.LastIndexOf('.');
        if (dot < 0) return false;
        if (_byKey.TryGetValue(new RowKey(text[..dot]), out group!))
        {
            slot = int.Parse(text.AsSpan(dot + 1), CultureInfo.InvariantCulture);
            return true;
        }
        // Deeper than an item: a step inside the fan-out made several rows of one item.
        for (var end = text.LastIndexOf('.', dot - 1); end > 0; end = text.LastIndexOf('.', end - 1))
        {
            if (_byKey.TryGetValue(new RowKey(text[..end]), out var source))
            {
                throw TwoRows(item.Key, source.Source.Key, int.Parse(text.AsSpan(end + 1, text.IndexOf('.', end + 1) - end - 1), CultureInfo.InvariantCulture));
            }
        }
        return false;
    }

    private PipelineException TwoRows(RowKey item, RowKey source, int slot) => new(
        $"Step '{step.Name}' (regroup) got several rows of '{step.Parents[1].Name}' for item {slot} of row {source} (row {item}): " +
        "each item must stay one row between the fan-out and the regroup. Set GroupGenerations = true on a task with several generations there.");

    private int? SlotsOf(KeyedRow source)
    {
        if (step.Over is not { } over) return null;
        return source.Row[over] switch
        {
            JsonArray list => list.Count,
            null => 0, // no list: no items
            var other => throw new PipelineException(
                $"Step '{step.Name}' (regroup) counts the items of each row of '{step.Parents[0].Name}' by its list column '{over}', " +
                $"but row {source.Key} holds a {other.GetValueKind().ToString().ToLowerInvariant()} there, not a list."),
        };
    }
}
