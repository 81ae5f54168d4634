// Inline SVG charts of the report: a bar histogram (activation distribution of a neuron, polysemanticity of a layer)
// and a dendrogram drawn from a SciPy linkage matrix with DendrogramLayout (scipy.cluster.hierarchy.dendrogram's
// icoord/dcoord), leaves coloured by the concept they were assigned to.

using System.Globalization;
using System.Text;
using Unravel.Interpret.Clustering;

namespace Unravel.Atlas.Report;

internal static class Svg
{
    /// <summary>Concept colours (Okabe–Ito, colour-blind safe); outliers are grey.</summary>
    public static readonly string[] Palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

    public static string ColorOf(int label) => label < 0 ? "#9aa3ae" : Palette[label % Palette.Length];

    private static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>Bars of <paramref name="counts"/> over [low, high], with the axis ends labelled.</summary>
    /// <remarks>With <paramref name="logScale"/> bar heights are log(1 + count), so a spike at zero (ReLU) leaves the tail visible.</remarks>
    public static string Histogram(IReadOnlyList<double> counts, double low, double high, string xLabel, string cssClass, int width = 420, int height = 150,
        bool logScale = false)
    {
        const int left = 44, bottom = 28, top = 8, right = 10;
        double Scale(double c) => logScale ? Math.Log(1 + Math.Max(c, 0)) : c;
        double max = counts.Count == 0 ? 1 : Math.Max(1e-12, counts.Max(Scale));
        double maxCount = counts.Count == 0 ? 0 : counts.Max();
        double plotW = width - left - right, plotH = height - top - bottom;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"{cssClass}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{Html.E(xLabel)} histogram\">");
        sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" y1=\"{top + plotH}\" x2=\"{left + plotW}\" y2=\"{top + plotH}\" stroke=\"#aab\"/>");
        double bw = counts.Count == 0 ? 0 : plotW / counts.Count;
        for (int i = 0; i < counts.Count; i++)
        {
            double h = plotH * Scale(counts[i]) / max;
            if (h <= 0) continue;
            sb.Append(CultureInfo.InvariantCulture,
                $"<rect class=\"bar\" x=\"{F(left + i * bw + 0.5)}\" y=\"{F(top + plotH - h)}\" width=\"{F(Math.Max(bw - 1, 0.5))}\" height=\"{F(h)}\" fill=\"#2f6fdf\"><title>{Html.Num(counts[i])}</title></rect>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left}\" y=\"{height - 10}\">{Html.Num(low, "0.##")}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW}\" y=\"{height - 10}\" text-anchor=\"end\">{Html.Num(high, "0.##")}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW / 2}\" y=\"{height - 10}\" text-anchor=\"middle\">{Html.E(xLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 8}\" text-anchor=\"end\">{Compact(maxCount)}</text>");
        if (logScale) sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left + plotW}\" y=\"{top + 8}\" text-anchor=\"end\">log scale</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + plotH}\" text-anchor=\"end\">0</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }

    /// <summary>A count in at most four characters: 950, 12k, 3.4M.</summary>
    public static string Compact(double v) =>
        v >= 1e6 ? Html.Num(v / 1e6, v >= 1e7 ? "0" : "0.#") + "M" : v >= 1e3 ? Html.Num(v / 1e3, v >= 1e4 ? "0" : "0.#") + "k" : Html.Num(v, "0.##");

    /// <summary>Why <paramref name="linkage"/> is not a SciPy linkage matrix over linkage.Length + 1 leaves (row i is
    /// [a, b, height, size] joining two earlier nodes, a, b &lt; n + i), or null when it is one.</summary>
    internal static string? LinkageProblem(double[][] linkage)
    {
        ArgumentNullException.ThrowIfNull(linkage);
        int n = linkage.Length + 1;
        for (int i = 0; i < linkage.Length; i++)
        {
            double[] row = linkage[i];
            if (row is null || row.Length < 4 || !(row[0] >= 0 && row[0] < n + i) || !(row[1] >= 0 && row[1] < n + i))
                return $"linkage row {i} [{(row is null ? "" : string.Join(", ", row))}] is not [a, b, height, size] with a, b < {n + i}";
        }
        return null;
    }

    /// <summary>A dendrogram of a linkage matrix (rows [a, b, height, size]); leaf i coloured by <paramref name="labels"/>[i];
    /// a dashed line at <paramref name="cutHeight"/>. Returns "" for fewer than two leaves.</summary>
    /// <exception cref="ArgumentException">The linkage matrix is malformed.</exception>
    public static string Dendrogram(double[][] linkage, int[] labels, double? cutHeight, int width = 640, int height = 200)
    {
        int n = linkage.Length + 1;
        if (n < 2) return "";
        if (LinkageProblem(linkage) is { } problem) throw new ArgumentException($"dendrogram: {problem}.", nameof(linkage));
        var merges = new Merge[linkage.Length];
        for (int i = 0; i < linkage.Length; i++)
            merges[i] = new Merge((int)linkage[i][0], (int)linkage[i][1], linkage[i][2], (int)linkage[i][3]);
        DendrogramLayout layout = new Unravel.Interpret.Clustering.Dendrogram(n, merges, Linkage.Average, DistanceMetric.Euclidean).Layout();
        const int left = 40, bottom = 14, top = 8, right = 8;
        double plotW = width - left - right, plotH = height - top - bottom;
        double maxX = 10.0 * n, maxY = Math.Max(1e-12, Math.Max(merges.Max(m => m.Height), cutHeight ?? 0));
        string X(double x) => F(left + plotW * x / maxX);
        string Y(double y) => F(top + plotH * (1 - y / maxY));
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg class=\"dendrogram\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"dendrogram of the top inputs\">");
        foreach (DendrogramLink link in layout.Links)
            sb.Append(CultureInfo.InvariantCulture,
                $"<path d=\"M{X(link.X[0])} {Y(link.Y[0])}L{X(link.X[1])} {Y(link.Y[1])}L{X(link.X[2])} {Y(link.Y[2])}L{X(link.X[3])} {Y(link.Y[3])}\" fill=\"none\" stroke=\"#667\" stroke-width=\"1\"/>");
        for (int j = 0; j < layout.Leaves.Length; j++)
        {
            int leaf = layout.Leaves[j];
            int label = leaf < labels.Length ? labels[leaf] : -1;
            sb.Append(CultureInfo.InvariantCulture, $"<circle class=\"leaf\" cx=\"{X(10.0 * j + 5)}\" cy=\"{Y(0)}\" r=\"2.2\" fill=\"{ColorOf(label)}\"><title>top input #{leaf}, concept {label}</title></circle>");
        }
        if (cutHeight is { } cut)
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{left}\" x2=\"{left + plotW}\" y1=\"{Y(cut)}\" y2=\"{Y(cut)}\" stroke=\"#d9480f\" stroke-dasharray=\"4 3\"><title>cut at {Html.Num(cut)}</title></line>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{left - 4}\" y=\"{top + 8}\" text-anchor=\"end\">{Html.Num(maxY, "0.##")}</text><text x=\"{left - 4}\" y=\"{top + plotH}\" text-anchor=\"end\">0</text>");
        sb.Append("</svg>");
        return sb.ToString();
    }
}
