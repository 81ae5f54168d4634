// Model passes inside a TensorArena scope against the same passes without one: ResNet-18 (random init) forward and
// forward + input gradient, and GPT-2 (small config, random init) forward must match element for element, after the
// arena's buffers already hold another batch's values. And in the steady state a batch allocates almost nothing: the
// GC-allocated bytes of a warm ResNet-18 batch stay under a small bound (allocation counts are deterministic; this is
// not a timed test), while the same batch without the arena allocates its activations afresh.

using Unravel.Interpret.Attribution;
using Unravel.Models.Text;
using Unravel.Models.Vision;
using Unravel.Nn;
using Unravel.Tensors;
using Xunit.Abstractions;

namespace Unravel.Interpret.Tests.Arena;

/// <summary>Runs alone: the allocation bound reads the process-wide allocation counter, which other tests' threads would
/// move.</summary>
[CollectionDefinition(nameof(ArenaModelTests), DisableParallelization = true)]
public sealed class ArenaModelTestsCollection;

[Collection(nameof(ArenaModelTests))]
public sealed class ArenaModelTests(ITestOutputHelper output)
{
    private static readonly Lazy<ResNet> s_resnet18 = new(() => new ResNet(WeightSource.Initialize(21), ResNetConfig.ResNet18));

    [Fact]
    public void ResNet18_Forward_InAnArena_IsBitIdenticalToWithout()
    {
        ResNet model = s_resnet18.Value;
        Tensor x = Tensor.RandomNormal(new Random(1), 2, 3, 64, 64);
        float[] plain = model.Forward(x).ToArray();

        var arena = new TensorArena();
        float[] pooled = [];
        for (int batch = 0; batch < 3; batch++)
        {
            Tensor input = batch == 2 ? x : Tensor.RandomNormal(new Random(100 + batch), 2, 3, 64, 64);
            using ArenaScope scope = arena.Begin();
            pooled = scope.Keep(model.Forward(input)).ToArray();
        }
        Assert.Equal(plain, pooled);
    }

    [Fact]
    public void ResNet18_InputGradient_InAnArena_IsBitIdenticalToWithout()
    {
        ResNet model = s_resnet18.Value;
        Tensor x = Tensor.RandomNormal(new Random(2), 2, 3, 64, 64);
        (Tensor plain, int[] plainClasses) = Gradients.Gradient(model.Forward, x);

        var arena = new TensorArena();
        float[] pooled = [];
        int[] classes = [];
        for (int batch = 0; batch < 3; batch++)
        {
            Tensor input = batch == 2 ? x : Tensor.RandomNormal(new Random(200 + batch), 2, 3, 64, 64);
            using ArenaScope scope = arena.Begin();
            (Tensor g, classes) = Gradients.Gradient(model.Forward, input);
            pooled = g.ToArray();
        }
        Assert.Equal(plainClasses, classes);
        Assert.Equal(plain.ToArray(), pooled);
    }

    [Fact]
    public void Gpt2Small_Forward_InAnArena_IsBitIdenticalToWithout()
    {
        var model = new Gpt2(WeightSource.Initialize(22), Gpt2Config.Small);
        int[] Tokens(int seed)
        {
            var rng = new Random(seed);
            return Enumerable.Range(0, 2 * 16).Select(_ => rng.Next(Gpt2Config.Small.Vocab)).ToArray();
        }
        int[] tokens = Tokens(3);
        float[] plain = model.Forward(tokens, 2, 16).ToArray();

        var arena = new TensorArena();
        float[] pooled = [];
        for (int batch = 0; batch < 3; batch++)
        {
            using ArenaScope scope = arena.Begin();
            pooled = scope.Keep(model.Forward(batch == 2 ? tokens : Tokens(300 + batch), 2, 16)).ToArray();
        }
        Assert.Equal(plain, pooled);
    }

    [Fact]
    public void ResNet18_SteadyStateBatch_AllocatesLessThanABound()
    {
        ResNet model = s_resnet18.Value;
        Tensor x = Tensor.RandomNormal(new Random(4), 2, 3, 112, 112);
        using FrozenWeights frozen = model.FreezeWeights();
        var arena = new TensorArena();
        long Batch(bool useArena)
        {
            long before = GC.GetTotalAllocatedBytes(precise: true);
            if (useArena)
            {
                using ArenaScope scope = arena.Begin();
                model.Forward(x);
            }
            else model.Forward(x);
            return GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        for (int i = 0; i < 2; i++) Batch(useArena: true);
        int buffers = arena.AllocatedBuffers;
        // Medians of 5: a batch that lands on a thread-pool thread new to the kernels also allocates that thread's
        // convolution workspace once (the documented exception to the steady state).
        long pooled = Enumerable.Range(0, 5).Select(_ => Batch(useArena: true)).Order().ElementAt(2);
        long plain = Enumerable.Range(0, 5).Select(_ => Batch(useArena: false)).Order().ElementAt(2);
        output.WriteLine($"allocated per batch: {pooled} B with the arena (working set {arena.AllocatedBytes} B in {buffers} buffers), {plain} B without");

        Assert.Equal(buffers, arena.AllocatedBuffers);         // no new arena buffer after warm-up
        Assert.True(pooled < 512 * 1024, $"a steady-state batch allocated {pooled} bytes");
        Assert.True(plain > 4 * pooled, $"without the arena a batch allocated only {plain} bytes (with: {pooled})");
    }
}
