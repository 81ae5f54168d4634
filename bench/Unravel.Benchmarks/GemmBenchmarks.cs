// SGEMM on the named shapes, managed vs OpenBLAS: `dotnet run -c Release --project bench/Unravel.Benchmarks --
// --filter '*GemmBenchmarks*'`. Threads come from UNRAVEL_THREADS. The GFLOP/s column uses Shapes' FLOP formula.
// For a quick interleaved comparison in one process use `unravel bench gemm` instead.

using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Unravel.Tensors.Kernels;

namespace Unravel.Benchmarks;

[MemoryDiagnoser]
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private float[] _a = [], _b = [], _c = [];
    private Shapes.Gemm _shape = Shapes.GemmShapes[0];

    public static IEnumerable<string> ShapeNames => Shapes.GemmShapes.Select(s => s.Name);

    [ParamsSource(nameof(ShapeNames))]
    public string Shape { get; set; } = "square_256";

    [Params(GemmBackend.Managed, GemmBackend.OpenBlas)]
    public GemmBackend Backend { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _shape = Shapes.GetGemm(Shape);
        // Throws with the library names tried when OpenBLAS is absent; BenchmarkDotNet reports that case as failed.
        Gemm.Backend = Backend;
        var rng = new Random(42);
        _a = Fill(rng, _shape.M * _shape.K);
        _b = Fill(rng, _shape.K * _shape.N);
        _c = new float[_shape.M * _shape.N];
    }

    [Benchmark]
    public void Sgemm() => Gemm.Sgemm(_a, _b, _c, _shape.M, _shape.N, _shape.K);

    private static float[] Fill(Random rng, int length)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>GFLOP/s = Shapes' FLOP count / mean time.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "Floating-point operations per second (2·M·N·K / mean), in billions";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            double? meanNs = summary[benchmarkCase]?.ResultStatistics?.Mean;
            if (meanNs is not double ns || benchmarkCase.Parameters["Shape"] is not string name) return "-";
            return (Shapes.GetGemm(name).Flops / ns).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
        }

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);
        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
        public bool IsAvailable(Summary summary) => true;
    }
}
