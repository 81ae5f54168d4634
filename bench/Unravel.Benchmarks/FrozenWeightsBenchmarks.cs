// Frozen weights (FrozenWeights / Module.FreezeWeights: packed and Winograd-transformed weights kept across calls) vs
// packing them on every call, on the ResNet 3×3 layers where the selection rule was decided: 14×14 (49 Winograd tiles
// per image, now Winograd) and 7×7 (16 tiles, packed GEMM), at batch 1 and 16, through both algorithms.
// Run: dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*FrozenWeightsBenchmarks*'
//
// Measured with a Stopwatch harness over the same calls (1 thread, best of 3 × 200 ms; Winograd vs packed, ms):
//   256 ch 14×14 b1:  frozen 1.81 vs 2.94, not frozen 2.31 vs 2.58;  b16: frozen 22.8 vs 44.8, not frozen 24.3 vs 45.7
//   512 ch 7×7   b1:  frozen 3.45 vs 2.93, not frozen 9.8 vs 4.7;    b16: frozen 34.1 vs 42.8, not frozen 40.5 vs 46.7

using BenchmarkDotNet.Attributes;
using Unravel.Tensors;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class FrozenWeightsBenchmarks
{
    /// <summary>ResNetConvBenchmarks' layer-3 and layer-4 3×3 convolutions at batch 16, and the same at batch 1.</summary>
    public static readonly ConvBenchmarks.ConvShape[] Shapes = ResNetConvBenchmarks.Shapes
        .Where(s => s.Name is "resnet18_l3_conv3x3_b16" or "resnet18_l4_conv3x3_b16")
        .SelectMany(s => new[] { s with { Name = s.Name.Replace("_b16", "_b1"), N = 1 }, s })
        .ToArray();

    private Tensor _x = null!, _weight = null!;
    private Conv2dOptions _options = null!;
    private FrozenWeights? _frozen;
    private Conv2dAlgorithm _algorithm;

    public static IEnumerable<string> ShapeNames() => Shapes.Select(s => s.Name);

    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "";

    [Params("PackedGemm", "Winograd")]
    public string Algorithm { get; set; } = "";

    [Params(false, true)]
    public bool Frozen { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        ConvBenchmarks.ConvShape s = Shapes.Single(x => x.Name == Shape);
        var rng = new Random(42);
        _x = Tensor.RandomNormal(rng, s.N, s.C, s.H, s.W);
        _weight = Tensor.RandomNormal(rng, s.O, s.C, s.K, s.K);
        _options = new Conv2dOptions { Padding = (s.Padding, s.Padding) };
        _algorithm = Enum.Parse<Conv2dAlgorithm>(Algorithm);
        if (Frozen) _frozen = FrozenWeights.Freeze([("weight", _weight)]);
    }

    [GlobalCleanup]
    public void Cleanup() => _frozen?.Dispose();

    [Benchmark]
    public Tensor Forward() => Ops.Conv2d(_x, _weight, null, _options, _algorithm);
}
