// Entry point of the `unravel` command-line tool: builds the command tree and maps exceptions to exit codes.

using System.CommandLine;
using Unravel.Cli;

RootCommand root = new("Unravel: find, split and explain polysemantic neurons.")
{
    ModelsCommand.Create(),
    InspectCommand.Create(),
    RunCommand.Create(),
    AttributeCommand.Create(),
    TrainCommand.Create(),
    CollectCommand.Create(),
    MergeCommand.Create(),
    NeuronsCommand.Create(),
    QueryCommand.Create(),
    BenchCommand.Create(),
    ConceptsCommand.Create(),
    ReportCommand.Create(),
    ServeCommand.Create(),
    DemoCommand.Create(),
    PureCommand.Create(),
};
return await CliRunner.InvokeAsync(root, args);
