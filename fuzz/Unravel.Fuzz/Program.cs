// Entry point of the fuzz harness (see fuzz/README.md): `afl TARGET` runs under AFL++ after SharpFuzz instrumented
// Unravel.IO.dll, `libfuzzer TARGET` under libFuzzer's SharpFuzz driver, `replay TARGET PATH...` runs saved inputs once
// each (crash triage, seed checks), and `smoke TARGET SECONDS CORPUS [EXECUTIONS]` is a coverage-free in-process mutation loop for CI.

using SharpFuzz;
using Unravel.Fuzz;

if (args.Length < 2 || !Targets.All.ContainsKey(args[1]))
{
    Console.Error.WriteLine("usage: Unravel.Fuzz (afl|libfuzzer) TARGET | replay TARGET PATH... | smoke TARGET SECONDS CORPUS [EXECUTIONS]");
    Console.Error.WriteLine("targets: " + string.Join(", ", Targets.All.Keys));
    return 2;
}
string target = args[1];
switch (args[0])
{
    case "afl":
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            Targets.Run(target, buffer.ToArray());
        });
        return 0;
    case "libfuzzer":
        Fuzzer.LibFuzzer.Run(span => Targets.Run(target, span.ToArray()));
        return 0;
    case "replay":
        return Replay.Run(target, args[2..]);
    case "smoke" when args.Length is 4 or 5 && double.TryParse(args[2], out double seconds):
        return SmokeLoop.Run(target, TimeSpan.FromSeconds(seconds), args[3], args.Length == 5 ? long.Parse(args[4]) : long.MaxValue);
    default:
        Console.Error.WriteLine($"unknown mode '{args[0]}'");
        return 2;
}
