namespace Distil.UserCode.Helpers;

/// <summary>Text helpers the user's step calls (loaded from the user's folder, not distil's).</summary>
public static class Text
{
    /// <summary>Trims <paramref name="text"/> and collapses runs of white space into one space.</summary>
    public static string Squash(string text) => string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
