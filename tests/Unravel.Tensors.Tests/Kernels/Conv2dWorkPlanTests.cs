// How the packed and Winograd convolutions cut their positions into blocks for the threads (Conv2dPacked.WorkPlan):
// the blocks tile [0, count) within the limits, the threads get equal shares, and the thread count never changes a
// result bit. Changes Parallelism.Threads, so it runs in the GEMM tests' serial collection.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;
using WorkPlan = Unravel.Tensors.Kernels.Conv2dPacked.WorkPlan;

namespace Unravel.Tensors.Tests.Kernels;

[Collection(nameof(GemmTests))]
public class Conv2dWorkPlanTests
{
    [Theory]
    [InlineData(1, 32)]
    [InlineData(49, 32)]
    [InlineData(196, 32)]
    [InlineData(256, 32)]
    [InlineData(257, 16)]
    [InlineData(784, 32)]
    [InlineData(3136, 32)]
    [InlineData(12544, 16)]
    public void WorkPlan_Blocks_TileTheRangeInEqualShares(int count, int unit)
    {
        const int maxBlock = 256, rowPanels = 22;
        foreach (int threads in new[] { 1, 2, 3 })
        {
            WorkPlan plan = WithThreads(threads, () => WorkPlan.For(count, unit, maxBlock, rowPanels));
            int[] b = plan.Bounds;
            Assert.Equal(0, b[0]);
            Assert.Equal(count, b[^1]);
            for (int i = 0; i + 1 < b.Length; i++)
            {
                Assert.InRange(b[i + 1] - b[i], 1, maxBlock);
                Assert.Equal(0, b[i] % unit);
            }

            // Every block is visited once per row range; the row ranges of a block cover all panels once.
            var visits = new int[b.Length - 1];
            var rows = new int[b.Length - 1];
            for (int item = 0; item < plan.Items; item++)
                for (int block = plan.FirstBlock(item); block < plan.EndBlock(item); block++)
                {
                    visits[block]++;
                    (int r0, int r1) = plan.Rows(item);
                    rows[block] += r1 - r0;
                }
            Assert.All(visits, v => Assert.Equal(plan.RowSplit, v));
            Assert.All(rows, r => Assert.Equal(rowPanels, r));

            int blocks = (count + maxBlock - 1) / maxBlock;
            if (blocks >= threads)
            {
                // One share per thread, each within half a unit of count / threads at both ends (boundaries at the
                // nearest multiple of the unit): 196 tiles on two threads as 96 + 100, not 128 + 68.
                Assert.Equal(1, plan.RowSplit);
                Assert.Equal(threads, plan.Items);
                for (int item = 0; item < plan.Items; item++)
                {
                    int size = b[plan.EndBlock(item)] - b[plan.FirstBlock(item)];
                    Assert.InRange(size, (double)count / threads - unit, (double)count / threads + unit);
                }
            }
            else
            {
                Assert.Equal(Math.Min(rowPanels, (threads + blocks - 1) / blocks), plan.RowSplit);
            }
        }
    }

    /// <summary>16 images of 7×7 (784 positions, blocks that do not divide evenly), the packed path and Winograd, forward
    /// and input gradient: 1, 2 and 3 threads give the same bits.</summary>
    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(1, true)]
    public void Conv2d_ThreadCount_DoesNotChangeABit(int stride, bool winograd)
    {
        var rng = new Random(21);
        Tensor x = Tensor.RandomNormal(rng, 16, 8, 7 * stride, 7 * stride), w = Tensor.RandomNormal(rng, 12, 8, 3, 3);
        var options = new Conv2dOptions { Stride = (stride, stride), Padding = (1, 1) };
        Conv2dAlgorithm algorithm = winograd ? Conv2dAlgorithm.Winograd : Conv2dAlgorithm.PackedGemm;
        Tensor dy = Tensor.RandomNormal(rng, 16, 12, 7, 7);

        (float[] Y, float[] Dx) Run()
        {
            using var tape = new Tape();
            Tensor xs = tape.Watch(x.Clone());
            Tensor y = Tensors.Ops.Conv2d(xs, w, null, options, algorithm);
            return (y.ToArray(), tape.Backward(y, dy)[xs]!.ToArray());
        }

        (float[] y1, float[] dx1) = WithThreads(1, Run);
        foreach (int threads in new[] { 2, 3 })
        {
            (float[] y, float[] dx) = WithThreads(threads, Run);
            Assert.Equal(y1, y);
            Assert.Equal(dx1, dx);
        }
        float[] direct = Tensors.Ops.Conv2d(x, w, null, options, Conv2dAlgorithm.Direct).ToArray();
        for (int i = 0; i < direct.Length; i++)
            Assert.True(Math.Abs(direct[i] - y1[i]) <= 1e-4f * (1 + Math.Abs(direct[i])), $"element {i}: {y1[i]} vs direct {direct[i]}");
    }

    private static T WithThreads<T>(int threads, Func<T> body)
    {
        int saved = Parallelism.Threads;
        Parallelism.Threads = threads;
        try { return body(); }
        finally { Parallelism.Threads = saved; }
    }
}
