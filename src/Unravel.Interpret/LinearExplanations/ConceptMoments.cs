// Shared sufficient statistics for fitting linear explanations of many neurons on one concept matrix (Oikarinen &
// Weng 2024, §3): the train-split Gram matrix PᵀP, the column sums and column-major copies of the train and val rows.
// With them every neuron's elastic net and every least-squares refit of the greedy search needs only Pᵀq.

using System.Numerics.Tensors;

namespace Unravel.Interpret.LinearExplanations;

/// <summary>Train/val moments of a concept matrix, shared by all neurons.</summary>
internal sealed class ConceptMoments
{
    private ConceptMoments(int m, int[] train, int[] val, float[] trainColumns, float[] valColumns, double[] gram, double[] sums)
    {
        M = m;
        Train = train;
        Val = val;
        TrainColumns = trainColumns;
        ValColumns = valColumns;
        Gram = gram;
        Sums = sums;
    }

    public int M { get; }
    public int[] Train { get; }
    public int[] Val { get; }
    /// <summary>Column-major train rows [M, |train|].</summary>
    public float[] TrainColumns { get; }
    /// <summary>Column-major val rows [M, |val|].</summary>
    public float[] ValColumns { get; }
    /// <summary>Raw PᵀP over train [M, M].</summary>
    public double[] Gram { get; }
    /// <summary>Column sums over train [M].</summary>
    public double[] Sums { get; }
    public int N => Train.Length;

    public ReadOnlySpan<float> TrainColumn(int j) => TrainColumns.AsSpan(j * N, N);
    public ReadOnlySpan<float> ValColumn(int j) => ValColumns.AsSpan(j * Val.Length, Val.Length);

    public static ConceptMoments Build(ReadOnlySpan<float> p, int m, int[] train, int[] val, int parallelism, CancellationToken ct)
    {
        float[] tc = Columns(p, m, train), vc = Columns(p, m, val);
        int n = train.Length;
        var sums = new double[m];
        for (int j = 0; j < m; j++) sums[j] = TensorPrimitives.Sum(tc.AsSpan(j * n, n));
        var gram = new double[m * m];
        Parallel.For(0, m, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct }, j =>
        {
            // Float dot products: exact for 0/1 columns below 2^24 rows, ~1e-7 relative for probabilities.
            for (int k = 0; k <= j; k++)
                gram[j * m + k] = gram[k * m + j] = TensorPrimitives.Dot(tc.AsSpan(j * n, n), tc.AsSpan(k * n, n));
        });
        return new ConceptMoments(m, train, val, tc, vc, gram, sums);
    }

    /// <summary>Pᵀq over train [M] for a neuron's train activations.</summary>
    public double[] Project(ReadOnlySpan<float> qTrain)
    {
        var c = new double[M];
        for (int j = 0; j < M; j++) c[j] = TensorPrimitives.Dot(TrainColumn(j), qTrain);
        return c;
    }

    private static float[] Columns(ReadOnlySpan<float> p, int m, int[] rows)
    {
        var c = new float[(long)m * rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            ReadOnlySpan<float> row = p.Slice(rows[r] * m, m);
            for (int j = 0; j < m; j++) c[(long)j * rows.Length + r] = row[j];
        }
        return c;
    }
}
