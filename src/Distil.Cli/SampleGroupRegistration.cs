using System.Runtime.CompilerServices;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary>
/// The sample groups of the packages the command carries (Distil.Personas' <c>people</c>), registered when the
/// command's assembly loads: a pipeline file names them by text, so nothing else would load the package before the
/// file is read or <c>distil schema</c> written.
/// </summary>
internal static class SampleGroupRegistration
{
#pragma warning disable CA2255 // The command's own assembly: its sample groups must be known before any file is read.
    [ModuleInitializer]
    internal static void Register() => SampledColumnGroupKinds.Register(new PeopleSampleKind());
#pragma warning restore CA2255
}
