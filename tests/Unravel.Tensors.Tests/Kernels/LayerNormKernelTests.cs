using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class LayerNormKernelTests
{
    private const int Rows = 3;
    internal const float Eps = 1e-5f;

    private static float[] Random(Random rng, int n, float scale = 1f, float shift = 0f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale + shift;
        return a;
    }

    // Double-precision reference of the forward; returns y and the per-row mean and rstd.
    internal static (float[] Y, float[] Mean, float[] Rstd) RefForward(float[] x, float[]? w, float[]? b, int rows, int cols)
    {
        var y = new float[x.Length];
        var mean = new float[rows];
        var rstd = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = 0, v = 0;
            for (int i = 0; i < cols; i++) m += x[r * cols + i];
            m /= cols;
            for (int i = 0; i < cols; i++) v += (x[r * cols + i] - m) * (x[r * cols + i] - m);
            double s = 1 / Math.Sqrt(v / cols + Eps);
            for (int i = 0; i < cols; i++)
                y[r * cols + i] = (float)((x[r * cols + i] - m) * s * (w?[i] ?? 1f) + (b?[i] ?? 0f));
            mean[r] = (float)m;
            rstd[r] = (float)s;
        }
        return (y, mean, rstd);
    }

    // Double-precision reference of the backward, accumulating into copies of dx, dw, db.
    internal static (float[] Dx, float[] Dw, float[] Db) RefBackward(float[] dy, float[] x, float[]? w, float[] mean, float[] rstd,
        float[] dx0, float[] dw0, float[] db0, int rows, int cols)
    {
        var dx = (float[])dx0.Clone();
        var dwAcc = dw0.Select(v => (double)v).ToArray();
        var dbAcc = db0.Select(v => (double)v).ToArray();
        for (int r = 0; r < rows; r++)
        {
            double gm = 0, gxm = 0;
            for (int i = 0; i < cols; i++)
            {
                double xh = (x[r * cols + i] - mean[r]) * (double)rstd[r], g = dy[r * cols + i] * (double)(w?[i] ?? 1f);
                gm += g;
                gxm += g * xh;
                dwAcc[i] += dy[r * cols + i] * xh;
                dbAcc[i] += dy[r * cols + i];
            }
            gm /= cols;
            gxm /= cols;
            for (int i = 0; i < cols; i++)
            {
                double xh = (x[r * cols + i] - mean[r]) * (double)rstd[r], g = dy[r * cols + i] * (double)(w?[i] ?? 1f);
                dx[r * cols + i] += (float)(rstd[r] * (g - gm - xh * gxm));
            }
        }
        return (dx, dwAcc.Select(v => (float)v).ToArray(), dbAcc.Select(v => (float)v).ToArray());
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void Forward_RowLengths1To257_MatchScalarReference(bool withWeight, bool withBias)
    {
        var rng = new Random(1);
        for (int cols = 1; cols <= 257; cols++)
        {
            float[] x = Random(rng, Rows * cols, 2f, 3f), y = new float[x.Length], mean = new float[Rows], rstd = new float[Rows];
            float[]? w = withWeight ? Random(rng, cols) : null, b = withBias ? Random(rng, cols) : null;
            LayerNorm.Forward(x, w, b, y, mean, rstd, Rows, cols, Eps);
            (float[] yRef, float[] mRef, float[] rRef) = RefForward(x, w, b, Rows, cols);
            TensorAssert.Close(yRef, y, 1e-5f, 1e-4f, $"cols {cols} y");
            TensorAssert.Close(mRef, mean, 1e-6f, 1e-5f, $"cols {cols} mean");
            TensorAssert.Close(rRef, rstd, 1e-5f, 1e-4f, $"cols {cols} rstd");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Backward_RowLengths1To257_AccumulateLikeScalarReference(bool withWeight)
    {
        var rng = new Random(2);
        for (int cols = 1; cols <= 257; cols++)
        {
            float[] x = Random(rng, Rows * cols, 2f, 3f), dy = Random(rng, Rows * cols);
            float[]? w = withWeight ? Random(rng, cols) : null;
            (_, float[] mean, float[] rstd) = RefForward(x, w, null, Rows, cols);
            float[] dx = Random(rng, Rows * cols), dw = Random(rng, cols), db = Random(rng, cols);
            (float[] dxRef, float[] dwRef, float[] dbRef) = RefBackward(dy, x, w, mean, rstd, dx, dw, db, Rows, cols);
            LayerNorm.Backward(dy, x, w, mean, rstd, dx, dw, db, Rows, cols);
            TensorAssert.Close(dxRef, dx, 1e-4f, 1e-3f, $"cols {cols} dx");
            TensorAssert.Close(dwRef, dw, 1e-4f, 1e-3f, $"cols {cols} dWeight");
            TensorAssert.Close(dbRef, db, 1e-5f, 1e-4f, $"cols {cols} dBias");
        }
    }

    [Fact]
    public void Backward_EmptyGradientSpans_AreSkipped()
    {
        var rng = new Random(3);
        const int cols = 9;
        float[] x = Random(rng, Rows * cols), dy = Random(rng, Rows * cols), w = Random(rng, cols);
        (_, float[] mean, float[] rstd) = RefForward(x, w, null, Rows, cols);
        var dw = new float[cols];
        LayerNorm.Backward(dy, x, w, mean, rstd, default, dw, default, Rows, cols);
        (_, float[] dwRef, _) = RefBackward(dy, x, w, mean, rstd, new float[Rows * cols], new float[cols], new float[cols], Rows, cols);
        TensorAssert.Close(dwRef, dw, 1e-4f, 1e-3f, "dWeight only");
    }

    [Fact]
    public void Backward_WeightGradient_IndependentOfThreadCount()
    {
        var rng = new Random(4);
        const int rows = 64, cols = 300;
        float[] x = Random(rng, rows * cols), dy = Random(rng, rows * cols), w = Random(rng, cols);
        (_, float[] mean, float[] rstd) = RefForward(x, w, null, rows, cols);
        float[] Run(int threads)
        {
            int saved = Parallelism.Threads;
            Parallelism.Threads = threads;
            try
            {
                var dx = new float[rows * cols];
                var dw = new float[cols];
                var db = new float[cols];
                LayerNorm.Backward(dy, x, w, mean, rstd, dx, dw, db, rows, cols);
                return [.. dx, .. dw, .. db];
            }
            finally { Parallelism.Threads = saved; }
        }
        Assert.Equal(Run(1), Run(3));
    }

    [Fact]
    public void Forward_ConstantRow_GivesBias()
    {
        // Zero variance: x̂ = 0 (rstd = 1/√eps is finite), so y = bias.
        float[] x = [2f, 2f, 2f], y = new float[3], mean = new float[1], rstd = new float[1];
        LayerNorm.Forward(x, [5f, 6f, 7f], [1f, -1f, 0.5f], y, mean, rstd, 1, 3, Eps);
        Assert.Equal([1f, -1f, 0.5f], y);
        Assert.Equal(2f, mean[0]);
    }

    [Fact]
    public void Forward_ShortSpans_Throw()
    {
        float[] m = new float[2], r = new float[2];
        Assert.Throws<ArgumentException>(() => LayerNorm.Forward(new float[5], default, default, new float[6], m, r, 2, 3));
        Assert.Throws<ArgumentException>(() => LayerNorm.Forward(new float[6], new float[2], default, new float[6], m, r, 2, 3));
        Assert.Throws<ArgumentException>(() => LayerNorm.Forward(new float[6], default, default, new float[6], new float[1], r, 2, 3));
    }
}
