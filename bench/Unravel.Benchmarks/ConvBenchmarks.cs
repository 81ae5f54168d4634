// Conv2d paths compared per named shape, to back the selection rule in src/Unravel.Tensors/Ops/Conv2d.cs.
// Run: dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*ConvBenchmarks*'
// Algorithm "Auto" is the path the selection rule picks (Pointwise for 1×1 stride 1, Direct for depthwise); the
// other two force a path. FLOPs per forward are
// 2·N·O·OH·OW·(C/groups)·KH·KW (see ConvShape.Flops); GFLOP/s = Flops / mean time.
//
// The selection rule and the measurements behind it are in the header of src/Unravel.Tensors/Ops/Conv2d.cs. On a
// shared 2-core host, compare with UNRAVEL_THREADS=1 and interleaved runs; 2-thread figures swing by ±30 %.

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using Unravel.Tensors;
using Unravel.Tensors.Autograd;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
[Config(typeof(WideParameters))]
public class ConvBenchmarks
{
    /// <summary>Keeps shape names readable in the summary table.</summary>
    private sealed class WideParameters : ManualConfig
    {
        public WideParameters() => SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(32);
    }

    /// <summary>ResNet-ish layers (torchvision resnet18/50, resnext50_32x4d, mobilenet_v2) and one odd size.</summary>
    public static readonly ConvShape[] Shapes =
    [
        new("resnet_stem_7x7_s2_224", 1, 3, 224, 224, 64, 7, 2, 3, 1),
        new("resnet_conv3x3_56", 2, 64, 56, 56, 64, 3, 1, 1, 1),
        new("resnet_conv3x3_s2_56", 2, 128, 56, 56, 128, 3, 2, 1, 1),
        new("resnet_conv3x3_14", 2, 256, 14, 14, 256, 3, 1, 1, 1),
        new("resnet_conv1x1_56", 2, 256, 56, 56, 64, 1, 1, 0, 1),
        new("resnet_conv1x1_s2_56", 2, 256, 56, 56, 512, 1, 2, 0, 1),
        new("resnext_conv3x3_g32_28", 2, 256, 28, 28, 256, 3, 1, 1, 32),
        new("group_conv3x3_g64_28", 2, 128, 28, 28, 128, 3, 1, 1, 64),
        new("mobilenet_dw3x3_112", 2, 32, 112, 112, 32, 3, 1, 1, 32),
        new("mobilenet_dw3x3_s2_112", 2, 96, 112, 112, 96, 3, 2, 1, 96),
        new("mobilenet_dw3x3_14", 2, 576, 14, 14, 576, 3, 1, 1, 576),
        new("small_conv3x3_c4_32", 2, 4, 32, 32, 4, 3, 1, 1, 1),
        new("odd_conv3x3_29x31", 3, 17, 29, 31, 19, 3, 1, 1, 1),
    ];

    /// <summary>One named convolution shape (batch, channels, size, kernel, stride, padding, groups).</summary>
    public sealed record ConvShape(string Name, int N, int C, int H, int W, int O, int K, int Stride, int Padding, int Groups)
    {
        public int OutH => (H + 2 * Padding - K) / Stride + 1;

        public int OutW => (W + 2 * Padding - K) / Stride + 1;

        /// <summary>Multiply-adds × 2 of one forward.</summary>
        public long Flops => 2L * N * O * OutH * OutW * (C / Groups) * K * K;
    }

    private Tensor _x = null!, _weight = null!, _bias = null!, _dy = null!;
    private Conv2dOptions _options = null!;
    private Conv2dAlgorithm _algorithm;

    public static IEnumerable<string> ShapeNames() => Shapes.Select(s => s.Name);

    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "";

    [Params("Auto", "Im2ColGemm", "Direct")]
    public string Algorithm { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        ConvShape s = Shapes.Single(x => x.Name == Shape);
        _algorithm = Enum.Parse<Conv2dAlgorithm>(Algorithm);
        var rng = new Random(42);
        _x = Tensor.RandomNormal(rng, s.N, s.C, s.H, s.W);
        _weight = Tensor.RandomNormal(rng, s.O, s.C / s.Groups, s.K, s.K);
        _bias = Tensor.RandomNormal(rng, s.O);
        _dy = Tensor.RandomNormal(rng, s.N, s.O, s.OutH, s.OutW);
        _options = new Conv2dOptions { Stride = (s.Stride, s.Stride), Padding = (s.Padding, s.Padding), Groups = s.Groups };
    }

    [Benchmark]
    public Tensor Forward() => Ops.Conv2d(_x, _weight, _bias, _options, _algorithm);

    /// <summary>Forward plus dx, dWeight and dBias.</summary>
    [Benchmark]
    public GradStore ForwardBackward()
    {
        using var tape = new Tape();
        Tensor x = tape.Watch(_x), w = tape.Watch(_weight), b = tape.Watch(_bias);
        return tape.Backward(Ops.Conv2d(x, w, b, _options, _algorithm), _dy);
    }
}
