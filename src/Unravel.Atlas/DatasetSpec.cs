// How to rebuild a collection's dataset later (concepts, PURE, the report and the explorer re-read reference inputs):
// recorded in manifest.json under dataset.spec and read back by AtlasReader.

using System.Text.Json.Nodes;
using Unravel.IO.Images;
using Unravel.Models.Text;
using Unravel.Nn;

namespace Unravel.Atlas;

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
    int? Resize = null, int? Crop = null, bool? Grayscale = null, float[]? Mean = null, float[]? Std = null)
{
    /// <summary>The manifest's dataset.spec object.</summary>
    public JsonObject ToJson() => new()
    {
        ["kind"] = Kind, ["path"] = Path, ["labels"] = Labels, ["window"] = Window, ["bos"] = Bos,
        ["resize"] = Resize, ["crop"] = Crop, ["grayscale"] = Grayscale,
        ["mean"] = Mean is { } m ? new JsonArray(m.Select(v => (JsonNode)v).ToArray()) : null,
        ["std"] = Std is { } sd ? new JsonArray(sd.Select(v => (JsonNode)v).ToArray()) : null,
    };

    /// <summary>Builds the dataset this spec describes, for <paramref name="model"/> (text kinds need a language model).</summary>
    /// <param name="model">The model the data is for.</param>
    /// <param name="limit">IDX: read only the first <paramref name="limit"/> images (and labels) while streaming the file, so a
    /// header declaring millions costs only what is read (the content hash still covers the whole file); other kinds ignore it.</param>
    /// <exception cref="UnravelException">The files are gone, or the kind does not fit the model.</exception>
    public ICollectionDataset Open(RootModule model, int limit = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentNullException.ThrowIfNull(model);
        if (!File.Exists(Path) && !Directory.Exists(Path))
            throw new UnravelException($"{Path}: the dataset is gone.", "restore the file, or re-collect the atlas");
        return Kind switch
        {
            "idx" => ImageDataset.FromIdx(Path, Labels, limit),
            "image-folder" => ImageDataset.FromFolder(Path, new ImagePreprocessing
            {
                ResizeTo = Resize ?? 0, CropTo = Crop ?? 0, Grayscale = Grayscale ?? false,
                Mean = Mean ?? ImagePreprocessing.ImageNet.Mean, Std = Std ?? ImagePreprocessing.ImageNet.Std,
            }),
            "brown" when model is ILanguageModel => TokenWindowDataset.FromBrown(Path, Assets.Tokenizer(), Window ?? 64, Bos ?? false),
            "text" when model is ILanguageModel => TokenWindowDataset.FromText(File.ReadAllText(Path), Assets.Tokenizer(), Window ?? 64, Bos ?? false, Path),
            "brown" or "text" => throw new ModelInputException($"{Path}: {Kind} data needs a language model, not a {model.GetType().Name}."),
            _ => throw new UnravelException($"{Path}: unknown dataset kind '{Kind}' for a {model.GetType().Name}.", "re-create the atlas with `unravel collect`"),
        };
    }

    /// <summary>Reads a manifest's dataset.spec object.</summary>
    public static DatasetSpec FromJson(JsonObject s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new DatasetSpec(s["kind"]!.GetValue<string>(), s["path"]!.GetValue<string>(), s["labels"]?.GetValue<string>(),
            s["window"]?.GetValue<int>(), s["bos"]?.GetValue<bool>(), s["resize"]?.GetValue<int>(), s["crop"]?.GetValue<int>(),
            s["grayscale"]?.GetValue<bool>(), s["mean"]?.AsArray().Select(v => v!.GetValue<float>()).ToArray(),
            s["std"]?.AsArray().Select(v => v!.GetValue<float>()).ToArray());
    }
}
