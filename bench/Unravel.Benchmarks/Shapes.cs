// Named benchmark shapes (candle `matmul.rs`, dotnet/performance): every benchmark refers to a shape by name, and
// GFLOP/s come from the FLOP formula here, so tables from different runs and backends line up.

namespace Unravel.Benchmarks;

/// <summary>The named GEMM shapes: C[M, N] = A[M, K] · B[K, N].</summary>
public static class Shapes
{
    /// <summary>One GEMM problem.</summary>
    public sealed record Gemm(string Name, int M, int N, int K)
    {
        /// <summary>2·M·N·K: one multiply and one add per term.</summary>
        public double Flops => 2.0 * M * N * K;

        public override string ToString() => Name;
    }

    /// <summary>6·512 + 7: an odd size that is a multiple of no tile or vector width (dotnet/performance).</summary>
    public const int OddSize = 6 * 512 + 7;

    public static IReadOnlyList<Gemm> GemmShapes { get; } =
    [
        new("square_256", 256, 256, 256),
        new("square_512", 512, 512, 512),
        new("square_1024", 1024, 1024, 1024),
        new("square_2048", 2048, 2048, 2048),
        new("gemv_768", 1, 768, 768),                 // one GPT-2 token through a 768×768 projection
        new("gpt2_mlp_fc", 1024, 3072, 768),         // 1024 tokens through GPT-2 small's c_fc
        new("resnet_conv3x3_56", 64, 3136, 576),     // ResNet layer1 3×3 conv as im2col GEMM: [Cout, H·W] = W[Cout, Cin·9] · cols
        new($"odd_{OddSize}", OddSize, OddSize, 64),  // odd M and N; K kept small so one call stays under a second
    ];

    /// <summary>The shape called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No shape has that name.</exception>
    public static Gemm GetGemm(string name) =>
        GemmShapes.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"No GEMM shape '{name}'; known: {string.Join(", ", GemmShapes.Select(s => s.Name))}.", nameof(name));
}
