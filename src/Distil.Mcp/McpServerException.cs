namespace Distil.Mcp;

/// <summary>
/// An MCP server could not be used: its command was not found, it exited or did not answer while
/// starting, or it lacks a tool that was asked for. The message says which server and what to do.
/// </summary>
public sealed class McpServerException : Exception
{
    /// <summary>Creates the exception with its message.</summary>
    /// <param name="message">What went wrong, naming the server.</param>
    public McpServerException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the error that caused it.</summary>
    /// <param name="message">What went wrong, naming the server.</param>
    /// <param name="innerException">The error the MCP client or the operating system gave.</param>
    public McpServerException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
