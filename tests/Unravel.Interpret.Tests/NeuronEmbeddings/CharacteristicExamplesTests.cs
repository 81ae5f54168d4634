// The characteristic-example accumulator against a brute-force reading of the paper's rule (first N inputs in corpus
// order whose maximum reaches 0.75 × the neuron's maximum; Foote 2024 §4.1.1), its merge against one pass, and its
// top-k option against a sort.

using Unravel.Interpret.NeuronEmbeddings;
using Unravel.Tensors;

namespace Unravel.Interpret.Tests.NeuronEmbeddings;

public sealed class CharacteristicExamplesTests
{
    private const int Inputs = 300, T = 6, F = 7;

    /// <summary>[Inputs, T, F] activations; values rounded to a coarse grid so that ties occur, drifting upwards with
    /// the input index for some neurons (so the maximum keeps rising and earlier candidates drop out).</summary>
    private static float[] Activations(int seed)
    {
        var rng = new Random(seed);
        var a = new float[Inputs * T * F];
        for (int i = 0; i < Inputs; i++)
            for (int t = 0; t < T; t++)
                for (int j = 0; j < F; j++)
                {
                    double v = rng.NextDouble() * 4 - 1 + (j % 3 == 0 ? i / 100.0 : 0);
                    if (j == F - 1) v = -1 - rng.NextDouble();   // a dead neuron: its maximum is negative
                    a[(i * T + t) * F + j] = MathF.Round((float)v * 8) / 8;
                }
        return a;
    }

    private static CharacteristicExample[][] BruteForce(float[] a, int count, float ratio, bool topK)
    {
        var result = new CharacteristicExample[F][];
        for (int j = 0; j < F; j++)
        {
            var perInput = new List<CharacteristicExample>();
            for (int i = 0; i < Inputs; i++)
            {
                int at = 0;
                for (int t = 1; t < T; t++) if (a[(i * T + t) * F + j] > a[(i * T + at) * F + j]) at = t;
                perInput.Add(new CharacteristicExample(i, at, a[(i * T + at) * F + j]));
            }
            float max = perInput.Max(e => e.Activation);
            result[j] = topK
                ? perInput.OrderByDescending(e => e.Activation).ThenBy(e => e.Input).Take(count).ToArray()
                : max > 0 ? perInput.Where(e => e.Activation >= ratio * max).Take(count).ToArray() : [];
        }
        return result;
    }

    private static CharacteristicExamples Run(float[] a, CharacteristicExampleOptions options, int first, int end, int batch)
    {
        var acc = new CharacteristicExamples(F, options);
        for (int s = first; s < end; s += batch)
        {
            int n = Math.Min(batch, end - s);
            acc.Update(Tensor.FromArray(a[(s * T * F)..((s + n) * T * F)], n, T, F), s);
        }
        return acc;
    }

    [Theory]
    [InlineData(ExampleSelection.FirstAboveThreshold, 10, 1)]
    [InlineData(ExampleSelection.FirstAboveThreshold, 10, 64)]
    [InlineData(ExampleSelection.FirstAboveThreshold, 1, 17)]
    [InlineData(ExampleSelection.TopK, 10, 32)]
    public void Update_AnyBatching_EqualsBruteForce(ExampleSelection selection, int count, int batch)
    {
        float[] a = Activations(1);
        var options = new CharacteristicExampleOptions { Count = count, Selection = selection };
        CharacteristicExampleSet result = Run(a, options, 0, Inputs, batch).ToResult();
        CharacteristicExample[][] expected = BruteForce(a, count, 0.75f, selection == ExampleSelection.TopK);
        Assert.Equal(selection, result.Selection);
        Assert.Equal(Inputs, result.Inputs);
        for (int j = 0; j < F; j++)
        {
            Assert.Equal(expected[j], result.Examples[j]);
            Assert.True(result.Exact[j]);
        }
        if (selection == ExampleSelection.FirstAboveThreshold) Assert.Empty(result.Examples[F - 1]);   // dead: max ≤ 0
        Assert.True(result.Examples[0].Length == count, "a live neuron has its N examples");
    }

    [Theory]
    [InlineData(ExampleSelection.FirstAboveThreshold)]
    [InlineData(ExampleSelection.TopK)]
    public void Merge_OfShards_EqualsOnePassStateAndResult(ExampleSelection selection)
    {
        float[] a = Activations(2);
        var options = new CharacteristicExampleOptions { Count = 8, Selection = selection };
        CharacteristicExamples one = Run(a, options, 0, Inputs, 16);
        // Shards merged out of order: the state is a set defined by the inputs alone.
        CharacteristicExamples merged = Run(a, options, 160, Inputs, 16);
        merged.Merge(Run(a, options, 0, 64, 16));
        merged.Merge(Run(a, options, 64, 160, 16));
        // The candidate sets are equal (top-k heaps may be laid out differently, so compare those by result only).
        if (selection == ExampleSelection.FirstAboveThreshold) Assert.Equal(Bytes(one), Bytes(merged));
        Assert.Equal(one.ToResult().Examples, merged.ToResult().Examples);
        Assert.Equal(one.ToResult().Maximum, merged.ToResult().Maximum);
        Assert.Equal(Inputs, merged.Inputs);
        CharacteristicExamples loaded = CharacteristicExamples.Load(new BinaryReader(new MemoryStream(Bytes(merged))));
        Assert.Equal(Bytes(merged), Bytes(loaded));
    }

    [Fact]
    public void Capacity_DroppingOnlyBelowThreshold_StaysExact_AndReportsWhenItCannot()
    {
        // Neuron 0: values rise, so with a tight capacity some kept candidates must go.
        var options = new CharacteristicExampleOptions { Count = 2, Capacity = 3 };
        var acc = new CharacteristicExamples(1, options);
        float[] values = [4.0f, 4.1f, 4.2f, 4.3f, 4.4f, 5.0f];   // none dominated by 2 earlier stronger ones
        for (int i = 0; i < values.Length; i++) acc.Update(Tensor.FromArray([values[i]], 1, 1, 1), i);
        CharacteristicExampleSet r = acc.ToResult();
        Assert.Equal(3, acc.CandidateCount(0));
        // Final threshold 3.75: every value qualifies, so the dropped 4.0 and 4.1 were needed.
        Assert.False(r.Exact[0]);
        var exact = new CharacteristicExamples(1, options);
        float[] rising = [1f, 1.1f, 1.2f, 1.3f, 9f, 8f];   // the last maximum makes the dropped ones irrelevant
        for (int i = 0; i < rising.Length; i++) exact.Update(Tensor.FromArray([rising[i]], 1, 1, 1), i);
        CharacteristicExampleSet e = exact.ToResult();
        Assert.True(e.Exact[0]);
        Assert.Equal([4L, 5L], e.Examples[0].Select(x => x.Input));
    }

    [Fact]
    public void Update_ChannelsFirst_TakesThePeakOverSpace()
    {
        var acc = new CharacteristicExamples(2, new CharacteristicExampleOptions { Count = 5 });
        // [1, 2, 2, 2]: channel 0 peaks at flat position 3, channel 1 at 1.
        acc.Update(Tensor.FromArray([0f, 1f, 2f, 3f, 5f, 7f, 6f, 1f], 1, 2, 2, 2), 0);
        CharacteristicExampleSet r = acc.ToResult();
        Assert.Equal(new CharacteristicExample(0, 3, 3f), r.Examples[0].Single());
        Assert.Equal(new CharacteristicExample(0, 1, 7f), r.Examples[1].Single());
    }

    private static byte[] Bytes(CharacteristicExamples acc)
    {
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true)) acc.Save(w);
        return ms.ToArray();
    }
}
