using Distil.Testing;
using Distil.Tests.Support;
using NUnit.Framework;

namespace Distil.Tests.Testing;

/// <summary>The snapshot files of the kit: mismatch, received file, diff, accepting.</summary>
[NonParallelizable] // one test sets the accept variable of the process
public class SnapshotTests
{
    private TempFolder _temp = null!;

    private string Snapshot => Path.Combine(_temp.Path, "Tests.Prompt");

    [SetUp]
    public void CreateDirectory()
    {
        _temp = new TempFolder("distil-snapshots-");
    }

    [TearDown]
    public void DeleteDirectory()
    {
        Environment.SetEnvironmentVariable(Distil.Testing.Snapshot.AcceptVariable, null);
        _temp.Dispose();
    }

    [Test]
    public void A_mismatch_fails_with_a_unified_diff_and_writes_the_received_file()
    {
        var lines = Enumerable.Range(1, 12).Select(i => $"line {i}").ToList();
        File.WriteAllText(Snapshot + ".verified.txt", string.Join("\n", lines) + "\n");
        lines[5] = "line six, reworded";

        var error = Assert.Throws<SnapshotMismatchException>(() => Distil.Testing.Snapshot.VerifyFile(string.Join("\n", lines) + "\n", Snapshot))!;

        Assert.That(error.Message, Does.Contain("Tests.Prompt differs from Tests.Prompt.verified.txt"));
        Assert.That(error.Message, Does.Contain(
            "--- verified\n+++ received\n@@ -3,7 +3,7 @@\n line 3\n line 4\n line 5\n-line 6\n+line six, reworded\n line 7\n line 8\n line 9\n"));
        Assert.That(File.ReadAllText(error.ReceivedPath), Is.EqualTo(string.Join("\n", lines) + "\n"));
        Assert.That(File.ReadAllText(Snapshot + ".verified.txt"), Does.Contain("line 6\n"), "the verified file is left alone");
    }

    [Test]
    public void Renaming_the_received_file_accepts_it()
    {
        File.WriteAllText(Snapshot + ".verified.txt", "old\n");
        Assert.Throws<SnapshotMismatchException>(() => Distil.Testing.Snapshot.VerifyFile("new\n", Snapshot));

        File.Move(Snapshot + ".received.txt", Snapshot + ".verified.txt", overwrite: true);

        Assert.DoesNotThrow(() => Distil.Testing.Snapshot.VerifyFile("new\n", Snapshot));
        Assert.That(File.Exists(Snapshot + ".received.txt"), Is.False);
    }

    [Test]
    public void The_accept_switch_writes_the_new_text_over_the_verified_file()
    {
        File.WriteAllText(Snapshot + ".verified.txt", "old\n");
        Environment.SetEnvironmentVariable(Distil.Testing.Snapshot.AcceptVariable, "1");

        Assert.DoesNotThrow(() => Distil.Testing.Snapshot.VerifyFile("new\n", Snapshot));

        Assert.That(File.ReadAllText(Snapshot + ".verified.txt"), Is.EqualTo("new\n"));
        Assert.That(File.Exists(Snapshot + ".received.txt"), Is.False);
    }

    [Test]
    public void A_first_snapshot_is_written_for_review_and_fails()
    {
        var error = Assert.Throws<SnapshotMismatchException>(() => Distil.Testing.Snapshot.VerifyFile("hello\n", Snapshot))!;

        Assert.That(error.Message, Does.StartWith("No snapshot yet for Tests.Prompt").And.Contain("+hello"));
        Assert.That(File.Exists(Snapshot + ".received.txt"));
    }

    [Test]
    public void Line_ends_do_not_count()
    {
        File.WriteAllText(Snapshot + ".verified.txt", "a\r\nb\r\n");

        Assert.DoesNotThrow(() => Distil.Testing.Snapshot.VerifyFile("a\nb\n", Snapshot));
    }

    [Test]
    public void Verify_names_the_file_after_the_test_beside_it()
    {
        var testFile = Path.Combine(_temp.Path, "MyTests.cs");

        Assert.Throws<SnapshotMismatchException>(() => Distil.Testing.Snapshot.Verify("x\n", testFile: testFile, testName: "My_prompt"));

        Assert.That(File.Exists(Path.Combine(_temp.Path, "MyTests.My_prompt.received.txt")));
    }
}
