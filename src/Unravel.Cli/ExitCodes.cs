namespace Unravel.Cli;

/// <summary>Process exit codes of the unravel tool.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int InternalError = 1;
    public const int UsageError = 2;
}
