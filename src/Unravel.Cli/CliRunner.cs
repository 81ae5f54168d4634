// Runs a parsed command and maps failures to exit codes: user mistakes print one message and a hint,
// anything else prints the full trace (it is our bug).

using System.CommandLine;

namespace Unravel.Cli;

internal static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args)
    {
        try
        {
            ParseResult parse = root.Parse(args);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UnravelUserException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (e.Hint is not null) Console.Error.WriteLine($"hint: {e.Hint}");
            return ExitCodes.UsageError;
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return ExitCodes.UsageError;
        }
    }
}
