// One column of an exported atlas table.

namespace Unravel.Atlas.Export;

/// <summary>A column: its name, type and meaning (the meaning is documented in docs/exports.md).</summary>
public sealed record ExportColumn(string Name, ExportType Type, string Description);
