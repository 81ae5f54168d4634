// The fused inference epilogue (Ops.Conv2dAffine: conv → folded batch norm → + residual → ReLU in one op) against the
// op chain it replaces (Conv2d, BatchNorm2d in eval mode, Add, Relu), on ResNet-18 block shapes at batch 16.
// Run: dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*ConvEpilogueBenchmarks*'
// The fused form saves three full-size outputs and three memory passes per block convolution; on ResNet-18 at batch 16
// that took the 1-thread forward from 0.76× to 0.87× PyTorch's throughput in `unravel bench models` (loaded host).

using BenchmarkDotNet.Attributes;
using Unravel.Tensors;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class ConvEpilogueBenchmarks
{
    private Tensor _x = null!, _weight = null!, _residual = null!, _gamma = null!, _beta = null!, _mean = null!, _var = null!;
    private Tensor _scale = null!, _shift = null!;
    private Conv2dOptions _options = null!;

    /// <summary>resnet18_l1 (64 channels, 56²) and resnet18_l3 (256 channels, 14²) block convolutions.</summary>
    [Params("resnet18_l1_block_b16", "resnet18_l3_block_b16")]
    public string Shape { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        (int c, int hw) = Shape == "resnet18_l1_block_b16" ? (64, 56) : (256, 14);
        var rng = new Random(42);
        _x = Tensor.RandomNormal(rng, 16, c, hw, hw);
        _weight = Tensor.RandomNormal(rng, c, c, 3, 3);
        _residual = Tensor.RandomNormal(rng, 16, c, hw, hw);
        _gamma = Tensor.RandomUniform(rng, 0.5f, 1.5f, c);
        _beta = Tensor.RandomNormal(rng, c);
        _mean = Tensor.RandomNormal(rng, c);
        _var = Tensor.RandomUniform(rng, 0.5f, 2f, c);
        var scale = new float[c];
        var shift = new float[c];
        for (int i = 0; i < c; i++)
        {
            scale[i] = _gamma.Data[i] * (1f / MathF.Sqrt(_var.Data[i] + 1e-5f));
            shift[i] = _beta.Data[i] - _mean.Data[i] * scale[i];
        }
        _scale = Tensor.FromArray(scale);
        _shift = Tensor.FromArray(shift);
        _options = new Conv2dOptions { Padding = (1, 1) };
    }

    [Benchmark(Baseline = true)]
    public Tensor OpChain() =>
        Ops.Relu(Ops.Add(Ops.BatchNorm2d(Ops.Conv2d(_x, _weight, null, _options), _gamma, _beta, _mean, _var, training: false), _residual));

    [Benchmark]
    public Tensor Fused() => Ops.Conv2dAffine(_x, _weight, null, _options, _scale, _shift, _residual, relu: true);
}
