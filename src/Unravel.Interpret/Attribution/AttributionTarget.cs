// Which output an attribution explains and how the backward walk is seeded: a class per batch row (or the arg-max),
// seeded with the logit value (CRP's `relevance_init`, so total relevance = f_c(x)) or with 1 (a plain gradient).

using Unravel.Tensors;

namespace Unravel.Interpret.Attribution;

/// <summary>How the output relevance of the target class is initialised.</summary>
public enum SeedMode
{
    /// <summary>The logit value itself (zennit-crp default): the total relevance equals f_c(x).</summary>
    Logit,

    /// <summary>One: the backward computes ∂f_c/∂x (gradient methods) or a unit-normalised LRP.</summary>
    One,
}

/// <summary>The class explained for each batch row; null classes mean the predicted (arg-max) class.</summary>
/// <param name="Classes">One class per batch row, one class for all rows, or null for the arg-max.</param>
/// <param name="Seed">Initial relevance at the target logit.</param>
public sealed record AttributionTarget(IReadOnlyList<int>? Classes = null, SeedMode Seed = SeedMode.Logit)
{
    /// <summary>The predicted class of every row, seeded with the logit.</summary>
    public static AttributionTarget Predicted { get; } = new();

    /// <summary>Class <paramref name="c"/> for every row.</summary>
    public static AttributionTarget Class(int c, SeedMode seed = SeedMode.Logit) => new([c], seed);

    /// <summary>The class of each row of <paramref name="logits"/> [N, K].</summary>
    /// <exception cref="ArgumentException">The output is not [N, K], or a class is out of range.</exception>
    public int[] Resolve(Tensor logits)
    {
        if (logits.Rank != 2)
            throw new ArgumentException($"attribution: the model output must be [N, Classes], got {logits.ShapeString}.");
        int n = logits.Dim(0), k = logits.Dim(1);
        var classes = new int[n];
        for (int r = 0; r < n; r++)
        {
            if (Classes is null || Classes.Count == 0)
            {
                ReadOnlySpan<float> row = logits.Data.Slice(r * k, k);
                classes[r] = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(row);
                continue;
            }
            int c = Classes.Count == 1 ? Classes[0] : Classes.Count == n ? Classes[r]
                : throw new ArgumentException($"attribution: {Classes.Count} target classes for a batch of {n}.");
            if (c < 0 || c >= k)
                throw new AnalysisException($"attribution: target class {c} is out of range; the model has {k} classes (0..{k - 1}).",
                    "pick a class in that range (--target), or leave it out for the predicted class");
            classes[r] = c;
        }
        return classes;
    }

    /// <summary>The seed tensor for <paramref name="logits"/>: zeros except the target of each row.</summary>
    public Tensor SeedFor(Tensor logits, int[] classes)
    {
        int n = logits.Dim(0), k = logits.Dim(1);
        Tensor seed = Tensor.Zeros(n, k);
        for (int r = 0; r < n; r++)
            seed.Data[r * k + classes[r]] = Seed == SeedMode.Logit ? logits.Data[r * k + classes[r]] : 1f;
        return seed;
    }
}
