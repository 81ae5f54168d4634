// Where a method's feature visualisations (Olah, Mordvintsev, Schubert 2017, "Feature Visualization", Distill) live in
// the atlas, and how a report section shows them: one PNG per image and an index fv_<neuron>.json in the method's layer
// folder, beside the neuron's record. Each PNG is written atomically and the index last, so a reader never sees an index
// naming a missing or half-written image.

using System.Globalization;
using System.Text.Json;
using Unravel.Atlas.Report;
using Unravel.IO;
using Unravel.IO.Images;

namespace Unravel.Atlas.Methods;

/// <summary>Reads and writes stored feature visualisations.</summary>
public static class FeatureImageStore
{
    /// <summary>Path of a neuron's index for <paramref name="method"/> (it may not exist).</summary>
    public static string IndexPath(AtlasReader atlas, string method, string layer, int neuron)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        return atlas.PathOf("methods", method, AtlasWriter.LayerFolder(layer), $"fv_{neuron.ToString(CultureInfo.InvariantCulture)}.json");
    }

    /// <summary>The PNG file name of image <paramref name="slot"/> of a neuron.</summary>
    public static string FileName(int neuron, int slot) =>
        string.Create(CultureInfo.InvariantCulture, $"fv_{neuron}_{slot}.png");

    /// <summary>Writes the PNGs, then the index, replacing an earlier index of the neuron.</summary>
    public static void Write(AtlasReader atlas, string method, string layer, int neuron, Provenance provenance,
        IReadOnlyList<(FeatureImage Meta, Image Png)> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        string folder = atlas.MethodFolder(method, layer);
        foreach ((FeatureImage meta, Image png) in images)
            AtomicFile.WriteAllBytes(Path.Combine(folder, meta.File), Png.Encode(png));
        var file = new FeatureImagesFile(AtlasFormat.Version, provenance, layer, neuron, [.. images.Select(i => i.Meta)]);
        AtomicFile.WriteAllBytes(IndexPath(atlas, method, layer, neuron), JsonSerializer.SerializeToUtf8Bytes(file, FeatureImagesJson.Default.FeatureImagesFile));
    }

    /// <summary>A neuron's index for <paramref name="method"/>, or null when none was computed.</summary>
    /// <exception cref="AtlasFormatException">The index is malformed or from a newer format.</exception>
    public static FeatureImagesFile? Read(AtlasReader atlas, string method, string layer, int neuron) =>
        MethodFile.Read(IndexPath(atlas, method, layer, neuron), FeatureImagesJson.Default.FeatureImagesFile, "a feature visualisation index",
            "unravel visualize ATLAS --layer L --neuron N --method M", f => f.Images is null || f.Provenance is null ? null : f.FormatVersion);

    /// <summary>The image called <paramref name="name"/> as an HTML figure (the PNG inlined, scaled to about 112 px, framed in
    /// <paramref name="color"/>), or "" when the index has no such image or its PNG is missing.</summary>
    public static string Figure(AtlasReader atlas, string method, FeatureImagesFile? index, string name, string color)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        if (index?.Images.FirstOrDefault(i => i.Name == name) is not { } image) return "";
        string png = Path.Combine(atlas.PathOf("methods", method, AtlasWriter.LayerFolder(index.Layer)), Path.GetFileName(image.File));
        if (!File.Exists(png)) return "";
        string title = $"feature visualisation of {image.Hook}{(image.Channel is { } c ? $"[{c}]" : " along the stored direction")}: objective {Html.Num(image.Value, "0.###")}, seed {image.Seed}, {image.Steps} steps";
        return $"<figure class=\"fv\" data-fv=\"{Html.E(name)}\"><img src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(png))}\" width=\"112\" height=\"112\" "
            + $"style=\"image-rendering:pixelated;border:3px solid {color}\" alt=\"{Html.E(title)}\" title=\"{Html.E(title)}\"><figcaption>{Html.E(name)} · feature vis.</figcaption></figure>";
    }
}
