using System.Runtime.CompilerServices;
using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Distil.Generators.Tests.Support;

/// <summary>
/// Snapshot files with Verify's conventions: <c>Snapshots/Class.Method.verified.txt</c> beside the
/// test; on a mismatch the new text goes to <c>.received.txt</c> and the failure shows a diff.
/// Accept a change by renaming the received file over the verified one (or run the tests once
/// with DISTIL_ACCEPT_SNAPSHOTS=1).
/// </summary>
internal static class Snapshot
{
    public static void Verify(string actual, [CallerFilePath] string testFile = "", [CallerMemberName] string test = "")
    {
        var directory = Path.Combine(Path.GetDirectoryName(testFile)!, "Snapshots");
        var name = $"{Path.GetFileNameWithoutExtension(testFile)}.{test}";
        var verified = Path.Combine(directory, name + ".verified.txt");
        var received = Path.Combine(directory, name + ".received.txt");
        actual = actual.Replace("\r\n", "\n");

        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }

        Directory.CreateDirectory(directory);
        if (Environment.GetEnvironmentVariable("DISTIL_ACCEPT_SNAPSHOTS") == "1")
        {
            File.WriteAllText(verified, actual);
            return;
        }
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot yet for {name}. Review {received} and rename it to {Path.GetFileName(verified)}."
            : $"Snapshot {name} differs (- verified, + received); accept by renaming {Path.GetFileName(received)}:\n{Diff(expected, actual)}");
    }

    private static string Diff(string expected, string actual)
    {
        var diff = InlineDiffBuilder.Diff(expected, actual);
        var text = new StringBuilder();
        foreach (var line in diff.Lines)
        {
            var prefix = line.Type switch { ChangeType.Inserted => "+ ", ChangeType.Deleted => "- ", _ => "  " };
            if (line.Type != ChangeType.Unchanged) text.Append(prefix).AppendLine(line.Text);
        }
        return text.ToString();
    }
}
