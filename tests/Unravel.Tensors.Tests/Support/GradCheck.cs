// Central-difference gradient check: compares tape gradients of L = Σ y·r (fixed random r) with
// (L(x + h⁺) - L(x - h⁻)) / (h⁺ + h⁻), h = 1e-2 and rtol 1e-2 (STYLE.md). The engine computes in float32, so f itself
// runs in float32; everything around it is float64: L is summed in double, and the steps h⁺, h⁻ are the ones the
// float32 input really took ((float)(x + h) − x in double), not the nominal h. The tolerance is relative to the
// gradient, rtol·max(|analytic|, |numeric|), plus the float32 noise of the difference quotient,
// 16·ε₃₂·Σ|yₖrₖ| / (h⁺ + h⁻) (rounding of each evaluation of L, a few ulps per output term), plus a small atol;
// a gradient of 1e-3 is checked to 1e-5 rather than to the 1e-2 an absolute floor of 1 allowed.

using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Xunit.Sdk;

namespace Unravel.Tensors.Tests.Support;

public static class GradCheck
{
    /// <summary>Checks every input's gradient at up to <paramref name="maxPoints"/> random coordinates.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, string label, float h = 1e-2f,
        float rtol = 1e-2f, float atol = 1e-5f, int maxPoints = 40, int seed = 7)
    {
        var rng = new Random(seed);
        Tensor y0 = f(inputs.Select(x => x.Detach()).ToArray());
        Tensor r = Tensor.RandomNormal(rng, y0.Shape.ToArray());
        double magnitude = 0;
        for (int k = 0; k < y0.Length; k++) magnitude += Math.Abs((double)y0.Data[k] * r.Data[k]);

        GradStore grads;
        Tensor[] watched;
        using (var tape = new Tape())
        {
            watched = inputs.Select(x => tape.Watch(x.Clone())).ToArray();
            Tensor y = f(watched);
            grads = tape.Backward(y, r);
        }

        for (int i = 0; i < inputs.Length; i++)
        {
            Tensor analytic = grads[watched[i]] ?? Tensor.Zeros(inputs[i].Shape.ToArray());
            int n = inputs[i].Length;
            IEnumerable<int> points = n <= maxPoints ? Enumerable.Range(0, n) : Enumerable.Range(0, maxPoints).Select(_ => rng.Next(n));
            foreach (int p in points)
            {
                float x = inputs[i].Data[p];
                double step = ((double)(x + h) - x) + (x - (double)(x - h));
                double numeric = (Loss(f, inputs, i, p, h, r) - Loss(f, inputs, i, p, -h, r)) / step;
                double a = analytic.Data[p];
                double noise = 16 * Math.Pow(2, -24) * magnitude / step;
                double allowed = atol + noise + rtol * Math.Max(Math.Abs(numeric), Math.Abs(a));
                if (Math.Abs(a - numeric) > allowed)
                    throw new XunitException($"{label}: input {i} element {p}: analytic {a:G6}, numeric {numeric:G6} " +
                        $"(diff {Math.Abs(a - numeric):G3}, allowed {allowed:G3}).");
            }
        }
    }

    private static double Loss(Func<Tensor[], Tensor> f, Tensor[] inputs, int which, int index, float delta, Tensor r)
    {
        Tensor[] xs = inputs.Select(x => x.Clone()).ToArray();
        xs[which].Data[index] += delta;
        Tensor y = f(xs);
        double s = 0;
        for (int k = 0; k < y.Length; k++) s += (double)y.Data[k] * r.Data[k];
        return s;
    }
}
