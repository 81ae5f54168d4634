// The seeded 70/10/20 split an explanation was fitted and scored on (Oikarinen & Weng 2024, ICML, §4), by its seed and sizes.

namespace Unravel.Atlas.Methods;

/// <summary>A stored train/val/test split.</summary>
/// <param name="Seed">Seed of the shuffle of units.</param>
/// <param name="Units">Shuffled units (inputs, or token windows).</param>
/// <param name="RowsPerUnit">Rows per unit (1 for inputs, tokens per window for text).</param>
/// <param name="Train">Train rows.</param>
/// <param name="Val">Validation rows.</param>
/// <param name="Test">Test rows.</param>
public sealed record DataSplitRecord(int Seed, int Units, int RowsPerUnit, int Train, int Val, int Test);
