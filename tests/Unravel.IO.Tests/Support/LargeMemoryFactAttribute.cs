// A [Fact] that is skipped (not passed) on a machine with less memory than the test needs.

namespace Unravel.IO.Tests.Support;

[AttributeUsage(AttributeTargets.Method)]
public sealed class LargeMemoryFactAttribute : FactAttribute
{
    public LargeMemoryFactAttribute(int gibibytes)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available < (long)gibibytes << 30)
            Skip = $"needs {gibibytes} GiB of memory, the machine has {available >> 30} GiB";
    }
}
