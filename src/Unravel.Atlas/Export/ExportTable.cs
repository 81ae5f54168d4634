// An atlas table ready to export: columns and rows of long?, double? or string? cells.

namespace Unravel.Atlas.Export;

/// <summary>A named table; each row holds one cell per column (long, double, string or null).</summary>
public sealed record ExportTable(string Name, IReadOnlyList<ExportColumn> Columns, IReadOnlyList<object?[]> Rows);
