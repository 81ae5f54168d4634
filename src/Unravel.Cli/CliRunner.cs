// Runs a parsed command and maps failures to exit codes: user mistakes (bad option, missing or malformed file,
// checkpoint that does not fit) print one message and a hint; anything else prints the full trace (our bug).

using System.CommandLine;
using Unravel.IO;
using Unravel.Nn;

namespace Unravel.Cli;

internal static class CliRunner
{
    public static async Task<int> InvokeAsync(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            ParseResult parse = root.Parse(args);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (UserMessage(e) is { } message)
        {
            error.WriteLine($"error: {message.Text}");
            if (message.Hint is not null) error.WriteLine($"hint: {message.Hint}");
            return ExitCodes.UsageError;
        }
        catch (Exception e)
        {
            error.WriteLine($"internal error (a bug in unravel, please report it with this trace):\n{e}");
            return ExitCodes.InternalError;
        }
    }

    /// <summary>The message for an exception caused by the user's input, or null for our own bugs.</summary>
    internal static (string Text, string? Hint)? UserMessage(Exception e) => e switch
    {
        UnravelException u => (u.Message, u.Hint),
        FileNotFoundException f => (f.Message, "check the path"),
        DirectoryNotFoundException d => (d.Message, "check the path"),
        UnauthorizedAccessException a => (a.Message, "check the file permissions"),
        _ => null,
    };
}
