// Entry point of the `unravel` command-line tool: builds the command tree and maps exceptions to exit codes.

using System.CommandLine;
using Unravel.Cli;

RootCommand root = new("Unravel: find, split and explain polysemantic neurons.")
{
    ModelsCommand.Create(),
    InspectCommand.Create(),
    RunCommand.Create(),
    TrainCommand.Create(),
    CollectCommand.Create(),
    NeuronsCommand.Create(),
    QueryCommand.Create(),
    BenchCommand.Create(),
    PureCommand.Create(),
};
return await CliRunner.InvokeAsync(root, args);
