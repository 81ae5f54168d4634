// Runs the whole `unravel` command line with standard output discarded and standard error captured: the way the
// bad-input tests look at a command's one error line and exit code.

namespace Unravel.Cli.Tests;

internal static class QuietCli
{
    /// <summary>Invokes <paramref name="args"/> on every command; returns the exit code and what went to stderr.</summary>
    public static async Task<(int Code, string Error)> InvokeAsync(string[] args)
    {
        var error = new StringWriter();
        TextWriter saved = Console.Out;
        Console.SetOut(TextWriter.Null);
        try
        {
            return (await CliRunner.InvokeAsync(CliCommands.Create(), args, error), error.ToString());
        }
        finally
        {
            Console.SetOut(saved);
        }
    }
}
