using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Distil.Pipelines;

/// <summary>
/// What models cost, in US dollars per million tokens in and out, for the cost estimate before a
/// run and the cost in the run report. Distil ships no prices (they change); give yours with
/// <c>--price MODEL=IN/OUT</c> or a JSON file <c>{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}</c>.
/// </summary>
public sealed class PriceTable
{
    private readonly Dictionary<string, (decimal Input, decimal Output)> _prices = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The models priced.</summary>
    public IReadOnlyCollection<string> Models => _prices.Keys;

    /// <summary>Sets the price of <paramref name="model"/> (a model id as the provider names it, e.g. <c>gpt-4o-mini</c>).</summary>
    public PriceTable Set(string model, decimal inputPerMillion, decimal outputPerMillion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentOutOfRangeException.ThrowIfNegative(inputPerMillion);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPerMillion);
        _prices[model.Trim()] = (inputPerMillion, outputPerMillion);
        return this;
    }

    /// <summary>Reads <c>MODEL=IN/OUT</c>, e.g. <c>gpt-4o-mini=0.15/0.60</c> (dollars per million tokens).</summary>
    /// <exception cref="FormatException">The text is not of that form; the message shows it.</exception>
    public PriceTable Add(string price)
    {
        ArgumentNullException.ThrowIfNull(price);
        var equals = price.LastIndexOf('=');
        var parts = equals > 0 ? price[(equals + 1)..].Split('/') : [];
        if (parts.Length != 2
            || !decimal.TryParse(parts[0], NumberStyles.Number, CultureInfo.InvariantCulture, out var input)
            || !decimal.TryParse(parts[1], NumberStyles.Number, CultureInfo.InvariantCulture, out var output)
            || input < 0 || output < 0)
        {
            throw new FormatException($"The price '{price}' is not MODEL=IN/OUT in dollars per million tokens, e.g. gpt-4o-mini=0.15/0.60.");
        }
        return Set(price[..equals], input, output);
    }

    /// <summary>Reads a price file: <c>{"MODEL": {"input": IN, "output": OUT}, ...}</c> in dollars per million tokens.</summary>
    /// <exception cref="FormatException">The file is not of that form; the message names the file and the model.</exception>
    public static PriceTable Load(string path)
    {
        var table = new PriceTable();
        JsonObject prices;
        var text = "";
        try
        {
            text = File.ReadAllText(path);
            prices = JsonNode.Parse(text) as JsonObject ?? throw new FormatException($"{path}: the prices must be a JSON object of models.");
        }
        catch (JsonException error)
        {
            throw new FormatException($"{path}: not valid JSON at {ErrorText.OfJson(error, text)}.", error);
        }
        foreach (var (model, price) in prices)
        {
            try
            {
                table.Set(model, (decimal?)price?["input"] ?? throw new FormatException("no input price"), (decimal?)price?["output"] ?? throw new FormatException("no output price"));
            }
            catch (Exception error) when (error is FormatException or InvalidOperationException or ArgumentException)
            {
                throw new FormatException($"{path}: the price of '{model}' must be {{\"input\": IN, \"output\": OUT}} in dollars per million tokens ({error.Message}).", error);
            }
        }
        return table;
    }

    /// <summary>
    /// The price of <paramref name="model"/> (a name as a run reports it, e.g. <c>gpt-4o-mini (openai)</c>
    /// or <c>LLaMA v2 (llama.cpp, llama-2-7b.Q4_K_M.gguf)</c>), found under any of its
    /// <see cref="NamesOf">names</see>; null when none is priced.
    /// </summary>
    public (decimal InputPerMillion, decimal OutputPerMillion)? Find(string? model) =>
        MatchOf(model) is { } name ? _prices[name] : null;

    /// <summary>The priced name that <paramref name="model"/> matched (as it was given), or null.</summary>
    public string? MatchOf(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        foreach (var name in NamesOf(model))
        {
            if (_prices.ContainsKey(name)) return _prices.Keys.First(k => _prices.Comparer.Equals(k, name));
        }
        return null;
    }

    /// <summary>
    /// The names a price may give for a model a run reports as <paramref name="model"/>, in the
    /// order they are tried (case does not matter): the whole name (<c>fake-model (openai)</c>),
    /// the model id before the parenthesis (<c>fake-model</c>), and for a local model the file
    /// named in the parenthesis, with and without its extension (<c>llama-2-7b.Q4_K_M.gguf</c>,
    /// <c>llama-2-7b.Q4_K_M</c>).
    /// </summary>
    public static IReadOnlyList<string> NamesOf(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        // Rule: a reported name is "ID (PROVIDER)" or "ID (PROVIDER, FILE)" (RunLog.ModelOf); a bare id is its own name.
        var names = new List<string> { model.Trim() };
        var open = model.IndexOf(" (", StringComparison.Ordinal);
        if (open > 0)
        {
            names.Add(model[..open].Trim());
            var note = model[(open + 2)..].TrimEnd().TrimEnd(')');
            foreach (var part in note.Split(", ").Skip(1))
            {
                names.Add(part.Trim());
                names.Add(Path.GetFileNameWithoutExtension(part.Trim()));
            }
        }
        // Not the id's "extension": gpt-4.1 is not gpt-4. Only a model file's.
        if (names[^1].EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)) names.Add(Path.GetFileNameWithoutExtension(names[^1]));
        return names.Where(n => n.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// One line per price saying which of <paramref name="models"/> (names as a run reports them)
    /// it matched, or that it matched none, naming the models seen; then the models no price matched.
    /// </summary>
    public IReadOnlyList<string> Explain(IEnumerable<string?> models)
    {
        ArgumentNullException.ThrowIfNull(models);
        var seen = models.OfType<string>().Where(m => m.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        var lines = new List<string>();
        foreach (var name in _prices.Keys)
        {
            var matched = seen.Where(m => string.Equals(MatchOf(m), name, StringComparison.Ordinal)).ToList();
            lines.Add(matched.Count > 0
                ? $"price '{name}' matched {string.Join(", ", matched.Select(m => $"'{m}'"))}"
                : $"price '{name}' matched no model; the models seen are {(seen.Count == 0 ? "none (no task's client names its model)" : string.Join(", ", seen.Select(m => $"'{m}'")))}"
                    + " (a price may name one as shown, its id before the parenthesis, or a local model's file name)");
        }
        foreach (var unpriced in seen.Where(m => MatchOf(m) is null)) lines.Add($"model '{unpriced}' has no price: {HowToPrice(unpriced)}");
        return lines;
    }

    /// <summary>
    /// How to give <paramref name="model"/> (a name as a run reports it) a price: the
    /// <c>--price</c> option with each name it accepts, e.g.
    /// <c>give one with --price "NAME=IN/OUT" (dollars per million tokens), NAME one of 'gpt-4o-mini (openai)', 'gpt-4o-mini'</c>.
    /// </summary>
    public static string HowToPrice(string model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var names = NamesOf(model);
        return $"give one with --price \"{names[^1]}=IN/OUT\" (dollars per million tokens; the name may be {string.Join(", ", names.Select(n => $"'{n}'"))})";
    }

    /// <summary>The cost in dollars of the tokens, or null when the model has no price.</summary>
    public decimal? Cost(string? model, long inputTokens, long outputTokens) =>
        Find(model) is { } price ? (price.InputPerMillion * inputTokens + price.OutputPerMillion * outputTokens) / 1_000_000m : null;

    /// <summary>
    /// Dollars as a reader wants them: cents from a dollar up (<c>$12.35</c>), four places below
    /// (<c>$0.0123</c>), and three significant digits below a cent, so that a small run's cost is
    /// never shown as <c>$0.0000</c> (<c>$0.0000512</c>).
    /// </summary>
    public static string FormatDollars(decimal dollars)
    {
        var size = Math.Abs(dollars);
        if (size == 0m) return "$0";
        if (size >= 1m) return "$" + dollars.ToString("N2", CultureInfo.InvariantCulture);
        if (size >= 0.01m) return "$" + dollars.ToString("0.0000", CultureInfo.InvariantCulture);
        var places = 2;
        while (size < 1m && places < 20) { size *= 10m; places++; }
        return "$" + Math.Round(dollars, places, MidpointRounding.AwayFromZero).ToString("0." + new string('#', places), CultureInfo.InvariantCulture);
    }
}
