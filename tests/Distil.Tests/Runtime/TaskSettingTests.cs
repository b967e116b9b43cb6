using System.Text.Json.Nodes;
using Distil.Pipelines;
using Distil.Tests.Tasks;
using NUnit.Framework;

namespace Distil.Tests.Runtime;

/// <summary>The generated settings descriptor: names by one snake_case rule, values set without reflection.</summary>
public class TaskSettingTests
{
    [Test]
    public void Settings_list_the_shared_ones_then_the_task_s_own_by_one_snake_case_rule()
    {
        var names = new SettingsTask().Settings.Select(s => s.Name).ToList();

        Assert.That(names.Take(LlmTask.SharedSettings.Count), Is.EqualTo(LlmTask.SharedSettings.Select(s => s.Name)));
        Assert.That(names.Skip(LlmTask.SharedSettings.Count), Is.EqualTo(new[] { "html_body", "tone", "threshold", "labels", "aliases", "endpoint" }),
            "HTMLBody is html_body, as columns are named (not h_t_m_l_body)");
        var body = new SettingsTask().Settings.Single(s => s.Name == "html_body");
        Assert.That((body.PropertyName, body.TypeName, body.Description, body.CanSet), Is.EqualTo(("HTMLBody", "string", "The page around the text.", true)));
        Assert.That(new SettingsTask().Settings.Single(s => s.Name == "endpoint").CanSet, Is.False, "no JSON value reads into a Uri");
    }

    [Test]
    public void Every_kind_of_setting_is_set_by_name_including_init_only_ones()
    {
        var task = new SettingsTask();

        RuntimeParameters.ApplyTo(task, ["html_body=<div>", "tone=warm", "threshold=0.25", "labels=[\"a\",\"b\"]", "aliases={\"x\":\"y\"}", "num_generations=3"]);

        Assert.That((task.HTMLBody, task.Tone, task.Threshold, task.NumGenerations), Is.EqualTo(("<div>", Tone.Warm, (double?)0.25, 3)));
        Assert.That(task.Labels, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(task.Aliases["x"], Is.EqualTo("y"));
    }

    [TestCase("tone=loud", "expected one of Plain, Warm, not \"loud\"")]
    [TestCase("threshold=high", "expected a number, not \"high\"")]
    [TestCase("labels=a", "expected a list such as")]
    [TestCase("num_generations=0", "NumGenerations must be 1 or more")]
    [TestCase("endpoint=\"http://x\"", "cannot be set by name")]
    public void A_value_of_the_wrong_type_is_refused_with_what_was_expected(string pair, string reason)
    {
        var error = Assert.Throws<PipelineException>(() => RuntimeParameters.ApplyTo(new SettingsTask(), [pair]));

        Assert.That(error!.Message, Does.Contain(reason).And.Contain("task 'settings'"));
    }

    [Test]
    public void The_source_hash_is_made_at_build_time_and_tells_tasks_apart()
    {
        var hashes = new LlmTask[] { new SettingsTask(), new SummaryTask(), new QualityScorer() }
            .Select(t => (string?)typeof(LlmTask).GetProperty("SourceHashForSignature", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(t))
            .ToList();

        Assert.That(hashes, Has.All.Match("^[0-9a-f]{32}$"));
        Assert.That(hashes.Distinct().Count(), Is.EqualTo(3));
    }

    [Test]
    public void Setting_values_are_written_as_stable_text()
    {
        Assert.That(SettingValues.Text(new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" }), Is.EqualTo("{\"a\":\"1\",\"b\":\"2\"}"));
        Assert.That(SettingValues.Text(new[] { 0.1, 2 }), Is.EqualTo("[0.1,2]"));
        Assert.That(SettingValues.Text(Tone.Warm), Is.EqualTo("Warm"));
        Assert.That(SettingValues.Text(null), Is.EqualTo("null"));
    }
}
