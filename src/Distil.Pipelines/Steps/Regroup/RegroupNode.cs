using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Distil.Pipelines;

/// <summary>
/// Gathers the rows that came from one source row back onto it: each named item column becomes a
/// list column of the source row, one slot per item in item order. Its first parent is the step
/// whose rows were fanned out (by <c>ExpandColumns</c> or a task's generations), its second the
/// step whose rows hold the items; an item's key is its source row's key with the item's index
/// appended (<c>12.1</c>), or the source row's own key when the row had one item.
/// </summary>
/// <remarks>
/// Rules: an item dropped on the way (a filter) leaves null in its slot; with <c>over</c> a source
/// row has as many slots as its list column had items, without it as many as its last item that
/// arrived (a dropped last item shortens the lists). Items are placed by their key, not by the
/// order they arrive in; a row is written once all its items are there, or once an item of a later
/// source row arrives (every step emits rows in key order, so nothing of it can come later), or at
/// the end. Rows come out in source order, and are stored like any step's, so a resumed run replays
/// them.
/// </remarks>
internal sealed class RegroupNode : PipelineStep
{
    private readonly IReadOnlyList<KeyValuePair<string, string>> _columns;

    public RegroupNode(string name, IReadOnlyDictionary<string, string> columns, string? over) : base(name)
    {
        _columns = columns.ToList();
        Over = over;
    }

    public override string Kind => "regroup";

    /// <summary>The source's list column whose length gives each row's number of slots, if any.</summary>
    public string? Over { get; }

    /// <summary>Item column → list column on the source row, in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Columns => _columns;

    public override (int Min, int Max) ParentCount => (2, 2);

    // The source and the items need different columns, which PipelineStep.RequiredColumns (one list
    // for every parent) cannot say: each parent is checked in SchemaAfter instead.
    public override RowSchema? SchemaAfter(IReadOnlyList<RowSchema?> parents)
    {
        var (source, items) = (parents[0], parents[1]);
        if (source is not null && Over is not null && !source.Contains(Over))
        {
            throw Missing($"counts each row's slots by its list column '{Over}'", Over, Parents[0].Name, source);
        }
        if (items is not null)
        {
            foreach (var (item, _) in _columns.Where(c => !items.Contains(c.Key)))
            {
                throw Missing($"gathers column '{item}'", item, Parents[1].Name, items);
            }
        }
        if (source is null) return null;
        // Rule: each gathered column is a list of its item's type; a slot may be null (a dropped item).
        return source.With(_columns.Select(c => new Column(c.Value,
            ColumnType.ListOf(items?.Find(c.Key)?.Type ?? ColumnType.Unknown), Nullable: true, items?.Find(c.Key)?.Description)));
    }

    private PipelineException Missing(string what, string column, string parent, RowSchema there)
    {
        var names = there.Names.Order(StringComparer.Ordinal).ToList();
        var suggestion = DidYouMean.Closest(column, names) is { } close ? $" Did you mean '{close}'?" : "";
        return new PipelineException(
            $"Step '{Name}' ({Kind}) {what}, which the rows of '{parent}' do not have. " +
            $"Columns there: {(names.Count == 0 ? "none" : string.Join(", ", names))}.{suggestion}");
    }

    // Rule: one row per row of the source (the first parent), whatever the items did; with "over"
    // of a length settings fix, every gathered list has that length.
    protected internal override RowCountRule CountRows(RowCountContext input)
    {
        var rule = RowCountRule.Same($"regroup '{Name}' gives one row per row of '{Parents[0].Name}'");
        return Over is not null && input.ListLength(Over) is { } length
            ? rule with { ListLengths = _columns.ToDictionary(c => c.Value, _ => length, StringComparer.Ordinal) }
            : rule;
    }

    public override string Settings() =>
        string.Join(",", _columns.Select(c => $"{c.Key}>{c.Value}")) + (Over is null ? "" : "|over=" + Over);

    internal override async Task RunAsync(StepRun run)
    {
        // Both inputs are read as rows come, into one queue: the source step feeds this step and
        // the fan-out branch, so waiting on one input while the other fills up could stop both.
        var arrivals = Channel.CreateBounded<(int Input, KeyedRow Row)>(new BoundedChannelOptions(256) { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(run.Cancellation);
        var pumps = Task.WhenAll(PumpAsync(run, 0, arrivals.Writer, stop.Token), PumpAsync(run, 1, arrivals.Writer, stop.Token));
        _ = pumps.ContinueWith(_ => arrivals.Writer.TryComplete(), TaskScheduler.Default);

        var gathering = new RegroupBuffer(this);
        long sequence = 0;
        try
        {
            await foreach (var (input, row) in arrivals.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                if (input == 0) gathering.AddSource(row);
                else gathering.AddItem(row);
                sequence = await EmitAsync(run, gathering.TakeFinished(), sequence).ConfigureAwait(false);
            }
            gathering.End();
            await EmitAsync(run, gathering.TakeFinished(), sequence).ConfigureAwait(false);
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            // A pump's failure reached the loop through the queue; what is left is the stop's own cancellation.
            try { await pumps.ConfigureAwait(false); } catch (Exception) when (stop.IsCancellationRequested) { }
        }
    }

    // Moves one input's rows into the queue; a failure (an upstream step's error) ends the queue at once.
    private static async Task PumpAsync(StepRun run, int input, ChannelWriter<(int, KeyedRow)> into, CancellationToken cancellation)
    {
        try
        {
            await foreach (var row in run.ReadAsync(input, cancellation).ConfigureAwait(false))
            {
                await into.WriteAsync((input, row), cancellation).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is not ChannelClosedException)
        {
            into.TryComplete(error);
            throw;
        }
    }

    private static async Task<long> EmitAsync(StepRun run, IReadOnlyList<KeyedRow> finished, long sequence)
    {
        foreach (var row in finished)
        {
            var outputs = run.Replay(row.Key);
            if (outputs is null)
            {
                outputs = [row];
                await run.SaveAsync(row.Key, sequence, outputs).ConfigureAwait(false);
            }
            await run.EmitAsync(outputs).ConfigureAwait(false);
            sequence++;
        }
        return sequence;
    }
}
