using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Distil.Pipelines;

/// <summary>A parent of a step, as its signature covers it: the parent's name and signature.</summary>
internal sealed record ParentSignature(string Step, string Signature);

/// <summary>
/// A step's signature and the parts it is made of: the step's kind, its own settings text
/// (<see cref="PipelineStep.Settings"/>) and its parents' signatures. The run store keeps the parts
/// beside the hash, so that a later run can say what changed (<see cref="SignatureChange"/>).
/// </summary>
/// <param name="Step">The step's name.</param>
/// <param name="Kind">The step's kind; null for a store from before the parts were kept.</param>
/// <param name="Settings">The settings text as stored (<see cref="Storable"/>); null for a store from before.</param>
/// <param name="Parents">The parents, in order; null for a store from before.</param>
/// <param name="Hash">The signature itself.</param>
internal sealed record StepSignature(string Step, string? Kind, string? Settings, IReadOnlyList<ParentSignature>? Parents, string Hash)
{
    /// <summary>Whether the parts are known (false: a store written before Distil kept them).</summary>
    public bool HasParts => Kind is not null && Settings is not null && Parents is not null;

    /// <summary>
    /// The signature of <paramref name="step"/>, whose parents' signatures are in <paramref name="parents"/>.
    /// Rule: it covers the step's kind, name, settings and everything upstream, so a change in one
    /// step recomputes it and the steps after it, while the steps before it keep their rows.
    /// </summary>
    public static StepSignature Of(PipelineStep step, IReadOnlyDictionary<PipelineStep, StepSignature> parents)
    {
        var settings = step.Settings();
        var parentSignatures = step.Parents.Select(p => new ParentSignature(p.Name, parents[p].Hash)).ToList();
        // The hash is of the settings as the step gives them; only the stored text is cleaned.
        var hash = PipelineStep.Hash(string.Join("\n", [step.Kind, step.Name, settings, .. parentSignatures.Select(p => p.Signature)]));
        return new StepSignature(step.Name, step.Kind, Storable(settings), parentSignatures, hash);
    }

    /// <summary>
    /// The signatures of every step of <paramref name="order"/> (parents before children), by step.
    /// </summary>
    public static IReadOnlyDictionary<PipelineStep, StepSignature> OfAll(IReadOnlyList<PipelineStep> order)
    {
        var signatures = new Dictionary<PipelineStep, StepSignature>();
        foreach (var step in order) signatures[step] = Of(step, signatures);
        return signatures;
    }

    // A URL with its user and password, or its query: either may hold a credential (an Azure
    // deployment URL, a key passed as ?api-key=). Neither is kept; the host and path say enough.
    private static readonly Regex Url = new(@"(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?<user>[^/\s@|;]*@)?(?<rest>[^\s?#|;]*)(?<query>[?#][^\s|;]*)?", RegexOptions.CultureInvariant);

    // A setting whose name says it holds a secret: its value is kept only as a short hash, so that a
    // change is still seen but the value never reaches the store (or a log line read from it).
    private static readonly Regex SecretName = new(@"(?i)(api[_-]?key|secret|password|passwd|credential|authorization|bearer|access[_-]?token|auth[_-]?token|^token$|^key$)", RegexOptions.CultureInvariant);

    /// <summary>
    /// The settings text as the run store keeps it: URLs without credentials or queries, and the
    /// value of any setting (<c>name=value</c>, also inside the options line) whose name says it is
    /// a secret replaced by a hash of it.
    /// </summary>
    public static string Storable(string settings)
    {
        var text = Url.Replace(settings, m => m.Groups["scheme"].Value + m.Groups["rest"].Value);
        return string.Join('\n', text.Split('\n').Select(HideSecrets));
    }

    private static string HideSecrets(string line)
    {
        var equals = line.IndexOf('=', StringComparison.Ordinal);
        if (equals <= 0) return line;
        var name = line[..equals];
        if (name == "options") return "options=" + string.Join(';', line[(equals + 1)..].Split(';').Select(HideSecrets));
        return SecretName.IsMatch(name.TrimStart('+')) ? name + "=" + HiddenValue(line[(equals + 1)..]) : line;
    }

    /// <summary>How a secret's value is kept: a hash that shows a change, and nothing of the value.</summary>
    public static string HiddenValue(string value) =>
        value.Length == 0 ? value : "(hidden " + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(value)))[..12] + ")";
}
