// ResNet's stem max pool (3×3, stride 2, padding 1 over [16, 64, 112, 112]): the plain kernel (the reference, with
// argmax), the hoisted-window argmax kernel with its SIMD stride-2 columns (used under a tape), and the values-only SIMD
// kernel (inference).
// Run: dotnet run -c Release --project bench/Unravel.Benchmarks -- --filter '*MaxPoolBenchmarks*'
// Measured with this class (single-threaded kernels, loaded host, mean of 5): plain 215 ms, argmax 61 ms, values only 20 ms.

using BenchmarkDotNet.Attributes;
using Unravel.Tensors;
using Unravel.Tensors.Kernels;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class MaxPoolBenchmarks
{
    private float[] _x = null!, _y = null!, _row = null!;
    private int[] _indices = null!, _windows = null!;
    private Pool2dGeometry _g;
    private const int Planes = 16 * 64;

    [GlobalSetup]
    public void Setup()
    {
        Tensor x = Tensor.RandomNormal(new Random(42), Planes, 112, 112);
        _x = x.ToArray();
        _g = new Pool2dGeometry(112, 112, 56, 56, 3, 3, 2, 2, 1, 1, 1, 1);
        _y = new float[Planes * 56 * 56];
        _indices = new int[_y.Length];
        _row = new float[2 * 112 + 2];
        _windows = new int[2 * 56];
    }

    [Benchmark(Baseline = true)]
    public void PlainWithArgmax() => Pool2dKernels.MaxPool2d(_x, _y, _indices, _g, 0, Planes);

    [Benchmark]
    public void RowsWithArgmax() => Pool2dKernels.MaxPool2dRows(_x, _y, _indices, _windows, _g, 0, Planes);

    [Benchmark]
    public void ValuesOnly() => Pool2dKernels.MaxPool2dValues(_x, _y, _row, _g, 0, Planes);
}
