using System.CommandLine;
using Distil.Pipelines;

namespace Distil.Cli;

/// <summary><c>distil merge OUTPUT SHARD_OUTPUTS...</c>: the outputs of a sharded run, as one dataset in the source's order.</summary>
internal static class MergeCommand
{
    public static Command Build(CliConsole console)
    {
        var output = new Argument<string>("OUTPUT") { Description = "The merged dataset: a .jsonl, .csv or .parquet file, or a folder with --format hf." };
        var shards = new Argument<string[]>("SHARD_OUTPUTS") { Description = "The output of every shard (files, or Hugging Face folders), in any order.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "jsonl, csv, parquet or hf; default from OUTPUT's extension." };
        var command = new Command("merge", "Merge the outputs of a sharded run (distil run --shard I/N) into one dataset, in the source rows' order, checking that every row is there once.")
        {
            output, shards, format,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var target = result.GetValue(output)!;
            IRowSink sink;
            try
            {
                sink = result.GetValue(format)?.ToLowerInvariant() switch
                {
                    null => RowSinks.File(target),
                    "hf" => RowSinks.HuggingFace(target),
                    // Any registered file format by name: jsonl, parquet, csv (Distil.Csv), a package's own.
                    var name => RowFileFormats.Find(name)?.OpenSink(target)
                        ?? throw new UsageException($"distil merge: --format must be hf or a file format ({string.Join(", ", RowFileFormats.All.Select(f => f.Name))}), not '{name}'."),
                };
            }
            catch (ArgumentException error)
            {
                throw new UsageException($"distil merge: {ErrorText.Of(error)}");
            }
            var inputs = result.GetValue(shards)!;
            foreach (var input in inputs)
            {
                if (!File.Exists(input) && !Directory.Exists(input)) throw new UsageException($"distil merge: '{Path.GetFullPath(input)}' does not exist.");
            }
            long rows;
            try
            {
                rows = await ShardMerge.MergeAsync(inputs, sink, cancellationToken);
            }
            catch (InvalidDataException error)
            {
                throw new UsageException($"distil merge: {ErrorText.Of(error)}");
            }
            await console.Out.WriteLineAsync($"Merged {inputs.Length} shards: {rows:N0} rows written to {sink.Describe()}.");
            return ExitCodes.Success;
        });
        return command;
    }
}
