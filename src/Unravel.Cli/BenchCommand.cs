// `unravel bench ...`: side-by-side timings of our kernels and references in one run.

using System.CommandLine;

namespace Unravel.Cli;

internal static class BenchCommand
{
    public static Command Create()
    {
        Command command = new("bench", "Benchmarks measured side by side in one run.");
        return command;
    }
}
