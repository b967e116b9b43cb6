using System.Globalization;
using System.Text.Json.Nodes;
using Bogus;
using Bogus.DataSets;

namespace Distil.Pipelines;

/// <summary>
/// People as columns of a sample (<see cref="SampleSource"/>): <c>name</c>, <c>first_name</c>, <c>last_name</c>,
/// <c>sex</c>, <c>age</c>, <c>locale</c>, <c>country</c>, <c>city</c>, <c>occupation</c>, <c>handle</c> (an
/// email-like user name) and <c>persona</c> (all of it in one line for a prompt, which the
/// <c>instruction_generator</c> task reads), drawn with Bogus in the person's locale. The locale, sex and age follow
/// <see cref="PersonOptions"/>; the first name fits the sex where the locale lists names by sex. Each row is drawn from
/// its own seed alone, so the same seed gives the same people however many are read.
/// </summary>
/// <remarks>
/// The values come from Bogus 35.6.5's data: another Bogus version may give other people for the same seed.
/// <c>occupation</c> comes from Bogus' job titles, which are English in most locales. <c>country</c> is the country of
/// the locale (<c>de</c> Germany, <c>fr_CA</c> Canada), null for a locale of no one country (<c>ar</c>, <c>en_BORK</c>).
/// </remarks>
public sealed class PersonSampler : SampledColumnGroup
{
    private static readonly string[] Sexes = ["female", "male"];

    private readonly string[] _locales;
    private readonly double[] _cumulative;
    private readonly string _prefix;

    /// <summary>A sampler of people as <paramref name="options"/> say (the defaults without).</summary>
    /// <exception cref="ArgumentException">A locale Bogus does not have, a weight that is not positive, ages out of order, a share outside 0 to 1.</exception>
    public PersonSampler(PersonOptions? options = null)
    {
        Options = options ?? new PersonOptions();
        Check(Options);
        _locales = [.. Options.Locales.Keys];
        var total = Options.Locales.Values.Sum();
        var running = 0.0;
        _cumulative = [.. Options.Locales.Values.Select(w => running += w / total)];
        _prefix = Options.ColumnPrefix;
        Columns =
        [
            new Column(_prefix + "name", ColumnType.String, Nullable: false, Description: "First and last name."),
            new Column(_prefix + "first_name", ColumnType.String, Nullable: false),
            new Column(_prefix + "last_name", ColumnType.String, Nullable: false),
            new Column(_prefix + "sex", ColumnType.EnumOf(Sexes), Nullable: false),
            new Column(_prefix + "age", ColumnType.Integer, Nullable: false, Description: "Age in whole years."),
            new Column(_prefix + "locale", ColumnType.EnumOf(_locales), Nullable: false, Description: "The Bogus locale the person was drawn in."),
            new Column(_prefix + "country", ColumnType.String, Nullable: true, Description: "The locale's country."),
            new Column(_prefix + "city", ColumnType.String, Nullable: false),
            new Column(_prefix + "occupation", ColumnType.String, Nullable: false),
            new Column(_prefix + "handle", ColumnType.String, Nullable: false, Description: "An email-like user name."),
            new Column(_prefix + "persona", ColumnType.String, Nullable: false, Description: "The person in one line, for a prompt."),
        ];
    }

    /// <summary>The settings it draws with.</summary>
    public PersonOptions Options { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<Column> Columns { get; }

    /// <inheritdoc/>
    public override string Describe()
    {
        var locales = string.Join(",", Options.Locales.Select(l => string.Create(CultureInfo.InvariantCulture, $"{l.Key}:{l.Value}")));
        var ages = Options.AgeMean is { } mean
            ? string.Create(CultureInfo.InvariantCulture, $"{Options.MinAge}-{Options.MaxAge} around {mean} sd {Options.AgeStandardDeviation}")
            : string.Create(CultureInfo.InvariantCulture, $"{Options.MinAge}-{Options.MaxAge} evenly");
        return string.Create(CultureInfo.InvariantCulture, $"people(bogus 35.6.5; locales {locales}; age {ages}; female share {Options.FemaleShare}; prefix '{_prefix}')");
    }

    /// <inheritdoc/>
    public override void Draw(int seed, JsonObject row)
    {
        ArgumentNullException.ThrowIfNull(row);
        // Our own draws (locale, sex, age) from one generator, Bogus' from a seed taken from it: the distributions
        // are ours to keep, the names and places Bogus'.
        var random = new Random(seed);
        var locale = Locale(random.NextDouble());
        var female = random.NextDouble() < Options.FemaleShare;
        var age = Age(random);
        var faker = new Faker(locale) { Random = new Randomizer(random.Next()) };
        var first = faker.Name.FirstName(female ? Name.Gender.Female : Name.Gender.Male);
        var last = faker.Name.LastName();
        row[_prefix + "name"] = $"{first} {last}";
        row[_prefix + "first_name"] = first;
        row[_prefix + "last_name"] = last;
        row[_prefix + "sex"] = female ? "female" : "male";
        row[_prefix + "age"] = age;
        row[_prefix + "locale"] = locale;
        row[_prefix + "country"] = LocaleCountries.Of(locale);
        row[_prefix + "city"] = faker.Address.City();
        row[_prefix + "occupation"] = faker.Name.JobTitle();
        row[_prefix + "handle"] = faker.Internet.UserName(first, last);
        row[_prefix + "persona"] = Persona(row);
    }

    // One line a prompt can hold: "Anna Müller (female, 34), Tax adviser, lives in Berlin, Germany".
    private string Persona(JsonObject row)
    {
        var place = (string?)row[_prefix + "country"] is { } country ? $"{row[_prefix + "city"]}, {country}" : $"{row[_prefix + "city"]}";
        return string.Create(CultureInfo.InvariantCulture,
            $"{row[_prefix + "name"]} ({row[_prefix + "sex"]}, {row[_prefix + "age"]}), {row[_prefix + "occupation"]}, lives in {place}");
    }

    private string Locale(double point)
    {
        var index = Array.FindIndex(_cumulative, c => point < c);
        return _locales[index < 0 ? _locales.Length - 1 : index];
    }

    // Evenly, or from a normal distribution drawn again while it falls outside the range (kept in after 100 tries).
    private int Age(Random random)
    {
        if (Options.AgeMean is not { } mean || Options.AgeStandardDeviation is not { } deviation)
            return random.Next(Options.MinAge, Options.MaxAge + 1);
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var age = (int)Math.Round(mean + deviation * normal);
            if (age >= Options.MinAge && age <= Options.MaxAge) return age;
        }
        return (int)Math.Clamp(Math.Round(mean), Options.MinAge, Options.MaxAge);
    }

    private static void Check(PersonOptions options)
    {
        ArgumentNullException.ThrowIfNull(options.Locales);
        if (options.Locales.Count == 0) throw new ArgumentException("A person sampler needs at least one locale.", nameof(options));
        foreach (var (locale, weight) in options.Locales)
        {
            if (!Bogus.Database.LocaleResourceExists(locale))
                throw new ArgumentException($"Bogus has no locale '{locale}'; it has {string.Join(", ", Bogus.Database.GetAllLocales().Order(StringComparer.Ordinal))}.", nameof(options));
            if (!(weight > 0) || double.IsInfinity(weight))
                throw new ArgumentException($"The weight of locale '{locale}' must be a positive number; got {weight}.", nameof(options));
        }
        if (options.MinAge < 0 || options.MaxAge < options.MinAge)
            throw new ArgumentException($"Ages run from MinAge to MaxAge, 0 or more; got {options.MinAge} to {options.MaxAge}.", nameof(options));
        if (options.AgeMean.HasValue != options.AgeStandardDeviation.HasValue)
            throw new ArgumentException("Give the age's mean and standard deviation together, or neither (ages spread evenly).", nameof(options));
        if (options.AgeStandardDeviation is { } deviation && !(deviation > 0 && double.IsFinite(deviation) && double.IsFinite(options.AgeMean!.Value)))
            throw new ArgumentException($"The age's standard deviation must be a positive number; got {deviation}.", nameof(options));
        if (!(options.FemaleShare is >= 0 and <= 1))
            throw new ArgumentException($"The female share is from 0 to 1; got {options.FemaleShare}.", nameof(options));
        ArgumentNullException.ThrowIfNull(options.ColumnPrefix);
    }
}
