// Entry point of the `unravel` command-line tool: builds the command tree and maps exceptions to exit codes.

using Unravel.Cli;

return await CliRunner.InvokeAsync(CliCommands.Create(), args);
