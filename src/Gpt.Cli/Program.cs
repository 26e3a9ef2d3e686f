using System.CommandLine;
using Gpt.Cli.Commands;

var root = new RootCommand("gpt: train, run, evaluate and benchmark GPT-style language models.");
foreach (var command in CommandCatalog.All()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
