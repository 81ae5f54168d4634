using Unravel.Tensors.Kernels;
using Unravel.Tensors.Tests.Support;

namespace Unravel.Tensors.Tests.Kernels;

public sealed class SoftmaxKernelTests
{
    private const int Rows = 3;

    // Plain double-precision references over [outer, dim, inner] with the softmax axis in the middle.
    private static float[] RefSoftmax(float[] x, int outer, int dim, int inner, bool log)
    {
        var y = new float[x.Length];
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double max = double.NegativeInfinity;
                for (int d = 0; d < dim; d++) max = Math.Max(max, x[(o * dim + d) * inner + i]);
                double sum = 0;
                for (int d = 0; d < dim; d++) sum += Math.Exp(x[(o * dim + d) * inner + i] - max);
                for (int d = 0; d < dim; d++)
                {
                    double v = x[(o * dim + d) * inner + i] - max;
                    y[(o * dim + d) * inner + i] = (float)(log ? v - Math.Log(sum) : Math.Exp(v) / sum);
                }
            }
        return y;
    }

    private static float[] RefBackward(float[] y, float[] dy, float[] dx0, int outer, int dim, int inner, bool log)
    {
        var dx = (float[])dx0.Clone();
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double s = 0;
                for (int d = 0; d < dim; d++)
                {
                    int k = (o * dim + d) * inner + i;
                    s += log ? dy[k] : (double)dy[k] * y[k];
                }
                for (int d = 0; d < dim; d++)
                {
                    int k = (o * dim + d) * inner + i;
                    dx[k] += (float)(log ? dy[k] - Math.Exp(y[k]) * s : y[k] * (dy[k] - s));
                }
            }
        return dx;
    }

    private static float[] Random(Random rng, int n, float scale = 3f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_RowLengths0To257_MatchScalarReference(bool log)
    {
        var rng = new Random(1);
        for (int cols = 0; cols <= 257; cols++)
        {
            float[] x = Random(rng, Rows * cols), y = new float[x.Length];
            if (log) LogSoftmax.Forward(x, y, Rows, cols); else Softmax.Forward(x, y, Rows, cols);
            TensorAssert.Close(RefSoftmax(x, Rows, cols, 1, log), y, 1e-6f, 1e-5f, $"cols {cols}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Backward_RowLengths0To257_MatchScalarReference(bool log)
    {
        var rng = new Random(2);
        for (int cols = 0; cols <= 257; cols++)
        {
            float[] x = Random(rng, Rows * cols), dy = Random(rng, Rows * cols, 1f), dx = Random(rng, Rows * cols, 1f);
            float[] y = RefSoftmax(x, Rows, cols, 1, log), expected = RefBackward(y, dy, dx, Rows, cols, 1, log);
            if (log) LogSoftmax.Backward(y, dy, dx, Rows, cols); else Softmax.Backward(y, dy, dx, Rows, cols);
            TensorAssert.Close(expected, dx, 1e-6f, 1e-5f, $"cols {cols}");
        }
    }

    [Theory]
    [InlineData(false, 2, 1, 3)]
    [InlineData(false, 1, 5, 257)]
    [InlineData(true, 3, 4, 7)]
    [InlineData(true, 2, 9, 300)]   // more than one 256-column strip
    [InlineData(false, 2, 0, 4)]
    public void StridedAxis_ForwardAndBackward_MatchScalarReference(bool log, int outer, int dim, int inner)
    {
        var rng = new Random(3);
        int n = outer * dim * inner;
        float[] x = Random(rng, n), y = new float[n], dy = Random(rng, n, 1f), dx = Random(rng, n, 1f);
        if (log) LogSoftmax.Forward(x, y, outer, dim, inner); else Softmax.Forward(x, y, outer, dim, inner);
        float[] yRef = RefSoftmax(x, outer, dim, inner, log);
        TensorAssert.Close(yRef, y, 1e-6f, 1e-5f, "forward");
        float[] expected = RefBackward(yRef, dy, dx, outer, dim, inner, log);
        if (log) LogSoftmax.Backward(yRef, dy, dx, outer, dim, inner); else Softmax.Backward(yRef, dy, dx, outer, dim, inner);
        TensorAssert.Close(expected, dx, 1e-6f, 1e-5f, "backward");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_LargeMagnitudes_DoNotOverflow(bool log)
    {
        float[] x = [1000f, 999f, -1000f, 88f], y = new float[4];
        if (log) LogSoftmax.Forward(x, y, 1, 4); else Softmax.Forward(x, y, 1, 4);
        TensorAssert.Close(RefSoftmax(x, 1, 4, 1, log), y, 1e-6f, 1e-5f, "large");
        Assert.All(y, v => Assert.False(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Forward_SpecialValues_FollowTorch(bool log)
    {
        // torch: a row with +Inf or NaN, or of only -Inf, is all NaN; -Inf among finite values → 0 (log: -Inf).
        float inf = float.PositiveInfinity, nan = float.NaN;
        float[] x = [0f, inf, -0f, -inf, -inf, -inf, nan, 1f, 2f, -inf, 0f, -0f], y = new float[12];
        if (log) LogSoftmax.Forward(x, y, 4, 3); else Softmax.Forward(x, y, 4, 3);
        for (int i = 0; i < 9; i++) Assert.True(float.IsNaN(y[i]), $"element {i} = {y[i]}");
        float half = log ? -MathF.Log(2f) : 0.5f;
        TensorAssert.Close([log ? -inf : 0f, half, half], y.AsSpan(9), 1e-6f, 1e-5f, "row with -Inf");
    }

    [Fact]
    public void Forward_InPlace_MatchesOutOfPlace()
    {
        float[] x = Random(new Random(4), 2 * 37), y = new float[x.Length], z = (float[])x.Clone(), w = (float[])x.Clone();
        Softmax.Forward(x, y, 2, 37);
        Softmax.Forward(z, z, 2, 37);
        Assert.Equal(y, z);
        LogSoftmax.Forward(x, y, 2, 37);
        LogSoftmax.Forward(w, w, 2, 37);
        Assert.Equal(y, w);
    }

    [Fact]
    public void Forward_PartialOverlapOrShortSpan_Throws()
    {
        var buf = new float[20];
        Assert.Throws<ArgumentException>(() => Softmax.Forward(buf.AsSpan(0, 10), buf.AsSpan(5, 10), 2, 5));
        Assert.Throws<ArgumentException>(() => Softmax.Forward(new float[9], new float[10], 2, 5));
        Assert.Throws<ArgumentException>(() => Softmax.Backward(buf.AsSpan(0, 10), buf.AsSpan(10, 10), buf.AsSpan(0, 10), 2, 5));
    }
}
