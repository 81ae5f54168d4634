// Central-difference gradient check: compares tape gradients of L = Σ y·r (fixed random r) with
// (L(x + h) - L(x - h)) / 2h, in float32 with h = 1e-2 and rtol 1e-2 (STYLE.md).

using Unravel.Tensors;
using Unravel.Tensors.Autograd;
using Xunit.Sdk;

namespace Unravel.Tensors.Tests.Support;

public static class GradCheck
{
    /// <summary>Checks every input's gradient at up to <paramref name="maxPoints"/> random coordinates.</summary>
    public static void Check(Func<Tensor[], Tensor> f, Tensor[] inputs, string label, float h = 1e-2f,
        float rtol = 1e-2f, float atol = 1e-3f, int maxPoints = 40, int seed = 7)
    {
        var rng = new Random(seed);
        Tensor y0 = f(inputs.Select(x => x.Detach()).ToArray());
        Tensor r = Tensor.RandomNormal(rng, y0.Shape.ToArray());

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
                double numeric = (Loss(f, inputs, i, p, h, r) - Loss(f, inputs, i, p, -h, r)) / (2.0 * h);
                double a = analytic.Data[p];
                double scale = Math.Max(1.0, Math.Max(Math.Abs(numeric), Math.Abs(a)));
                if (Math.Abs(a - numeric) > atol + rtol * scale)
                    throw new XunitException($"{label}: input {i} element {p}: analytic {a:G6}, numeric {numeric:G6} (diff {Math.Abs(a - numeric):G3}).");
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
