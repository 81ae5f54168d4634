// The convolutions of ResNet-18/50 at batch 16 through each GEMM-based conv path: per-image im2col (the old default),
// blocked im2col over the batch, and the packed-GEMM path that packs im2col straight into the micro-kernel's panels
// (the default on the managed GEMM). Forward, and forward + input gradient (only x watched, as `bench models` grad).
// Run: dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*ResNetConvBenchmarks*'
// GFLOP/s = ConvShape.Flops / mean time (× 2 for forward + input gradient). On the shared 2-core host, compare with
// UNRAVEL_THREADS=1; 2-thread figures swing by ±30 %.
//
// Measured (1 thread, thread CPU time, min of 7 interleaved runs, loaded host; h/perf):
//   shape                    per-image im2col   blocked   packed   plain GEMM of the same size
//   resnet18_l1_conv3x3_b16        83 ms          65 ms     52 ms        43 ms
//   resnet18_l2_conv3x3_b16        51 ms          50 ms     40 ms        37 ms
//   resnet18_l3_conv3x3_b16        47 ms          48 ms     39 ms        38 ms
//   resnet18_l4_conv3x3_b16        74 ms          52 ms     40 ms        35 ms
//   resnet50_l4_conv1x1_b16        30 ms          23 ms     17 ms        17 ms

using BenchmarkDotNet.Attributes;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class ResNetConvBenchmarks
{
    /// <summary>Named ResNet convolutions at batch 16, 224² input.</summary>
    public static readonly ConvBenchmarks.ConvShape[] Shapes =
    [
        new("resnet18_stem_7x7_s2_b16", 16, 3, 224, 224, 64, 7, 2, 3, 1),
        new("resnet18_l1_conv3x3_b16", 16, 64, 56, 56, 64, 3, 1, 1, 1),
        new("resnet18_l2_conv3x3_s2_b16", 16, 64, 56, 56, 128, 3, 2, 1, 1),
        new("resnet18_l2_conv3x3_b16", 16, 128, 28, 28, 128, 3, 1, 1, 1),
        new("resnet18_l3_conv3x3_b16", 16, 256, 14, 14, 256, 3, 1, 1, 1),
        new("resnet18_l4_conv3x3_b16", 16, 512, 7, 7, 512, 3, 1, 1, 1),
        new("resnet50_l1_conv1x1_256to64_b16", 16, 256, 56, 56, 64, 1, 1, 0, 1),
        new("resnet50_l4_conv1x1_2048to512_b16", 16, 2048, 7, 7, 512, 1, 1, 0, 1),
        new("odd_conv3x3_b3_29x31", 3, 17, 29, 31, 19, 3, 1, 1, 1),
    ];

    private Tensor _x = null!, _weight = null!, _dy = null!;
    private Conv2dOptions _options = null!;
    private Conv2dAlgorithm _algorithm;

    public static IEnumerable<string> ShapeNames() => Shapes.Select(s => s.Name);

    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "";

    [Params("Im2ColGemm", "Blocked", "PackedGemm")]
    public string Algorithm { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        ConvBenchmarks.ConvShape s = Shapes.Single(x => x.Name == Shape);
        _algorithm = Enum.Parse<Conv2dAlgorithm>(Algorithm);
        if (_algorithm == Conv2dAlgorithm.Im2ColGemm && s.K == 1 && s.Stride == 1) _algorithm = Conv2dAlgorithm.Pointwise;
        var rng = new Random(42);
        _x = Tensor.RandomNormal(rng, s.N, s.C, s.H, s.W);
        _weight = Tensor.RandomNormal(rng, s.O, s.C / s.Groups, s.K, s.K);
        _dy = Tensor.RandomNormal(rng, s.N, s.O, s.OutH, s.OutW);
        _options = new Conv2dOptions { Stride = (s.Stride, s.Stride), Padding = (s.Padding, s.Padding), Groups = s.Groups };
    }

    [Benchmark]
    public Tensor Forward() => Ops.Conv2d(_x, _weight, null, _options, _algorithm);

    /// <summary>Forward and dx only (the weights are not watched), as an input-gradient attribution runs it.</summary>
    [Benchmark]
    public GradStore ForwardInputGradient()
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(_x);
        return tape.Backward(Ops.Conv2d(x, _weight, null, _options, _algorithm), _dy);
    }
}
