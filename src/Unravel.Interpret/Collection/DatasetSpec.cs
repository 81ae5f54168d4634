// How to rebuild a collection's dataset later (concepts, PURE, the report and the explorer re-read reference inputs):
// recorded in manifest.json under dataset.spec and read back by AtlasReader.

namespace Unravel.Interpret.Collection;

/// <summary>The recipe of a dataset: its kind and the files and options it was built from.</summary>
/// <param name="Kind">"idx" (IDX images + optional labels) or "text" (UTF-8 text cut into token windows); later kinds add to this list.</param>
/// <param name="Path">Full path of the images file, image folder or text file.</param>
/// <param name="Labels">Full path of the labels file, if any.</param>
/// <param name="Window">Text: tokens per window.</param>
/// <param name="Bos">Text: whether each window starts with &lt;|endoftext|&gt;.</param>
public sealed record DatasetSpec(string Kind, string Path, string? Labels = null, int? Window = null, bool? Bos = null);
