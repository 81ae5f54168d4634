// Stage B of linear explanations (Oikarinen & Weng 2024, ICML, §3 "greedy search"): starting from no concept, try the
// next `width` concepts of the elastic-net ranking that are neither selected nor rejected, refit each candidate set by
// least squares on train, and keep the candidate with the highest validation correlation. The first concept needs
// r > 0; each later one must raise the validation r by at least `tolerance`, and a candidate that does not is
// rejected for good (the window slides down the ranking). Stops at `maxTerms` concepts or when no candidate is kept.
// Deviation from the authors' code, on purpose: the returned concepts are the accepted ones (their code rebuilds the
// list from the last candidate set, which can mislabel the 10th concept), and no admissible first concept gives an
// empty explanation with r = 0 instead of a crash.

using Unravel.Interpret.Scoring;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Greedy forward selection of concepts with an unpenalised refit.</summary>
internal static class GreedySearch
{
    // Label columns are often collinear (a superclass is the sum of its members), so two candidates can give the same
    // fit; the better-ranked one must win regardless of rounding.
    private const double TieMargin = 1e-12;

    /// <summary>Selected columns, their weights, the bias and the validation correlation of the final fit.</summary>
    public static (int[] Columns, double[] Weights, double Bias, double ValCorrelation) Run(ConceptMoments mom, ReadOnlySpan<double> xty,
        double sumY, ReadOnlySpan<float> qVal, ReadOnlySpan<int> rank, int width, int maxTerms, double tolerance)
    {
        var selected = new List<int>();
        var rejected = new HashSet<int>();
        double[] bestW = [];
        double bestB = sumY / mom.N, bestCorr = 0;
        var pred = new double[qVal.Length];
        var candidateColumns = new int[maxTerms];
        while (selected.Count < maxTerms)
        {
            int stepBest = -1;
            double stepCorr = bestCorr, stepB = 0;
            double[] stepW = [];
            int tried = 0;
            foreach (int c in rank)
            {
                if (tried == width) break;
                if (rejected.Contains(c) || selected.Contains(c)) continue;
                tried++;
                selected.CopyTo(candidateColumns);
                candidateColumns[selected.Count] = c;
                ReadOnlySpan<int> cols = candidateColumns.AsSpan(0, selected.Count + 1);
                (double[] w, double b) = LeastSquares.Solve(mom.Gram, mom.Sums, xty, sumY, mom.N, mom.M, cols);
                Array.Fill(pred, b);
                for (int t = 0; t < cols.Length; t++)
                {
                    if (w[t] == 0) continue;
                    ReadOnlySpan<float> col = mom.ValColumn(cols[t]);
                    for (int i = 0; i < pred.Length; i++) pred[i] += w[t] * col[i];
                }
                double r = Correlation.PearsonOrZero(pred, qVal);
                if (selected.Count > 0 && r - bestCorr < tolerance) rejected.Add(c);
                else if (r > stepCorr + TieMargin)
                {
                    stepCorr = r;
                    stepBest = c;
                    stepW = w;
                    stepB = b;
                }
            }
            if (stepBest < 0) break;
            selected.Add(stepBest);
            bestCorr = stepCorr;
            bestW = stepW;
            bestB = stepB;
        }
        return (selected.ToArray(), bestW, bestB, bestCorr);
    }
}
