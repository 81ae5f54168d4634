// LE(Model): concept probabilities from an independent classifier, our offline stand-in for LE(SigLIP) (Oikarinen &
// Weng 2024, ICML, §3): the same role (an external, soft detector of the concepts), with the classifier's softmax
// probability as the score s of a class and the sum over its members as the score of a superclass, calibrated by
// σ(a·(s + b)) with a, b from the authors' grid (a ∈ {0.1, 0.25, 0.5, 0.75, 1, 2, 4, …, 150}, b ∈ {−1, −0.99, …, 1})
// minimising the binary cross-entropy against the label concepts on the validation rows. A CLIP/SigLIP similarity
// matrix plugs in the same way (scores [inputs × concepts]).

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Calibrated detector concepts.</summary>
public static class ModelConcepts
{
    /// <summary>The authors' grid of slopes.</summary>
    public static IReadOnlyList<double> SlopeGrid { get; } =
        new[] { 0.1, 0.25, 0.5, 0.75, 1 }.Concat(Enumerable.Range(1, 75).Select(i => 2.0 * i)).ToArray();

    /// <summary>Class scores [N, C] extended by one column per superclass (the sum of its members' scores) [N, C + S].</summary>
    /// <exception cref="ArgumentException">Sizes do not match, or a member is outside the classes.</exception>
    public static float[] WithSuperclasses(ReadOnlySpan<float> classScores, int classes, IReadOnlyList<Superclass> superclasses)
    {
        ArgumentNullException.ThrowIfNull(superclasses);
        if (classes < 1 || classScores.Length % classes != 0)
            throw new ArgumentException($"model concepts: {classScores.Length} scores are not rows of {classes} classes.", nameof(classScores));
        int n = classScores.Length / classes, m = classes + superclasses.Count;
        var s = new float[(long)n * m];
        for (int i = 0; i < n; i++)
        {
            ReadOnlySpan<float> row = classScores.Slice(i * classes, classes);
            row.CopyTo(s.AsSpan(i * m, classes));
            for (int j = 0; j < superclasses.Count; j++)
            {
                float sum = 0;
                foreach (int c in superclasses[j].Classes)
                    sum += (uint)c < (uint)classes ? row[c] : throw new ArgumentException($"model concepts: superclass '{superclasses[j].Name}' names class {c} of {classes}.", nameof(superclasses));
                s[i * m + classes + j] = sum;
            }
        }
        return s;
    }

    /// <summary>Grid search of a, b minimising mean BCE(σ(a(s + b)), target) over <paramref name="rows"/> and every column
    /// whose target varies on them.</summary>
    /// <exception cref="ArgumentException">Scores and targets differ in size, or no rows.</exception>
    public static SigmoidCalibration Calibrate(float[] scores, ConceptMatrix targets, ReadOnlySpan<int> rows)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(targets);
        int m = targets.Columns;
        if (scores.Length != (long)targets.Rows * m || rows.Length == 0)
            throw new ArgumentException($"model concepts: {scores.Length} scores for targets [{targets.Rows}, {m}] and {rows.Length} rows.", nameof(scores));
        // Columns whose target is constant on these rows (a superclass of every class) say nothing about a, b; the
        // authors likewise leave out their broadest superclasses.
        int[] rowArray = rows.ToArray();
        int[] used = Enumerable.Range(0, m).Where(j => rowArray.Any(r => targets[r, j] >= 0.5f != targets[rowArray[0], j] >= 0.5f)).ToArray();
        if (used.Length == 0) throw new ArgumentException("model concepts: every target column is constant on the calibration rows.", nameof(targets));
        int u = used.Length;
        var s = new double[rows.Length * u];
        var y = new bool[rows.Length * u];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < u; j++)
            {
                s[i * u + j] = scores[rows[i] * m + used[j]];
                y[i * u + j] = targets[rows[i], used[j]] >= 0.5f;
            }
        double[] slopes = SlopeGrid.ToArray();
        var best = new (double Loss, double B)[slopes.Length];
        Parallel.For(0, slopes.Length, ai =>
        {
            double a = slopes[ai], bestLoss = double.PositiveInfinity, bestB = 0;
            for (int bi = -100; bi <= 100; bi++)
            {
                double b = bi / 100.0, loss = 0;
                for (int k = 0; k < s.Length; k++)
                {
                    double z = a * (s[k] + b);
                    // −log σ(z) = softplus(−z); −log(1 − σ(z)) = softplus(z); clamped like torch's BCE (log ≥ −100).
                    loss += Math.Min(100, y[k] ? Softplus(-z) : Softplus(z));
                }
                if (loss < bestLoss)
                {
                    bestLoss = loss;
                    bestB = b;
                }
            }
            best[ai] = (bestLoss / s.Length, bestB);
        });
        int arg = 0;
        for (int i = 1; i < slopes.Length; i++) if (best[i].Loss < best[arg].Loss) arg = i;
        return new SigmoidCalibration(slopes[arg], best[arg].B, best[arg].Loss);
    }

    /// <summary>The concept matrix σ(a(s + b)) with the given names.</summary>
    public static ConceptMatrix Build(float[] scores, IReadOnlyList<string> names, SigmoidCalibration calibration, string source)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(calibration);
        if (names.Count == 0 || scores.Length % names.Count != 0)
            throw new ArgumentException($"model concepts: {scores.Length} scores are not rows of {names.Count} concepts.", nameof(scores));
        var p = new float[scores.Length];
        for (int i = 0; i < p.Length; i++) p[i] = calibration.Apply(scores[i]);
        return new ConceptMatrix(names, p, scores.Length / names.Count, new ConceptProvenance("model", source,
            FormattableString.Invariant($"σ(a·(s + b)) with a = {calibration.A}, b = {calibration.B} (BCE {calibration.CrossEntropy:F4} on the validation split)")));
    }

    private static double Softplus(double x) => x > 30 ? x : double.LogP1(Math.Exp(x));
}
