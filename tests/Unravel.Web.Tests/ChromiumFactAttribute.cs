// A [Fact] for the browser tests: on a developer's machine without Debian's Chromium it is reported as skipped with the
// install command; under CI (CI=true, where .ci/run installs Chromium) it always runs, so a missing browser fails there.

namespace Unravel.Web.Tests;

[AttributeUsage(AttributeTargets.Method)]
public sealed class ChromiumFactAttribute : FactAttribute
{
    public const string Chromium = "/usr/bin/chromium";

    public ChromiumFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && !File.Exists(Chromium))
            Skip = $"Chromium is not installed at {Chromium} (apt-get install -y chromium; .ci/run does, and under CI the test runs and fails without it)";
    }
}
