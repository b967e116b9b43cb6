using System.Runtime.CompilerServices;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary>
/// The step kinds and document readers of the packages the command carries, registered when the command's assembly
/// loads: a package's module initializer runs only once one of its types is used, and a pipeline file names its
/// kinds by text (<c>"documents"</c>), so nothing else would load the package before the file is read.
/// </summary>
internal static class PackageKinds
{
#pragma warning disable CA2255 // The command's own assembly: its kinds must be known before any file is read or schema written.
    [ModuleInitializer]
    internal static void Register()
    {
        PipelineStepKinds.RegisterAssembly(typeof(DocumentsFileKind).Assembly);
        DocumentReaders.RegisterAssembly(typeof(PdfDocumentReader).Assembly);
    }
#pragma warning restore CA2255
}
