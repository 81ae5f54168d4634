// Permute, Transpose, Slice and Concat against PyTorch fixtures (tools/fixtures/ops_shape.py), central differences,
// and argument errors.

using Unravel.Tensors.Autograd;
using Unravel.Tensors.Tests.Support;
using T = Unravel.Tensors.Ops;

namespace Unravel.Tensors.Tests.Ops;

public sealed class ShapeOpTests
{
    public static TheoryData<string> Cases => OpCase.Names("shape");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Shape_MatchesPyTorch(string name)
    {
        OpCase c = OpCase.Get("shape", name);
        OpCheck.ForwardAndBackward(c, x => c.Op switch
        {
            "permute" => T.Permute(x["x"], c.Ints("dims")),
            "transpose" => T.Transpose(x["x"], c.Int("dim0"), c.Int("dim1")),
            "slice" => T.Slice(x["x"], c.Int("axis"), c.Int("start"), c.Int("end"), c.Int("step")),
            "concat" => T.Concat(Enumerable.Range(0, c.Int("n")).Select(i => x[$"x{i}"]).ToArray(), c.Int("axis")),
            _ => throw new InvalidOperationException(c.Op),
        });
    }

    [Fact]
    public void ShapeOps_CentralDifference()
    {
        var rng = new Random(3);
        Tensor x = Tensor.RandomNormal(rng, 2, 3, 4);
        GradCheck.Check(t => T.Permute(t[0], 2, 0, 1), [x], "permute");
        GradCheck.Check(t => T.Transpose(t[0], 0, -1), [x], "transpose");
        GradCheck.Check(t => T.Slice(t[0], 1, -2, 3), [x], "slice");
        GradCheck.Check(t => T.Slice(t[0], -1, 0, 4, 3), [x], "slice step 3");
        Tensor b = Tensor.RandomNormal(rng, 2, 1, 4);
        GradCheck.Check(t => T.Concat([t[0], t[1], t[0]], 1), [x, b], "concat (x used twice)");
    }

    [Fact]
    public void Permute_MatchesNaiveIndexing_ForEveryPermutationOfRank4()
    {
        int[] shape = [2, 3, 1, 5];
        Tensor x = Tensor.RandomNormal(new Random(4), shape);
        foreach (int[] dims in Permutations([0, 1, 2, 3]))
        {
            Tensor y = T.Permute(x, dims);
            for (int a = 0; a < shape[0]; a++)
                for (int b = 0; b < shape[1]; b++)
                    for (int c = 0; c < shape[2]; c++)
                        for (int d = 0; d < shape[3]; d++)
                        {
                            int[] src = [a, b, c, d];
                            int[] dst = dims.Select(k => src[k]).ToArray();
                            Assert.Equal(x[src], y[dst]);
                        }
        }
    }

    [Fact]
    public void Permute_LargeParallel_RoundTripsAndGradientIsInversePermute()
    {
        // [B, T, H, D] → [B, H, T, D], big enough to be split across threads.
        using var tape = new Tape();
        Tensor x = tape.Watch(Tensor.RandomNormal(new Random(5), 4, 65, 12, 33));
        Tensor y = T.Permute(x, 0, 2, 1, 3);
        Assert.Equal([4, 12, 65, 33], y.Shape.ToArray());
        Assert.Equal(x.ToArray(), T.Permute(y.Detach(), 0, 2, 1, 3).ToArray());
        Tensor dy = Tensor.RandomNormal(new Random(6), 4, 12, 65, 33);
        Assert.Equal(T.Permute(dy, 0, 2, 1, 3).ToArray(), tape.Backward(y, dy)[x]!.ToArray());
    }

    [Fact]
    public void Permute_NotAPermutation_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Permute(Tensor.Zeros(2, 3, 4), 0, 1));
        Assert.Contains("permute", e.Message);
        Assert.Contains("[2, 3, 4]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Permute(Tensor.Zeros(2, 3, 4), 0, 1, -2));
        Assert.Contains("permute", e.Message);
        Assert.Contains("[0, 1, -2]", e.Message);
        Assert.Throws<ArgumentException>(() => T.Permute(Tensor.Zeros(2, 3), 0, 2));
    }

    [Fact]
    public void Transpose_AxisOutOfRange_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Transpose(Tensor.Zeros(2, 3), 0, 2));
        Assert.Contains("transpose", e.Message);
        Assert.Contains("[2, 3]", e.Message);
    }

    [Fact]
    public void Slice_BadAxisOrStep_ThrowsNamingOpAndShape()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Slice(Tensor.Zeros(4, 5), 2, 0, 1));
        Assert.Contains("slice", e.Message);
        Assert.Contains("[4, 5]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Slice(Tensor.Zeros(4, 5), 1, 0, 5, 0));
        Assert.Contains("slice", e.Message);
        Assert.Contains("[4, 5]", e.Message);
        Assert.Throws<ArgumentException>(() => T.Slice(Tensor.Zeros(4, 5), 0, 4, 0, -1));
    }

    [Fact]
    public void Slice_PythonSemantics()
    {
        Tensor x = Tensor.FromArray([0f, 1f, 2f, 3f, 4f, 5f, 6f]);
        Assert.Equal([4f, 5f], T.Slice(x, 0, -3, -1).ToArray());          // x[-3:-1]
        Assert.Equal([1f, 4f], T.Slice(x, 0, 1, 6, 3).ToArray());          // x[1:6:3]
        Assert.Equal([0f, 2f, 4f, 6f], T.Slice(x, 0, -99, 99, 2).ToArray()); // x[-99:99:2]
        Assert.Equal([0], T.Slice(x, 0, 5, 2).Shape.ToArray());            // x[5:2] is empty
        Assert.Equal([0], T.Slice(x, 0, int.MinValue, int.MinValue).Shape.ToArray());
    }

    [Fact]
    public void Concat_MismatchedShapes_ThrowsNamingOpAndShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => T.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(4, 2)], 0));
        Assert.Contains("concat", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4, 2]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Concat([Tensor.Zeros(2, 3), Tensor.Zeros(2, 3, 1)], 1));
        Assert.Contains("[2, 3, 1]", e.Message);
        e = Assert.Throws<ArgumentException>(() => T.Concat([Tensor.Zeros(2, 3)], 2));
        Assert.Contains("concat", e.Message);
        Assert.Contains("[2, 3]", e.Message);
        Assert.Throws<ArgumentException>(() => T.Concat([], 0));
    }

    [Fact]
    public void Concat_OnlySomeInputsTracked_GradientsOnlyForThose()
    {
        using var tape = new Tape();
        Tensor a = tape.Watch(Tensor.RandomNormal(new Random(1), 2, 2));
        Tensor b = Tensor.RandomNormal(new Random(2), 2, 3);
        Tensor y = T.Concat([a, b], -1);
        GradStore g = tape.Backward(y, Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f], 2, 5));
        Assert.Equal([1f, 2f, 6f, 7f], g[a]!.ToArray());
        Assert.Null(g[b]);
    }

    private static IEnumerable<int[]> Permutations(int[] items)
    {
        if (items.Length <= 1) { yield return items; yield break; }
        for (int i = 0; i < items.Length; i++)
            foreach (int[] rest in Permutations([.. items[..i], .. items[(i + 1)..]]))
                yield return [items[i], .. rest];
    }
}
