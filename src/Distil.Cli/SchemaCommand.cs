using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Distil.Cli;

/// <summary><c>distil schema</c>: the JSON Schema of pipeline files, for editors and CI.</summary>
internal static class SchemaCommand
{
    public static Command Build(CliConsole console)
    {
        var command = new Command("schema",
            "Print the JSON Schema of pipeline files (draft 2020-12), made from the keys distil run and distil check accept; point an editor's \"$schema\" at a saved copy.");
        command.SetAction(async (_, cancellationToken) =>
        {
            await console.Out.WriteLineAsync(PipelineFileSchema.Build().ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });
        return command;
    }
}
