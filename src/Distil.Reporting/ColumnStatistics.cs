using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// What the values of one output column look like, gathered in one pass with bounded memory:
/// nulls; for numbers their exact counts when there are few distinct values (scores, ratings),
/// else a histogram of a fixed-size uniform sample; for text the counts of each label when there
/// are few (labels, enums), else the distribution of lengths; for booleans both counts. The items
/// of a list (grouped generations, ratings) count one by one.
/// </summary>
internal sealed class ColumnStatistics(string name, string? type)
{
    public const int MaxLabels = 24;
    private const int MaxDistinctNumbers = 24;
    private const int SampleSize = 10_000;

    private readonly Dictionary<double, long> _numbers = [];
    private readonly Dictionary<string, long> _labels = new(StringComparer.Ordinal);
    private readonly double[] _sample = new double[SampleSize];
    private readonly Random _random = new(17);
    private readonly long[] _lengthBins = new long[24];

    public string Name { get; } = name;

    /// <summary>The column's declared type, as the schema prints it.</summary>
    public string? Type { get; } = type;

    /// <summary>Values seen (list items one by one), nulls included.</summary>
    public long Values { get; private set; }

    public long Nulls { get; private set; }

    public long NumberCount { get; private set; }

    public long TextCount { get; private set; }

    public long True { get; private set; }

    public long False { get; private set; }

    /// <summary>Records and other JSON values, which get no chart.</summary>
    public long Other { get; private set; }

    public double Min { get; private set; } = double.PositiveInfinity;

    public double Max { get; private set; } = double.NegativeInfinity;

    public double Sum { get; private set; }

    /// <summary>True once more distinct numbers were seen than are counted one by one.</summary>
    public bool ManyNumbers { get; private set; }

    /// <summary>True once more distinct texts were seen than are counted as labels.</summary>
    public bool ManyLabels { get; private set; }

    /// <summary>How many numbers the histogram sample holds (all of them, up to 10,000).</summary>
    public int Sampled => (int)Math.Min(NumberCount, SampleSize);

    public IReadOnlyDictionary<double, long> NumberCounts => _numbers;

    public IReadOnlyDictionary<string, long> LabelCounts => _labels;

    /// <summary>Text lengths in bins: bin 0 holds empty texts, bin i ≥ 1 lengths 2^(i-1) to 2^i - 1.</summary>
    public IReadOnlyList<long> LengthBins => _lengthBins;

    public ReadOnlySpan<double> Sample => _sample.AsSpan(0, Sampled);

    public void Add(JsonNode? value, bool itemsCountAlone)
    {
        if (itemsCountAlone && value is JsonArray items)
        {
            foreach (var item in items) Add(item, itemsCountAlone: false);
            return;
        }
        Values++;
        switch (value)
        {
            case null:
                Nulls++;
                break;
            case JsonArray list when list.All(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.Number):
                // A list of numbers (ratings): each number counts.
                Values--;
                foreach (var item in list) Add(item, itemsCountAlone: false);
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                AddNumber(scalar.GetValue<double>());
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                AddText(scalar.GetValue<string>());
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.True:
                True++;
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.False:
                False++;
                break;
            default:
                Other++;
                break;
        }
    }

    private void AddNumber(double number)
    {
        NumberCount++;
        Sum += number;
        Min = Math.Min(Min, number);
        Max = Math.Max(Max, number);
        if (!ManyNumbers)
        {
            if (_numbers.TryGetValue(number, out var count)) _numbers[number] = count + 1;
            else if (_numbers.Count < MaxDistinctNumbers) _numbers[number] = 1;
            else ManyNumbers = true;
        }
        // Reservoir sampling: every number has the same chance to be in the sample.
        if (NumberCount <= SampleSize) _sample[NumberCount - 1] = number;
        else if (_random.NextInt64(NumberCount) is var slot && slot < SampleSize) _sample[slot] = number;
    }

    private void AddText(string text)
    {
        TextCount++;
        _lengthBins[text.Length == 0 ? 0 : Math.Min(_lengthBins.Length - 1, 1 + (int)Math.Log2(text.Length))]++;
        if (ManyLabels) return;
        if (_labels.TryGetValue(text, out var count)) _labels[text] = count + 1;
        else if (_labels.Count < MaxLabels && text.Length <= 80) _labels[text] = 1;
        else ManyLabels = true;
    }
}
