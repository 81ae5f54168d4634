// An 8×32 AVX-512 micro-kernel for the packed convolution (Conv2dPacked), for output-channel counts that are a multiple
// of 8 but not of 12: the shared 12×32 kernel pads 64 channels (ResNet's stem, layer1 and every 64-wide bottleneck
// conv) to 72 rows, wasting 11 % of its multiply-adds; 64 = 8 × 8 wastes none. Same contract and rounding as the
// shared kernels (IGemmMicroKernel): 16 zmm accumulators held in locals, C combined as alpha · acc + beta · C.
// Reference: Van Zee & van de Geijn, "BLIS", TOMS 2015 (micro-kernel shapes).

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Unravel.Tensors.Kernels;

/// <summary>8×32 tile with 16 zmm accumulators (AVX-512F), used by the packed convolution when O % 12 != 0 and O % 8 == 0.</summary>
internal readonly unsafe struct Conv2dAvx512x8 : IGemmMicroKernel
{
    public static int MR => 8;
    public static int NR => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector512<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        if (beta != 0f)
            for (int r = 0; r < 8; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0(c + r * ldc + 31);
            }
        for (int p = 0; p < kc; p++)
        {
            Vector512<float> b0 = Vector512.LoadAligned(b), b1 = Vector512.LoadAligned(b + 16);
            Vector512<float> t = Vector512.Create(a[0]);
            c00 = Avx512F.FusedMultiplyAdd(t, b0, c00); c01 = Avx512F.FusedMultiplyAdd(t, b1, c01);
            t = Vector512.Create(a[1]);
            c10 = Avx512F.FusedMultiplyAdd(t, b0, c10); c11 = Avx512F.FusedMultiplyAdd(t, b1, c11);
            t = Vector512.Create(a[2]);
            c20 = Avx512F.FusedMultiplyAdd(t, b0, c20); c21 = Avx512F.FusedMultiplyAdd(t, b1, c21);
            t = Vector512.Create(a[3]);
            c30 = Avx512F.FusedMultiplyAdd(t, b0, c30); c31 = Avx512F.FusedMultiplyAdd(t, b1, c31);
            t = Vector512.Create(a[4]);
            c40 = Avx512F.FusedMultiplyAdd(t, b0, c40); c41 = Avx512F.FusedMultiplyAdd(t, b1, c41);
            t = Vector512.Create(a[5]);
            c50 = Avx512F.FusedMultiplyAdd(t, b0, c50); c51 = Avx512F.FusedMultiplyAdd(t, b1, c51);
            t = Vector512.Create(a[6]);
            c60 = Avx512F.FusedMultiplyAdd(t, b0, c60); c61 = Avx512F.FusedMultiplyAdd(t, b1, c61);
            t = Vector512.Create(a[7]);
            c70 = Avx512F.FusedMultiplyAdd(t, b0, c70); c71 = Avx512F.FusedMultiplyAdd(t, b1, c71);
            a += 8;
            b += 32;
        }
        Vector512<float> va = Vector512.Create(alpha), vb = Vector512.Create(beta);
        Store(c, c00, c01, va, vb, beta); c += ldc;
        Store(c, c10, c11, va, vb, beta); c += ldc;
        Store(c, c20, c21, va, vb, beta); c += ldc;
        Store(c, c30, c31, va, vb, beta); c += ldc;
        Store(c, c40, c41, va, vb, beta); c += ldc;
        Store(c, c50, c51, va, vb, beta); c += ldc;
        Store(c, c60, c61, va, vb, beta); c += ldc;
        Store(c, c70, c71, va, vb, beta);
    }

    /// <summary>Raw sums of a whole tile (every row of an 8-row panel is worth computing).</summary>
    public static void RunEdge(int kc, float* a, float* b, float* edge, int rows) => Run(kc, a, b, edge, 32, 1f, 0f);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> x0, Vector512<float> x1, Vector512<float> va, Vector512<float> vb, float beta)
    {
        x0 *= va;
        x1 *= va;
        if (beta == 1f)
        {
            x0 += Vector512.Load(c);
            x1 += Vector512.Load(c + 16);
        }
        else if (beta != 0f)
        {
            x0 += Vector512.Load(c) * vb;
            x1 += Vector512.Load(c + 16) * vb;
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + 16);
    }
}
