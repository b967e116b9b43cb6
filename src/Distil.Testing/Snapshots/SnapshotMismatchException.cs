namespace Distil.Testing;

/// <summary>
/// A snapshot differs from its verified file. Test frameworks report it as a failure; its message
/// holds the unified diff (<c>-</c> verified, <c>+</c> received).
/// </summary>
public sealed class SnapshotMismatchException : Exception
{
    /// <summary>Creates the failure for a pair of files.</summary>
    public SnapshotMismatchException(string verifiedPath, string receivedPath, string message)
        : base(message)
    {
        VerifiedPath = verifiedPath;
        ReceivedPath = receivedPath;
    }

    /// <summary>The verified file (it may not exist yet).</summary>
    public string VerifiedPath { get; }

    /// <summary>The received file, with the new text.</summary>
    public string ReceivedPath { get; }
}
