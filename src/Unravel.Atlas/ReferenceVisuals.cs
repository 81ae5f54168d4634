// What a reference input looks like for a neuron (CRP's reference-sample view, see
// docs/methods/lrp-crp.md): for images, the crop of the input around the neuron's argmax position sized by
// the layer's receptive field; for text, the token window with the neuron's activation at every token.
// In an atlas (written by AtlasWriter when given a ReferenceSource):
//   layers/<folder>/crops/n<neuron>_r<rank>.png    crop of top_max reference <rank> (0 = best) of <neuron>
//   layers/<folder>/token_activations.npy          [K, C, T] activation of neuron c at token t of top_max reference k
//                                                  (NaN for unfilled slots)

using System.Globalization;
using System.Text.Json.Nodes;
using Unravel.IO;
using Unravel.IO.Images;
using Unravel.IO.Text;
using Unravel.Nn;
using Unravel.Tensors;

namespace Unravel.Atlas;

/// <summary>Renders reference inputs: image crops and per-token activations.</summary>
public static class ReferenceVisuals
{
    /// <summary>File name of the per-token activations of the top_max references.</summary>
    public const string TokenActivationsArray = "token_activations";

    /// <summary>Crop file of a reference, relative to the layer folder.</summary>
    public static string CropFile(int neuron, int rank) => string.Create(CultureInfo.InvariantCulture, $"crops/n{neuron}_r{rank}.png");

    /// <summary>The part of image <paramref name="input"/> that the unit at <paramref name="position"/> sees, for display
    /// (normalisation undone, clipped at the image border).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The input or position is out of range.</exception>
    public static Image Crop(ImageDataset data, long input, ReceptiveField field, int position)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(field);
        (int top, int left, int height, int width) = field.Region(position);
        return ImageTransforms.Crop(data.Display(input), top, left, height, width);
    }

    /// <summary>The tokens of window <paramref name="input"/> with the activation of <paramref name="neuron"/> of
    /// <paramref name="layer"/> ([B, T, C] hook) at each, computed by running the model on that window.</summary>
    /// <exception cref="ArgumentException">The layer is not a [B, T, C] hook or the neuron is out of range.</exception>
    public static IReadOnlyList<TokenActivation> TokenWindow(RootModule model, TokenWindowDataset data, Gpt2Tokenizer tokenizer, string layer, int neuron, long input)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        model.Eval();
        Tensor a = model.RunWithCache(() => data.Forward(model, [input]), layer)[layer];    // [1, T, C]
        if (a.Rank != 3) throw new ArgumentException($"references: layer '{layer}' is {a.ShapeString}, not a [B, T, C] token layer.", nameof(layer));
        int t = a.Dim(1), c = a.Dim(2);
        if ((uint)neuron >= (uint)c) throw new ArgumentException($"references: layer '{layer}' has {c} neurons; got {neuron}.", nameof(neuron));
        var values = new float[t];
        for (int i = 0; i < t; i++) values[i] = a.Data[i * c + neuron];
        return Tokens(data.Window(input), values, tokenizer);
    }

    /// <summary>The tokens of a neuron's top_max reference <paramref name="rank"/> with the activations stored in the atlas
    /// (token_activations.npy), without running the model.</summary>
    /// <exception cref="InvalidOperationException">The atlas has no token activations for this layer.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The neuron or rank is out of range, or the slot is unfilled.</exception>
    public static IReadOnlyList<TokenActivation> TokenWindow(AtlasReader atlas, TokenWindowDataset data, Gpt2Tokenizer tokenizer, string layer, int neuron, int rank)
    {
        ArgumentNullException.ThrowIfNull(atlas);
        ArgumentNullException.ThrowIfNull(data);
        if (!atlas.Has(layer, TokenActivationsArray))
            throw new InvalidOperationException($"atlas: layer '{layer}' has no {TokenActivationsArray}.npy (not a token layer, or collected without it).");
        Tensor acts = atlas.ReadFloat(layer, TokenActivationsArray);                          // [K, C, T]
        int k = acts.Dim(0), c = acts.Dim(1), t = acts.Dim(2);
        if ((uint)neuron >= (uint)c || (uint)rank >= (uint)k)
            throw new ArgumentOutOfRangeException(nameof(rank), $"atlas: layer '{layer}' has {c} neurons and {k} ranks; got neuron {neuron}, rank {rank}.");
        TopInputs top = atlas.TopInputs(layer, neuron);
        if (rank >= top.Inputs.Length)
            throw new ArgumentOutOfRangeException(nameof(rank), $"atlas: neuron {neuron} of '{layer}' has only {top.Inputs.Length} references.");
        return Tokens(data.Window(top.Inputs[rank]), acts.Data.Slice((rank * c + neuron) * t, t).ToArray(), tokenizer);
    }

    private static TokenActivation[] Tokens(ReadOnlySpan<int> tokens, float[] values, Gpt2Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var result = new TokenActivation[tokens.Length];
        for (int i = 0; i < tokens.Length; i++) result[i] = new TokenActivation(tokens[i], tokenizer.TokenText(tokens[i]), values[i]);
        return result;
    }

    /// <summary>Per-token activations of every top_max reference of a [B, T, C] layer: [K, C, T] (NaN where a slot is
    /// unfilled). Runs the model once on each distinct reference window, in batches.</summary>
    public static float[] TokenActivations(RootModule model, TokenWindowDataset data, string layer, TopKArrays top, int batchSize = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(top);
        int k = top.K, c = top.Neurons, t = data.Length;
        var result = new float[(long)k * c * t];
        Array.Fill(result, float.NaN);
        // Which (rank, neuron) slots each window fills.
        var slots = new SortedDictionary<long, List<int>>();
        for (int s = 0; s < top.Indices.Length; s++)
        {
            long input = top.Indices[s];
            if (input < 0) continue;
            if (!slots.TryGetValue(input, out List<int>? list)) slots[input] = list = [];
            list.Add(s);
        }
        long[] inputs = [.. slots.Keys];
        model.Eval();
        for (int start = 0; start < inputs.Length; start += batchSize)
        {
            long[] batch = inputs[start..Math.Min(inputs.Length, start + batchSize)];
            Tensor a = model.RunWithCache(() => data.Forward(model, batch), layer)[layer];  // [n, T, C]
            if (a.Rank != 3 || a.Dim(2) != c || a.Dim(1) != t)
                throw new ArgumentException($"references: layer '{layer}' gives {a.ShapeString}, not [n, {t}, {c}].", nameof(layer));
            ReadOnlySpan<float> x = a.Data;
            for (int b = 0; b < batch.Length; b++)
                foreach (int s in slots[batch[b]])
                {
                    int neuron = s % c;
                    long o = (long)s * t;
                    for (int i = 0; i < t; i++) result[o + i] = x[(b * t + i) * c + neuron];
                }
        }
        return result;
    }

    /// <summary>The layer's receptive field, or null where it is unknown (a pooled transformer layer has no spatial rule):
    /// crops then show the whole image.</summary>
    private static ReceptiveField? ReceptiveFieldOf(ReferenceSource source, string layer, ImageDataset images)
    {
        try
        {
            return ReceptiveField.Of(source.Model, layer, images.Height, images.Width);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Writes the reference visuals of one layer into its atlas folder and returns the written files (relative
    /// to that folder) and the manifest entries to add to the layer.</summary>
    internal static (List<string> Files, JsonObject Manifest) WriteLayer(ReferenceSource source, LayerStatisticsResult layer, string dir)
    {
        var files = new List<string>();
        var manifest = new JsonObject();
        if (source.Dataset is ImageDataset images && source.Model is Unravel.Models.Vision.IImageClassifier && layer.ItemShape.Length is 3 or 1)
        {
            ReceptiveField? rf = ReceptiveFieldOf(source, layer.Name, images);
            if (rf is not null)
                manifest["receptive_field"] = new JsonObject
                {
                    ["size"] = new JsonArray(rf.Rows.Size, rf.Columns.Size), ["jump"] = new JsonArray(rf.Rows.Jump, rf.Columns.Jump),
                    ["offset"] = new JsonArray(rf.Rows.Offset, rf.Columns.Offset), ["global"] = rf.Global,
                };
            if (source.Crops)
            {
                TopKArrays top = layer.TopByMax;
                var cache = new Dictionary<long, Image>();
                Directory.CreateDirectory(Path.Combine(dir, "crops"));
                for (int r = 0; r < top.K; r++)
                    for (int n = 0; n < top.Neurons; n++)
                    {
                        long input = top.Indices[r * top.Neurons + n];
                        if (input < 0) continue;
                        if (!cache.TryGetValue(input, out Image? full)) cache[input] = full = images.Display(input);
                        (int y, int x, int h, int w) = rf?.Region(Math.Max(0, top.Positions[r * top.Neurons + n])) ?? (0, 0, images.Height, images.Width);
                        string file = CropFile(n, r);
                        // The whole atlas is renamed into place at the end, so plain writes are atomic enough here.
                        File.WriteAllBytes(Path.Combine(dir, file), Png.Encode(ImageTransforms.Crop(full, y, x, h, w)));
                        files.Add(file);
                    }
                manifest["crops"] = new JsonObject { ["ranking"] = "max", ["pattern"] = "crops/n{neuron}_r{rank}.png", ["count"] = files.Count };
            }
        }
        else if (source.Dataset is TokenWindowDataset text && layer.ItemShape.Length == 2
            && (long)layer.TopByMax.K * layer.Neurons * text.Length <= source.MaxTokenActivations)
        {
            float[] acts = TokenActivations(source.Model, text, layer.Name, layer.TopByMax, source.BatchSize);
            Npy.Write(Path.Combine(dir, TokenActivationsArray + ".npy"), Tensor.FromArray(acts, layer.TopByMax.K, layer.Neurons, text.Length));
            files.Add(TokenActivationsArray + ".npy");
            manifest["token_activations"] = new JsonObject { ["ranking"] = "max", ["array"] = TokenActivationsArray, ["shape"] = "[K, C, T]" };
        }
        return (files, manifest);
    }
}
