// A [Fact] that is skipped (not passed) when the data file it needs is not installed.

namespace Unravel.IO.Tests.Support;

[AttributeUsage(AttributeTargets.Method)]
public sealed class DataFactAttribute : FactAttribute
{
    public DataFactAttribute(string requiredFile)
    {
        if (!File.Exists(requiredFile))
            Skip = $"{requiredFile} is absent (apt-get install dataset-fashion-mnist)";
    }
}
