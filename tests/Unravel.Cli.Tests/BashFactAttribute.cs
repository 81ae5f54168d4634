// A [Fact] that checks generated job scripts with `bash -n`: skipped with the reason where /bin/bash is absent.

namespace Unravel.Cli.Tests;

[AttributeUsage(AttributeTargets.Method)]
public sealed class BashFactAttribute : FactAttribute
{
    public const string Bash = "/bin/bash";

    public BashFactAttribute()
    {
        if (!File.Exists(Bash)) Skip = $"{Bash} is absent: the generated scripts' syntax cannot be checked";
    }
}
