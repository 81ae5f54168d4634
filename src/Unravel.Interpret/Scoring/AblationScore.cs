// The ablation score of Oikarinen & Weng 2024 (ICML, §4.2 / App. B.5): how much of the damage of mean-ablating a neuron
// its simulation repairs. Δ_base = Σ_test |ℓ(μ_val) − ℓ(q)|; the neuron is replaced by c·ŷ + d, Δ_sim = Σ_test |ℓ(cŷ + d) − ℓ(q)|;
// α = 1 − Δ_sim/Δ_base (1 = perfect, 0 = as bad as mean ablation). "optim": c, d fitted on val by Adam (lr 0.01,
// 100 steps, from c = 1, d = 0) on the mean |ℓ(cŷ + d) − ℓ(q)|; "norm": z-score ŷ on test and set the neuron to
// μ_val + σ_val·ρ_val·z (after Bills et al. 2023's calibration).

namespace Unravel.Interpret.Scoring;

/// <summary>The ablation score of one neuron.</summary>
/// <param name="Alpha">1 − DeltaSim/DeltaBase.</param>
/// <param name="DeltaSim">Σ_test |ℓ(simulated) − ℓ(original)|.</param>
/// <param name="DeltaBase">Σ_test |ℓ(val mean) − ℓ(original)|.</param>
/// <param name="Scale">c (optim) or σ_val·ρ_val/σ(ŷ_test) (norm).</param>
/// <param name="Offset">d (optim) or μ_val − Scale·mean(ŷ_test) (norm).</param>
public sealed record AblationScore(double Alpha, double DeltaSim, double DeltaBase, double Scale, double Offset)
{
    /// <summary>Scores simulated values against the loss as a function of the neuron.</summary>
    /// <param name="loss">The model's loss per row with the neuron replaced.</param>
    /// <param name="activation">The neuron's real value per row.</param>
    /// <param name="predictedVal">Simulation on <paramref name="valRows"/>.</param>
    /// <param name="predictedTest">Simulation on <paramref name="testRows"/>.</param>
    /// <param name="valRows">Validation rows (mean baseline, calibration).</param>
    /// <param name="testRows">Test rows (scored).</param>
    /// <param name="mode">Calibration of the simulation.</param>
    /// <exception cref="ArgumentException">Lengths differ or a split is empty.</exception>
    public static AblationScore Compute(INeuronLoss loss, ReadOnlySpan<float> activation, ReadOnlySpan<double> predictedVal, ReadOnlySpan<double> predictedTest,
        ReadOnlySpan<int> valRows, ReadOnlySpan<int> testRows, AblationMode mode)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (predictedVal.Length != valRows.Length || predictedTest.Length != testRows.Length || valRows.Length < 2 || testRows.Length < 2)
            throw new ArgumentException($"ablation: {predictedVal.Length}/{valRows.Length} val and {predictedTest.Length}/{testRows.Length} test predictions/rows.", nameof(predictedVal));
        double muVal = 0;
        foreach (int r in valRows) muVal += activation[r];
        muVal /= valRows.Length;
        var origTest = new double[testRows.Length];
        double deltaBase = 0;
        for (int i = 0; i < testRows.Length; i++)
        {
            origTest[i] = loss.Original(testRows[i]);
            deltaBase += Math.Abs(loss.Evaluate(testRows[i], muVal).Loss - origTest[i]);
        }
        double c, d;
        if (mode == AblationMode.Optim)
            (c, d) = FitOnVal(loss, predictedVal, valRows);
        else
        {
            var qv = new float[valRows.Length];
            for (int i = 0; i < qv.Length; i++) qv[i] = activation[valRows[i]];
            double sigmaVal = Std(qv.Select(v => (double)v).ToArray(), out _);
            double rhoVal = Correlation.PearsonOrZero(predictedVal, qv);
            double sigmaSim = Std(predictedTest.ToArray(), out double meanSim);
            c = sigmaSim > 0 ? sigmaVal * rhoVal / sigmaSim : 0;
            d = muVal - c * meanSim;
        }
        double deltaSim = 0;
        for (int i = 0; i < testRows.Length; i++)
            deltaSim += Math.Abs(loss.Evaluate(testRows[i], c * predictedTest[i] + d).Loss - origTest[i]);
        double alpha = deltaBase > 0 ? 1 - deltaSim / deltaBase : 0;
        return new AblationScore(alpha, deltaSim, deltaBase, c, d);
    }

    private static (double C, double D) FitOnVal(INeuronLoss loss, ReadOnlySpan<double> pred, ReadOnlySpan<int> rows)
    {
        const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8;
        var orig = new double[rows.Length];
        for (int i = 0; i < rows.Length; i++) orig[i] = loss.Original(rows[i]);
        double c = 1, d = 0, mc = 0, md = 0, vc = 0, vd = 0;
        for (int step = 1; step <= 100; step++)
        {
            double gc = 0, gd = 0;
            for (int i = 0; i < rows.Length; i++)
            {
                (double l, double g) = loss.Evaluate(rows[i], c * pred[i] + d);
                double s = Math.Sign(l - orig[i]) * g / rows.Length;
                gc += s * pred[i];
                gd += s;
            }
            mc = b1 * mc + (1 - b1) * gc;
            md = b1 * md + (1 - b1) * gd;
            vc = b2 * vc + (1 - b2) * gc * gc;
            vd = b2 * vd + (1 - b2) * gd * gd;
            double bc1 = 1 - Math.Pow(b1, step), bc2 = 1 - Math.Pow(b2, step);
            c -= lr * (mc / bc1) / (Math.Sqrt(vc / bc2) + eps);
            d -= lr * (md / bc1) / (Math.Sqrt(vd / bc2) + eps);
        }
        return (c, d);
    }

    /// <summary>Unbiased std (torch.std), and the mean.</summary>
    private static double Std(double[] x, out double mean)
    {
        mean = x.Average();
        double m = mean;
        return x.Length > 1 ? Math.Sqrt(x.Sum(v => (v - m) * (v - m)) / (x.Length - 1)) : 0;
    }
}
