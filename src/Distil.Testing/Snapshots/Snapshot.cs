using System.Runtime.CompilerServices;

namespace Distil.Testing;

/// <summary>
/// Snapshot files with Verify's conventions, for any test framework: the text a test produces is
/// compared with <c>&lt;TestFile&gt;.&lt;Test&gt;.verified.txt</c> beside the test. On a mismatch the
/// new text is written to <c>.received.txt</c> and the call throws a
/// <see cref="SnapshotMismatchException"/> whose message is a unified diff. Accept a change by
/// renaming the received file over the verified one, or by running the tests once with the
/// environment variable <c>DISTIL_ACCEPT_SNAPSHOTS=1</c>.
/// </summary>
/// <example>
/// <code>
/// [Test]
/// public void Summary_prompt() => Snapshot.Verify(myText);   // MyTests.Summary_prompt.verified.txt
/// </code>
/// </example>
public static class Snapshot
{
    /// <summary>The environment variable that, set to <c>1</c>, writes every mismatch over its verified file.</summary>
    public const string AcceptVariable = "DISTIL_ACCEPT_SNAPSHOTS";

    /// <summary>Compares <paramref name="actual"/> with the verified snapshot of the calling test.</summary>
    /// <param name="actual">The text to compare; line ends are normalised to <c>\n</c>.</param>
    /// <param name="name">
    /// Overrides the test's name in the file name, e.g. for one snapshot per test case
    /// (<c>MyTests.Prompt_with_parameters.verified.txt</c>).
    /// </param>
    /// <param name="directory">
    /// Where the files go, relative to the test file's folder (default: the folder itself).
    /// </param>
    /// <param name="testFile">Filled in by the compiler: the test's source file.</param>
    /// <param name="testName">Filled in by the compiler: the test method.</param>
    /// <exception cref="SnapshotMismatchException">The text differs from the verified file, or there is none yet.</exception>
    public static void Verify(
        string actual, string? name = null, string? directory = null,
        [CallerFilePath] string testFile = "", [CallerMemberName] string testName = "")
    {
        ArgumentNullException.ThrowIfNull(actual);
        if (string.IsNullOrEmpty(testFile) || !Path.IsPathRooted(testFile))
        {
            throw new InvalidOperationException("Snapshot.Verify needs the test's source path: call it from the test itself, not through a helper without [CallerFilePath].");
        }
        var folder = Path.Combine(Path.GetDirectoryName(testFile)!, directory ?? "");
        var fileName = $"{Path.GetFileNameWithoutExtension(testFile)}.{name ?? testName}";
        VerifyFile(actual, Path.Combine(folder, fileName));
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with <c>&lt;pathWithoutExtension&gt;.verified.txt</c>, for
    /// snapshots whose place does not follow from the calling test.
    /// </summary>
    /// <exception cref="SnapshotMismatchException">The text differs from the verified file, or there is none yet.</exception>
    public static void VerifyFile(string actual, string pathWithoutExtension)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentException.ThrowIfNullOrWhiteSpace(pathWithoutExtension);
        var verified = pathWithoutExtension + ".verified.txt";
        var received = pathWithoutExtension + ".received.txt";
        actual = actual.Replace("\r\n", "\n");

        var expected = File.Exists(verified) ? File.ReadAllText(verified).Replace("\r\n", "\n") : null;
        if (expected == actual)
        {
            if (File.Exists(received)) File.Delete(received);
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(verified)!);
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            File.WriteAllText(verified, actual);
            if (File.Exists(received)) File.Delete(received);
            return;
        }
        File.WriteAllText(received, actual);
        var label = Path.GetFileName(pathWithoutExtension);
        throw new SnapshotMismatchException(verified, received, expected is null
            ? $"No snapshot yet for {label}. Review {received} and rename it to {Path.GetFileName(verified)} (or run with {AcceptVariable}=1).\n{UnifiedDiff.Create("", actual)}"
            : $"Snapshot {label} differs from {Path.GetFileName(verified)}. Accept by renaming {Path.GetFileName(received)} over it (or run with {AcceptVariable}=1).\n{UnifiedDiff.Create(expected, actual)}");
    }
}
