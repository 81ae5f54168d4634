// Weight initialisers, matching PyTorch's defaults so that freshly built models are comparable.

namespace Unravel.Nn;

/// <summary>How <see cref="WeightSource"/> fills a tensor that is not loaded from a checkpoint.</summary>
public abstract record Init
{
    public static Init Zeros { get; } = new ConstantInit(0f);
    public static Init Ones { get; } = new ConstantInit(1f);

    /// <summary>U(-1/√fanIn, 1/√fanIn): PyTorch's default for Linear/Conv weights (kaiming_uniform with a=√5) and biases.</summary>
    public static Init TorchDefault(int fanIn) => new UniformInit(fanIn > 0 ? 1f / MathF.Sqrt(fanIn) : 0f);

    /// <summary>Kaiming normal, fan-out mode, ReLU gain (torchvision ResNet conv init).</summary>
    public static Init KaimingNormalFanOut(int fanOut) => new NormalInit(MathF.Sqrt(2f / fanOut));

    public static Init Normal(float std) => new NormalInit(std);

    internal abstract void Fill(Span<float> values, Random rng);

    private sealed record ConstantInit(float Value) : Init
    {
        internal override void Fill(Span<float> values, Random rng) => values.Fill(Value);
    }

    private sealed record UniformInit(float Bound) : Init
    {
        internal override void Fill(Span<float> values, Random rng)
        {
            for (int i = 0; i < values.Length; i++) values[i] = (float)((rng.NextDouble() * 2 - 1) * Bound);
        }
    }

    private sealed record NormalInit(float Std) : Init
    {
        internal override void Fill(Span<float> values, Random rng)
        {
            Tensor t = Tensor.RandomNormal(rng, values.Length);
            for (int i = 0; i < values.Length; i++) values[i] = t.Data[i] * Std;
        }
    }
}
