namespace Distil.Pipelines;

/// <summary>
/// How a <see cref="PersonSampler"/> draws people: from which locales, how old, how many women. The defaults make
/// adults of 18 to 80, spread evenly, half women, with English (US) names.
/// </summary>
/// <example>
/// <code>
/// new PersonOptions
/// {
///     Locales = new Dictionary&lt;string, double&gt; { ["de"] = 2, ["fr"] = 1 },
///     MinAge = 20, MaxAge = 70, AgeMean = 40, AgeStandardDeviation = 12,
///     FemaleShare = 0.6,
/// }
/// </code>
/// </example>
public sealed record PersonOptions
{
    /// <summary>Bogus locale names (<c>en</c>, <c>de</c>, <c>fr_CA</c>, <c>ja</c>…) and how often each is drawn (weights need not add up to 1).</summary>
    public IReadOnlyDictionary<string, double> Locales { get; init; } = new Dictionary<string, double> { ["en"] = 1 };

    /// <summary>The youngest age drawn, in whole years.</summary>
    public int MinAge { get; init; } = 18;

    /// <summary>The oldest age drawn, in whole years (included).</summary>
    public int MaxAge { get; init; } = 80;

    /// <summary>With <see cref="AgeStandardDeviation"/>: ages from a normal distribution around this mean, kept within <see cref="MinAge"/> to <see cref="MaxAge"/>. Without it, ages are spread evenly.</summary>
    public double? AgeMean { get; init; }

    /// <summary>The spread of ages around <see cref="AgeMean"/>.</summary>
    public double? AgeStandardDeviation { get; init; }

    /// <summary>The share of people whose sex is <c>female</c>, from 0 to 1; the others are <c>male</c>.</summary>
    public double FemaleShare { get; init; } = 0.5;

    /// <summary>Put before every column name (<c>persona_</c> gives <c>persona_name</c>, <c>persona_age</c>…), so people sit beside columns of the same names.</summary>
    public string ColumnPrefix { get; init; } = "";
}
