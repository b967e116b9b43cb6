namespace Distil.Pipelines;

/// <summary>
/// <c>RowSources.People(count, seed, options)</c>, added to Distil's <see cref="RowSources"/> by this package (a C# 14
/// extension member; with an earlier language version write <c>PersonRowSources.People(...)</c>).
/// </summary>
public static class PersonRowSources
{
    extension(RowSources)
    {
        /// <summary>
        /// <paramref name="count"/> people drawn with <paramref name="seed"/> (<see cref="PersonSampler"/>'s columns,
        /// typed): the same seed gives the same people. To draw other columns beside them (a topic per person), pass a
        /// <see cref="PersonSampler"/> as a group of <c>RowSources.Sample(rows, seed, columns, groups)</c>.
        /// </summary>
        /// <example><code>pipeline.Load(RowSources.People(500, seed: 7, new PersonOptions { Locales = new Dictionary&lt;string, double&gt; { ["de"] = 1 } }));</code></example>
        /// <exception cref="ArgumentException">The options are wrong; the message says which.</exception>
        public static SampleSource People(long count, int seed, PersonOptions? options = null) =>
            new(count, seed, new Dictionary<string, SampledColumn>(), new Dictionary<string, SampledColumnGroup> { ["people"] = new PersonSampler(options) });
    }
}
