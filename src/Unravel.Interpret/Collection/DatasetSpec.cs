// How to rebuild a collection's dataset later (concepts, PURE, the report and the explorer re-read reference inputs):
// recorded in manifest.json under dataset.spec and read back by AtlasReader.

namespace Unravel.Interpret.Collection;

/// <summary>The recipe of a dataset: its kind and the files and options it was built from.</summary>
/// <param name="Kind">"idx" (IDX images + optional labels), "image-folder" (class subfolders of PNG/JPEG images),
/// "text" (UTF-8 text cut into token windows) or "brown" (tagged Brown corpus files, tags stripped, cut into token
/// windows); later kinds add to this list.</param>
/// <param name="Path">Full path of the images file, image folder, text file, or Brown file or folder.</param>
/// <param name="Labels">Full path of the labels file, if any.</param>
/// <param name="Window">Text: tokens per window.</param>
/// <param name="Bos">Text: whether each window starts with &lt;|endoftext|&gt;.</param>
/// <param name="Resize">Image folder: shorter side after resizing (0 = none).</param>
/// <param name="Crop">Image folder: side of the centre crop (0 = none).</param>
/// <param name="Grayscale">Image folder: one gray channel instead of RGB.</param>
/// <param name="Mean">Image folder: per-channel normalisation mean.</param>
/// <param name="Std">Image folder: per-channel normalisation std.</param>
public sealed record DatasetSpec(string Kind, string Path, string? Labels = null, int? Window = null, bool? Bos = null,
    int? Resize = null, int? Crop = null, bool? Grayscale = null, float[]? Mean = null, float[]? Std = null);
