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
        TextWriter notes = error;
        void Note(string line) => notes.WriteLine(line);
        Unravel.Atlas.AtlasLock.Notice += Note;
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
        finally
        {
            Unravel.Atlas.AtlasLock.Notice -= Note;
        }
    }

    /// <summary>The message for an exception caused by the user's input, or null for our own bugs.</summary>
    internal static (string Text, string? Hint)? UserMessage(Exception e) => e switch
    {
        UnravelException u => (u.Message, u.Hint),
        FileNotFoundException f => (f.Message, "check the path"),
        DirectoryNotFoundException d => (d.Message, "check the path"),
        UnauthorizedAccessException a => (a.Message, "check the file permissions"),
        IOException io when IsDiskFull(io) => ($"no space left on the device: {io.Message}", "free some space and run again; the atlas and the output files were left as they were"),
        _ => null,
    };

    /// <summary>ENOSPC (28) on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    private static bool IsDiskFull(IOException e) => (e.HResult & 0xFFFF) is 28 or 0x70 or 0x27;
}
