// Column types of an exported atlas table (docs/exports.md): every column is nullable.

namespace Unravel.Atlas.Export;

/// <summary>The type of an exported column: 64-bit integer, 64-bit float, or UTF-8 text.</summary>
public enum ExportType
{
    /// <summary>long?; Parquet INT64, CSV decimal digits, JSON number.</summary>
    Int64,

    /// <summary>double?; Parquet DOUBLE, CSV shortest round-trip decimal ("NaN", "inf", "-inf"), JSON number (non-finite: null).</summary>
    Float64,

    /// <summary>string?; Parquet BYTE_ARRAY (UTF8), CSV quoted when needed, JSON string.</summary>
    String,
}
