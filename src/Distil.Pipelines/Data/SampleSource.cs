using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// One column of a <see cref="SampleSource"/>: how its values are drawn. Make them with the
/// static methods (<see cref="Category(IReadOnlyDictionary{string, double})"/>, <see cref="Gaussian"/>…).
/// </summary>
public abstract record SampledColumn
{
    private protected SampledColumn()
    {
    }

    /// <summary>The column's type in the rows.</summary>
    public abstract ColumnType Type { get; }

    /// <summary>The other column this one's values depend on, if any (it is drawn first).</summary>
    public virtual string? DependsOn => null;

    internal abstract JsonNode? Draw(Random random, JsonObject row);

    /// <summary>What it draws, with every setting (part of the run's signature: change a weight, and the rows are drawn again).</summary>
    public abstract string Describe();

    /// <summary>One of <paramref name="weights"/>' keys, each as often as its weight says (weights need not add up to 1).</summary>
    public static SampledColumn Category(IReadOnlyDictionary<string, double> weights) => new CategoryColumn(weights);

    /// <summary>One of <paramref name="values"/>, each as often.</summary>
    public static SampledColumn Category(params string[] values) => new CategoryColumn(values.ToDictionary(v => v, _ => 1.0));

    /// <summary>A value that depends on column <paramref name="parent"/>: one of the values listed for the parent's value, each as often.</summary>
    public static SampledColumn Subcategory(string parent, IReadOnlyDictionary<string, IReadOnlyList<string>> values) => new SubcategoryColumn(parent, values);

    /// <summary>A number spread evenly from <paramref name="low"/> to <paramref name="high"/> (whole numbers, both ends included, when <paramref name="integers"/>).</summary>
    public static SampledColumn Uniform(double low, double high, bool integers = false) =>
        high >= low && double.IsFinite(low) && double.IsFinite(high) ? new UniformColumn(low, high, integers)
        : throw new ArgumentException($"A uniform column needs finite low <= high; got {low}, {high}.", nameof(high));

    /// <summary>A number from a normal distribution.</summary>
    public static SampledColumn Gaussian(double mean, double standardDeviation) =>
        standardDeviation >= 0 && double.IsFinite(mean) && double.IsFinite(standardDeviation) ? new GaussianColumn(mean, standardDeviation)
        : throw new ArgumentException($"A gaussian column needs a finite mean and a standard deviation of 0 or more; got {mean}, {standardDeviation}.", nameof(standardDeviation));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public static SampledColumn Bernoulli(double probability) =>
        probability is >= 0 and <= 1 ? new BernoulliColumn(probability) : throw new ArgumentOutOfRangeException(nameof(probability), probability, "A probability is from 0 to 1.");

    /// <summary>A count from a Poisson distribution with mean <paramref name="mean"/>.</summary>
    public static SampledColumn Poisson(double mean) =>
        mean > 0 && double.IsFinite(mean) ? new PoissonColumn(mean) : throw new ArgumentOutOfRangeException(nameof(mean), mean, "A Poisson mean must be a positive number.");

    /// <summary>A random UUID (version 4 layout), reproducible from the seed.</summary>
    public static SampledColumn Uuid() => new UuidColumn();

    /// <summary>A moment spread evenly from <paramref name="start"/> to <paramref name="end"/>, as ISO 8601 text.</summary>
    public static SampledColumn DateTime(DateTimeOffset start, DateTimeOffset end) =>
        end >= start ? new DateTimeColumn(start, end) : throw new ArgumentException($"A datetime column needs start <= end; got {start:O}, {end:O}.", nameof(end));

    private sealed record CategoryColumn : SampledColumn
    {
        private readonly string[] _values;
        private readonly double[] _cumulative;

        public CategoryColumn(IReadOnlyDictionary<string, double> weights)
        {
            ArgumentNullException.ThrowIfNull(weights);
            if (weights.Count == 0) throw new ArgumentException("A category column needs at least one value.", nameof(weights));
            if (weights.Any(w => !(w.Value > 0) || double.IsInfinity(w.Value)))
                throw new ArgumentException($"Every weight of a category column must be a positive number; got {string.Join(", ", weights.Select(w => $"{w.Key}={w.Value}"))}.", nameof(weights));
            _values = [.. weights.Keys];
            var total = weights.Values.Sum();
            var running = 0.0;
            _cumulative = [.. weights.Values.Select(w => running += w / total)];
        }

        public override ColumnType Type => ColumnType.EnumOf(_values);

        public override string Describe() => "category(" + string.Join(",", _values.Select((v, i) => $"{v}:{(_cumulative[i] - (i == 0 ? 0 : _cumulative[i - 1])).ToString("R", CultureInfo.InvariantCulture)}")) + ")";

        internal override JsonNode? Draw(Random random, JsonObject row)
        {
            var point = random.NextDouble();
            var index = Array.FindIndex(_cumulative, c => point < c);
            return _values[index < 0 ? _values.Length - 1 : index];
        }
    }

    private sealed record SubcategoryColumn(string Parent, IReadOnlyDictionary<string, IReadOnlyList<string>> Values) : SampledColumn
    {
        public override string? DependsOn => Parent;

        public override string Describe() => $"subcategory({Parent}: " + string.Join("; ", Values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={string.Join(",", v.Value)}")) + ")";

        public override ColumnType Type => ColumnType.String;

        internal override JsonNode? Draw(Random random, JsonObject row)
        {
            var parent = row[Parent]?.ToString();
            if (parent is null || !Values.TryGetValue(parent, out var options) || options.Count == 0)
                throw new InvalidOperationException($"The subcategory column has no values for {Parent} = '{parent}'; list values for every value of '{Parent}'.");
            return options[random.Next(options.Count)];
        }
    }

    private sealed record UniformColumn(double Low, double High, bool Integers) : SampledColumn
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"uniform({Low},{High}{(Integers ? ",integers" : "")})");

        public override ColumnType Type => Integers ? ColumnType.Integer : ColumnType.Number;

        internal override JsonNode? Draw(Random random, JsonObject row) => Integers
            ? (JsonNode)random.NextInt64((long)Math.Ceiling(Low), (long)Math.Floor(High) + 1)
            : Low + random.NextDouble() * (High - Low);
    }

    private sealed record GaussianColumn(double Mean, double StandardDeviation) : SampledColumn
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"gaussian({Mean},{StandardDeviation})");

        public override ColumnType Type => ColumnType.Number;

        // Box–Muller.
        internal override JsonNode? Draw(Random random, JsonObject row) =>
            Mean + StandardDeviation * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
    }

    private sealed record BernoulliColumn(double Probability) : SampledColumn
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"bernoulli({Probability})");

        public override ColumnType Type => ColumnType.Boolean;

        internal override JsonNode? Draw(Random random, JsonObject row) => random.NextDouble() < Probability;
    }

    private sealed record PoissonColumn(double Mean) : SampledColumn
    {
        public override string Describe() => string.Create(CultureInfo.InvariantCulture, $"poisson({Mean})");

        public override ColumnType Type => ColumnType.Integer;

        // Knuth's method for small means, a rounded normal approximation above 50.
        internal override JsonNode? Draw(Random random, JsonObject row)
        {
            if (Mean > 50)
            {
                var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                return Math.Max(0L, (long)Math.Round(Mean + Math.Sqrt(Mean) * normal));
            }
            var limit = Math.Exp(-Mean);
            long count = 0;
            for (var product = random.NextDouble(); product > limit; product *= random.NextDouble()) count++;
            return count;
        }
    }

    private sealed record UuidColumn : SampledColumn
    {
        public override string Describe() => "uuid";

        public override ColumnType Type => ColumnType.String;

        internal override JsonNode? Draw(Random random, JsonObject row)
        {
            Span<byte> bytes = stackalloc byte[16];
            random.NextBytes(bytes);
            bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40); // version 4
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
            return new Guid(bytes, bigEndian: true).ToString();
        }
    }

    private sealed record DateTimeColumn(DateTimeOffset Start, DateTimeOffset End) : SampledColumn
    {
        public override string Describe() => $"datetime({Start:O},{End:O})";

        public override ColumnType Type => ColumnType.String;

        internal override JsonNode? Draw(Random random, JsonObject row) =>
            Start.AddTicks((long)(random.NextDouble() * (End - Start).Ticks)).ToString("yyyy-MM-ddTHH:mm:ssK", CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Rows made from nothing: <see cref="Rows"/> rows whose columns are drawn as their
/// <see cref="SampledColumn"/>s say (categories with weights, subcategories depending on another
/// column, uniform, gaussian, Bernoulli, Poisson, UUIDs, dates), reproducibly: row i is the same for
/// the same seed however many rows are read, so a resumed run sees the rows it saw. The typed
/// schema is declared, so the rows feed tasks and typed files. Use it to make controlled,
/// diverse prompts (topic × difficulty × persona).
/// </summary>
/// <example>
/// <code>
/// pipeline.Load(RowSources.Sample(1000, seed: 7, new Dictionary&lt;string, SampledColumn&gt;
/// {
///     ["topic"] = SampledColumn.Category(new Dictionary&lt;string, double&gt; { ["maths"] = 2, ["history"] = 1 }),
///     ["difficulty"] = SampledColumn.Uniform(1, 5, integers: true),
/// }));
/// </code>
/// </example>
public sealed class SampleSource : IRowSource
{
    private readonly IReadOnlyList<KeyValuePair<string, SampledColumn>> _columns;
    private readonly IReadOnlyList<KeyValuePair<string, SampledColumnGroup>> _groups;

    /// <summary>A source of <paramref name="rows"/> rows drawn with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentException">A column depends on a column that is not listed, or on itself through others.</exception>
    public SampleSource(long rows, int seed, IReadOnlyDictionary<string, SampledColumn> columns)
        : this(rows, seed, columns, new Dictionary<string, SampledColumnGroup>())
    {
    }

    /// <summary>
    /// A source of <paramref name="rows"/> rows drawn with <paramref name="seed"/>: the columns of each of
    /// <paramref name="groups"/> (a person, say), then <paramref name="columns"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No column at all; two columns of the same name; a column depends on a column that is not listed, or on itself through others.</exception>
    public SampleSource(long rows, int seed, IReadOnlyDictionary<string, SampledColumn> columns, IReadOnlyDictionary<string, SampledColumnGroup> groups)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(groups);
        if (columns.Count == 0 && groups.Count == 0) throw new ArgumentException("A sample source needs at least one column.", nameof(columns));
        Rows = rows;
        Seed = seed;
        _columns = Ordered(columns);
        _groups = [.. groups];
        CheckNamesAreUnique();
    }

    /// <summary>How many rows it makes.</summary>
    public long Rows { get; }

    /// <summary>The seed every value is drawn from.</summary>
    public int Seed { get; }

    /// <inheritdoc/>
    public string Describe() =>
        $"sample of {Rows} rows, seed {Seed}: " + string.Join(", ",
            _groups.Select(g => $"{g.Key}={g.Value.Describe()}").Concat(_columns.Select(c => $"{c.Key}={c.Value.Describe()}")));

    /// <inheritdoc/>
    public async IAsyncEnumerable<JsonObject> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (long i = 0; i < Rows; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Row(i);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Row <paramref name="index"/>, the same for the same seed whatever else was read.</summary>
    public JsonObject Row(long index)
    {
        var row = new JsonObject();
        foreach (var (name, group) in _groups) group.Draw(SeedFor(index, name), row);
        foreach (var (name, column) in _columns)
        {
            try
            {
                row[name] = column.Draw(RandomFor(index, name), row);
            }
            catch (InvalidOperationException error)
            {
                throw new InvalidDataException($"Sample row {index}, column '{name}': {error.Message}", error);
            }
        }
        return row;
    }

    /// <inheritdoc/>
    public ValueTask<long?> CountAsync(CancellationToken cancellationToken) => ValueTask.FromResult<long?>(Rows);

    /// <inheritdoc/>
    public ValueTask<RowSchema?> SchemaAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<RowSchema?>(new RowSchema(_groups.SelectMany(g => g.Value.Columns).Concat(_columns.Select(c => new Column(c.Key, c.Value.Type)))));

    // One generator per row and column, from a hash of the seed, the row and the column's name:
    // a row never depends on the rows before it, and adding a column changes no other.
    private Random RandomFor(long index, string column) => new(SeedFor(index, column));

    private int SeedFor(long index, string name)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Seed}\n{index}\n{name}")), hash);
        return BitConverter.ToInt32(hash);
    }

    // A group's column may not share a name with another column: one would overwrite the other in every row.
    private void CheckNamesAreUnique()
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, _) in _columns) owners[name] = $"column '{name}'";
        foreach (var (groupName, group) in _groups)
        {
            foreach (var column in group.Columns)
            {
                if (owners.TryGetValue(column.Name, out var owner))
                    throw new ArgumentException($"Sample group '{groupName}' writes column '{column.Name}', which {owner} writes too; rename one (a group may take a column prefix).");
                owners[column.Name] = $"group '{groupName}'";
            }
        }
    }

    // Columns in an order where each comes after the one it depends on.
    private static List<KeyValuePair<string, SampledColumn>> Ordered(IReadOnlyDictionary<string, SampledColumn> columns)
    {
        var ordered = new List<KeyValuePair<string, SampledColumn>>();
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(string name, SampledColumn column, HashSet<string> visiting)
        {
            if (placed.Contains(name)) return;
            if (!visiting.Add(name)) throw new ArgumentException($"The sample columns depend on each other in a circle through '{name}'.", nameof(columns));
            if (column.DependsOn is { } parent)
            {
                if (!columns.TryGetValue(parent, out var parentColumn))
                    throw new ArgumentException($"Sample column '{name}' depends on '{parent}', which is not a column of the sample ({string.Join(", ", columns.Keys)}).", nameof(columns));
                Place(parent, parentColumn, visiting);
            }
            placed.Add(name);
            ordered.Add(KeyValuePair.Create(name, column));
        }
        foreach (var (name, column) in columns) Place(name, column, []);
        return ordered;
    }
}
