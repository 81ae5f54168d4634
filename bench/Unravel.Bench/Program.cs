// `unravel-bench`: side-by-side timings of our engine and its references (OpenBLAS, PyTorch through a Python worker,
// a plain forward pass, PURE's naive baseline). A separate program so that the shipped `unravel` tool carries no
// Python worker; a user mistake prints one message and a hint (exit code 2), anything else its trace (exit code 1).

using System.CommandLine;
using Unravel;
using Unravel.Bench;

try
{
    return await BenchCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (UnravelException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    if (e.Hint is not null) Console.Error.WriteLine($"hint: {e.Hint}");
    return ExitCodes.UsageError;
}
