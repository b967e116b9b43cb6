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
        try
        {
            prices = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new FormatException($"{path}: the prices must be a JSON object of models.");
        }
        catch (JsonException error)
        {
            throw new FormatException($"{path}: not JSON ({error.Message}).", error);
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
    /// The price of <paramref name="model"/>: an exact match, or the model id before a provider
    /// note (<c>gpt-4o-mini (openai)</c>), or the file name of a local model; null when unknown.
    /// </summary>
    public (decimal InputPerMillion, decimal OutputPerMillion)? Find(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        if (_prices.TryGetValue(model, out var exact)) return exact;
        var id = model.Split(" (")[0].Trim();
        if (_prices.TryGetValue(id, out var byId)) return byId;
        return _prices.TryGetValue(Path.GetFileNameWithoutExtension(id), out var byFile) ? byFile : null;
    }

    /// <summary>The cost in dollars of the tokens, or null when the model has no price.</summary>
    public decimal? Cost(string? model, long inputTokens, long outputTokens) =>
        Find(model) is { } price ? (price.InputPerMillion * inputTokens + price.OutputPerMillion * outputTokens) / 1_000_000m : null;
}
