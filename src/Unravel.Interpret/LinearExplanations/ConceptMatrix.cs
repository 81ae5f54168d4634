// The concept presence matrix P [inputs × concepts] of linear explanations (Oikarinen & Weng 2024, ICML, §3):
// P[i, j] ≈ Pr(concept j present in input i). Rows are inputs (images) or tokens; values are 0/1 for labels and tags,
// probabilities for a soft detector.

namespace Unravel.Interpret.LinearExplanations;

/// <summary>A dense, row-major concept presence matrix with its concept names and provenance.</summary>
public sealed class ConceptMatrix
{
    private readonly float[] _values;

    /// <summary>Wraps row-major values [rows, names.Count].</summary>
    /// <exception cref="ArgumentException">The value count does not match, a name is empty or repeated, or a value is not finite.</exception>
    public ConceptMatrix(IReadOnlyList<string> names, float[] values, int rows, ConceptProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(provenance);
        if (rows < 0 || (long)rows * names.Count != values.Length)
            throw new ArgumentException($"concepts: {values.Length} values do not form [{rows}, {names.Count}].", nameof(values));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string n in names)
        {
            if (string.IsNullOrWhiteSpace(n)) throw new ArgumentException("concepts: a concept name is empty.", nameof(names));
            if (!seen.Add(n)) throw new ArgumentException($"concepts: the concept '{n}' appears twice; names must be unique.", nameof(names));
        }
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                throw new ArgumentException($"concepts: value [{i / Math.Max(1, names.Count)}, {i % Math.Max(1, names.Count)}] is {values[i]}.", nameof(values));
        Names = names.ToArray();
        _values = values;
        Rows = rows;
        Provenance = provenance;
    }

    /// <summary>Concept names, one per column.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Inputs (or tokens).</summary>
    public int Rows { get; }

    /// <summary>Concepts.</summary>
    public int Columns => Names.Count;

    /// <summary>Row-major values [Rows, Columns].</summary>
    public ReadOnlySpan<float> Values => _values;

    /// <summary>Where the values came from.</summary>
    public ConceptProvenance Provenance { get; }

    /// <summary>P[row, column].</summary>
    public float this[int row, int column] => _values[row * Columns + column];

    /// <summary>Column index of a concept name, or −1.</summary>
    public int IndexOf(string name)
    {
        for (int j = 0; j < Names.Count; j++)
            if (string.Equals(Names[j], name, StringComparison.Ordinal)) return j;
        return -1;
    }

    /// <summary>The matrix restricted to <paramref name="columns"/> (in that order), with a note appended to the provenance.</summary>
    /// <exception cref="ArgumentException">A column is out of range.</exception>
    public ConceptMatrix Select(IReadOnlyList<int> columns, string note)
    {
        ArgumentNullException.ThrowIfNull(columns);
        int m = Columns;
        foreach (int c in columns)
            if ((uint)c >= (uint)m) throw new ArgumentException($"concepts: column {c} outside [{Rows}, {m}].", nameof(columns));
        var v = new float[(long)Rows * columns.Count];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < columns.Count; j++) v[(long)i * columns.Count + j] = _values[(long)i * m + columns[j]];
        return new ConceptMatrix(columns.Select(c => Names[c]).ToArray(), v, Rows,
            Provenance with { Detail = string.IsNullOrEmpty(note) ? Provenance.Detail : $"{Provenance.Detail}; {note}" });
    }

    /// <summary>Side-by-side union of matrices over the same rows (names must stay unique).</summary>
    /// <exception cref="ArgumentException">No parts, or the row counts differ.</exception>
    public static ConceptMatrix Concat(IReadOnlyList<ConceptMatrix> parts, ConceptProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("concepts: nothing to concatenate.", nameof(parts));
        int rows = parts[0].Rows;
        if (parts.Any(p => p.Rows != rows))
            throw new ArgumentException($"concepts: parts have different row counts ({string.Join(", ", parts.Select(p => p.Rows))}).", nameof(parts));
        int m = parts.Sum(p => p.Columns);
        var v = new float[(long)rows * m];
        int offset = 0;
        foreach (ConceptMatrix p in parts)
        {
            for (int i = 0; i < rows; i++)
                p.Values.Slice(i * p.Columns, p.Columns).CopyTo(v.AsSpan(i * m + offset, p.Columns));
            offset += p.Columns;
        }
        return new ConceptMatrix(parts.SelectMany(p => p.Names).ToArray(), v, rows, provenance);
    }
}
