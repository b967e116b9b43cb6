namespace Distil.Pipelines;

/// <summary>The country of each Bogus locale that belongs to one (Bogus draws a country at random, not the locale's).</summary>
internal static class LocaleCountries
{
    private static readonly Dictionary<string, string> Countries = new(StringComparer.Ordinal)
    {
        ["af_ZA"] = "South Africa", ["az"] = "Azerbaijan", ["cz"] = "Czech Republic", ["de"] = "Germany",
        ["de_AT"] = "Austria", ["de_CH"] = "Switzerland", ["el"] = "Greece", ["en"] = "United States",
        ["en_AU"] = "Australia", ["en_AU_ocker"] = "Australia", ["en_CA"] = "Canada", ["en_GB"] = "United Kingdom",
        ["en_IE"] = "Ireland", ["en_IND"] = "India", ["en_NG"] = "Nigeria", ["en_US"] = "United States",
        ["en_ZA"] = "South Africa", ["es"] = "Spain", ["es_MX"] = "Mexico", ["fa"] = "Iran", ["fi"] = "Finland",
        ["fr"] = "France", ["fr_CA"] = "Canada", ["fr_CH"] = "Switzerland", ["ge"] = "Georgia", ["hr"] = "Croatia",
        ["id_ID"] = "Indonesia", ["it"] = "Italy", ["ja"] = "Japan", ["ko"] = "South Korea", ["lv"] = "Latvia",
        ["nb_NO"] = "Norway", ["ne"] = "Nepal", ["nl"] = "Netherlands", ["nl_BE"] = "Belgium", ["pl"] = "Poland",
        ["pt_BR"] = "Brazil", ["pt_PT"] = "Portugal", ["ro"] = "Romania", ["ru"] = "Russia", ["sk"] = "Slovakia",
        ["sv"] = "Sweden", ["tr"] = "Turkey", ["uk"] = "Ukraine", ["vi"] = "Vietnam", ["zh_CN"] = "China",
        ["zh_TW"] = "Taiwan", ["zu_ZA"] = "South Africa",
    };

    /// <summary>The country of <paramref name="locale"/>, or null.</summary>
    public static string? Of(string locale) => Countries.GetValueOrDefault(locale);
}
