using NUnit.Framework;

namespace Distil.Tests.Support;

/// <summary>
/// What a test needs from the machine (Chromium, a tmpfs mount). On a developer's machine a missing
/// one skips the test with the reason; in CI (<c>CI=true</c>, as .ci/run sets) it fails it, so that
/// a missing install never turns a test into a silent skip.
/// </summary>
public static class Prerequisite
{
    /// <summary>Whether this is a CI run.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Skips the test (fails it in CI), saying what is missing and how to get it.</summary>
    public static void Missing(string message)
    {
        if (InCi) Assert.Fail($"{message} CI must provide it (.ci/run installs what the tests need).");
        Assert.Ignore(message);
    }
}
