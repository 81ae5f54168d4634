// BenchmarkDotNet entry: `dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*'`.

using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
