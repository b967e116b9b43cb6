using Microsoft.Extensions.AI;

namespace Distil;

/// <summary>
/// How log lines and messages name the server a call went to: its address without user info or
/// query string (where keys and signatures travel), and the model it serves.
/// </summary>
internal static class ServerNames
{
    /// <summary>The scheme, host, port and path of <paramref name="endpoint"/>; never its user info or query.</summary>
    public static string Of(Uri endpoint) =>
        endpoint.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.Unescaped).TrimEnd('/');

    /// <summary>"http://host:port/v1 (model m)", or as much of it as the client tells.</summary>
    public static string Describe(ChatClientMetadata? metadata) => metadata switch
    {
        { ProviderUri: { } uri, DefaultModelId: { Length: > 0 } model } => $"{Of(uri)} (model {model})",
        { ProviderUri: { } uri } => Of(uri),
        { DefaultModelId: { Length: > 0 } model } => $"model {model}",
        _ => "the model",
    };
}
