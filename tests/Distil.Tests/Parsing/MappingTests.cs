using System.Text.Json;
using System.Text.Json.Nodes;
using Distil.Mapping;
using NUnit.Framework;

namespace Distil.Tests.Parsing;

/// <summary>The value readers that generated code calls, on the values rows and answers hold.</summary>
public class MappingTests
{
    private enum Mood
    {
        Good = 1,
        Fine = 1,
        Bad = 2,
    }

    [Test]
    public void Enum_aliases_read_by_their_own_names()
    {
        Assert.That(JsonNodeRead.Enum<Mood>(JsonValue.Create("fine")), Is.EqualTo(Mood.Fine));
        Assert.That(JsonNodeRead.Enum<Mood>(JsonValue.Create("Bad")), Is.EqualTo(Mood.Bad));
    }

    [Test]
    public void Long_ids_keep_every_digit()
    {
        Assert.That(JsonNodeRead.Int64(JsonNode.Parse("9007199254740993")), Is.EqualTo(9007199254740993L));
        Assert.That(JsonNodeRead.Int64(JsonValue.Create("9007199254740993")), Is.EqualTo(9007199254740993L));
        Assert.That(JsonNodeRead.Int64(JsonValue.Create(9007199254740993L)), Is.EqualTo(9007199254740993L));
        using var document = JsonDocument.Parse("\"9007199254740993\"");
        Assert.That(JsonElementRead.Int64(document.RootElement), Is.EqualTo(9007199254740993L));
    }

    [Test]
    public void Integers_beyond_long_are_refused_not_wrapped()
    {
        Assert.Throws<RowValueException>(() => JsonNodeRead.Int64(JsonNode.Parse("9223372036854775808")));
    }

    [TestCase("\"NaN\"")]
    [TestCase("\"Infinity\"")]
    [TestCase("1e999")]
    public void Numbers_no_JSON_writer_can_write_are_refused(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.Throws<RowValueException>(() => JsonElementRead.Double(document.RootElement));
        Assert.Throws<RowValueException>(() => JsonNodeRead.Double(JsonNode.Parse(json)));
    }

    [Test]
    public void In_memory_values_that_are_strings_in_JSON_read_as_text()
    {
        var when = new DateTime(2026, 11, 27, 4, 30, 0, DateTimeKind.Utc);

        Assert.That(JsonNodeRead.String(JsonValue.Create(when)), Is.EqualTo("2026-11-27T04:30:00Z"));
        Assert.That(JsonNodeRead.String(JsonValue.Create('x')), Is.EqualTo("x"));
        Assert.That(JsonNodeRead.String(JsonValue.Create(42)), Is.EqualTo("42"));
    }
}
