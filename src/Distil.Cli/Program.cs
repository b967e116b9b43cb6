using Distil.Cli;
using Spectre.Console;

return await DistilCommand.RunAsync(args, new CliConsole(Console.Out, Console.Error, Console.In, AnsiConsole.Console));
