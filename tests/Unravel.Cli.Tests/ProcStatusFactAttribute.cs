// A [Fact] that reads this process's /proc/self/status: skipped with the reason where there is none (not Linux).

namespace Unravel.Cli.Tests;

[AttributeUsage(AttributeTargets.Method)]
public sealed class ProcStatusFactAttribute : FactAttribute
{
    public const string Status = "/proc/self/status";

    public ProcStatusFactAttribute()
    {
        if (!File.Exists(Status)) Skip = $"{Status} is absent (not Linux): the peak resident set cannot be read";
    }
}
