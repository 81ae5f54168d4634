// Affine map with PyTorch's layout: y = x·Wᵀ + b, weight [Out, In]. Leading dimensions of x are flattened so the
// forward and each backward product is a single GEMM; Wᵀ and dyᵀ are GEMM flags, never materialised.
// Backward: dx += dy·W, dW += dyᵀ·x, db += Σ_rows dy.
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html

using System.Numerics.Tensors;
using Unravel.Tensors.Autograd;
using Unravel.Tensors.Kernels;

namespace Unravel.Tensors;

public static partial class Ops
{
    /// <summary>y = x·weightᵀ + bias for x [..., In], weight [Out, In] and bias [Out]; returns [..., Out].</summary>
    /// <remarks>Effectively computes y[..., o] = Σ_i x[..., i] · weight[o, i] + bias[o].</remarks>
    /// <exception cref="ArgumentException">x is a scalar, weight is not 2-D, the In sizes differ, or bias is not [Out].</exception>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        using KernelTimer timer = KernelTimer.Begin("matmul", x, weight);
        string biasShape = bias is null ? "none" : bias.ShapeString;
        if (x.Rank == 0 || weight.Rank != 2 || x.Dim(-1) != weight.Dim(1))
            throw new ArgumentException(
                $"linear: input {x.ShapeString} does not match weight {weight.ShapeString} (expected x [..., In] and weight [Out, In]; bias {biasShape}).");
        int inF = weight.Dim(1), outF = weight.Dim(0);
        if (bias is not null && (bias.Rank != 1 || bias.Dim(0) != outF))
            throw new ArgumentException($"linear: bias {bias.ShapeString} does not match weight {weight.ShapeString} (expected [{outF}]).", nameof(bias));

        int[] shape = x.Shape.ToArray();
        shape[^1] = outF;
        // The bias rows or the GEMM (beta 0) write every element; only an empty inner dimension without bias leaves zeros.
        Tensor y = bias is not null || inF > 0 ? TensorStorage.Uninitialized(shape) : Tensor.Zeros(shape);
        int rows = ShapeRules.Count(x.Shape[..^1]);
        if (bias is not null)
            for (int r = 0; r < rows; r++) bias.Data.CopyTo(y.Data.Slice(r * outF, outF));
        if (rows > 0 && outF > 0 && inF > 0)
            Gemm.Sgemm(x.Data, weight.Data, y.Data, rows, outF, inF, transB: true, beta: bias is null ? 0f : 1f);

        Tensor[] inputs = bias is null ? [x, weight] : [x, weight, bias];
        Tape.Of(inputs)?.Record("linear", y, inputs, LinearBackward);
        return y;
    }

    private static void LinearBackward(Node node, Tensor dy, GradStore grads)
    {
        Tensor x = node.Inputs[0], weight = node.Inputs[1];
        Tensor? bias = node.Inputs.Count > 2 ? node.Inputs[2] : null;
        int inF = weight.Dim(1), outF = weight.Dim(0);
        int rows = ShapeRules.Count(dy.Shape[..^1]);
        if (rows == 0 || outF == 0) return;
        if (inF > 0 && grads.Wants(x))
            Gemm.Sgemm(dy.Data, weight.Data, grads.For(x).Data, rows, inF, outF, beta: 1f);              // dx += dy·W
        if (inF > 0 && grads.Wants(weight))
            Gemm.Sgemm(dy.Data, x.Data, grads.For(weight).Data, outF, inF, rows, transA: true, beta: 1f); // dW += dyᵀ·x
        if (bias is not null && grads.Wants(bias))
        {
            // Column strips, each summing rows in order: deterministic whatever the thread count.
            Tensor db = grads.For(bias);
            Parallelism.For(outF, 64, (c0, c1) =>
            {
                Span<float> acc = db.Data[c0..c1];
                ReadOnlySpan<float> g = dy.Data;
                for (int r = 0; r < rows; r++) TensorPrimitives.Add(acc, g.Slice(r * outF + c0, c1 - c0), acc);
            });
        }
    }
}
