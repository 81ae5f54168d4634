// Process exit codes of unravel-bench (the same values as the unravel tool's).

namespace Unravel.Bench;

internal static class ExitCodes
{
    public const int Success = 0;
    public const int UsageError = 2;
}
