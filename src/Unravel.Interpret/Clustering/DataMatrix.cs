// Validated [N, D] sample matrix shared by the clustering algorithms, widened to float64: merge heights, inertia
// and silhouette sums are accumulated in double so that they match SciPy/scikit-learn (which work in float64).

namespace Unravel.Interpret.Clustering;

/// <summary>Row-major float64 copy of an [N, D] float32 sample matrix, checked for emptiness and non-finite values.</summary>
internal sealed class DataMatrix
{
    private DataMatrix(double[] values, int rows, int cols)
    {
        Values = values;
        Rows = rows;
        Cols = cols;
    }

    /// <summary>Row-major values [Rows, Cols].</summary>
    public double[] Values { get; }

    public int Rows { get; }

    public int Cols { get; }

    public ReadOnlySpan<double> Row(int i) => Values.AsSpan(i * Cols, Cols);

    public string ShapeString => $"[{Rows}, {Cols}]";

    public static DataMatrix From(float[,] data, string op, string paramName = "data")
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        int n = data.GetLength(0), d = data.GetLength(1);
        CheckShape(n, d, op, paramName);
        var values = new double[n * d];
        int k = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < d; j++)
                values[k++] = data[i, j];
        return Checked(values, n, d, op, paramName);
    }

    public static DataMatrix From(ReadOnlySpan<float> data, int rows, int cols, string op, string paramName = "data")
    {
        CheckShape(rows, cols, op, paramName);
        if ((long)rows * cols != data.Length)
            throw new ArgumentException($"{op}: {paramName} has {data.Length} values but shape [{rows}, {cols}] needs {(long)rows * cols}.", paramName);
        var values = new double[data.Length];
        for (int i = 0; i < values.Length; i++) values[i] = data[i];
        return Checked(values, rows, cols, op, paramName);
    }

    private static void CheckShape(int rows, int cols, string op, string paramName)
    {
        if (rows <= 0)
            throw new ArgumentException($"{op}: {paramName} [{rows}, {cols}] has no samples (N = {rows}); at least one is needed.", paramName);
        if (cols <= 0)
            throw new ArgumentException($"{op}: {paramName} [{rows}, {cols}] has no features (D = {cols}).", paramName);
    }

    private static DataMatrix Checked(double[] values, int rows, int cols, string op, string paramName)
    {
        for (int k = 0; k < values.Length; k++)
        {
            if (!double.IsFinite(values[k]))
                throw new ArgumentException(
                    $"{op}: {paramName} [{rows}, {cols}] has {(double.IsNaN(values[k]) ? "NaN" : "an infinite value")} at row {k / cols}, column {k % cols}.",
                    paramName);
        }
        return new DataMatrix(values, rows, cols);
    }

    /// <summary>Throws if a row has zero norm, for which the cosine distance is undefined.</summary>
    public void ThrowIfZeroRow(string op, string paramName = "data")
    {
        for (int i = 0; i < Rows; i++)
        {
            double s = 0;
            foreach (double v in Row(i)) s += v * v;
            if (s == 0)
                throw new ArgumentException($"{op}: {paramName} {ShapeString} row {i} is all zeros; its cosine distance is undefined.", paramName);
        }
    }
}
