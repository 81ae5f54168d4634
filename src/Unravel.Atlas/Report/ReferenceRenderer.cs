// Draws a neuron's reference inputs for a report page. Images: the input as the model saw it, upscaled with
// nearest-neighbour to about 84 px, embedded as a PNG data: URI, with a box around the receptive field of the unit
// where the neuron's activation peaks (ReceptiveField; when that field covers the whole image, the peak's feature-map
// cell instead, which still shows where in the image the neuron fired). Token windows:
// the tokens around the peak, each shaded in proportion to the neuron's activation on it. Activation maps come from
// re-running the model on the page's references (once per page, in small batches); without a model only the recorded
// argmax position is marked.

using System.Globalization;
using System.Text;
using Unravel.IO.Images;
using Unravel.Tensors;

namespace Unravel.Atlas.Report;

internal sealed class ReferenceRenderer
{
    private const int TargetPixels = 84;
    private const int Batch = 8;
    private readonly ReportSources _sources;
    private readonly AtlasLayer _layer;
    private readonly int _neuron;
    private readonly Dictionary<long, float[]> _maps = [];
    private float _scale = 1;
    private ReceptiveField? _field;
    private bool _fieldKnown;

    public ReferenceRenderer(ReportSources sources, AtlasLayer layer, int neuron)
    {
        _sources = sources;
        _layer = layer;
        _neuron = neuron;
    }

    /// <summary>Whether references can be drawn at all (the dataset is available).</summary>
    public bool CanDraw => _sources.Dataset is ImageDataset || (_sources.Dataset is TokenWindowDataset && _sources.DecodeToken is not null);

    /// <summary>Uses a recorded activation map of <paramref name="input"/> (e.g. the atlas's token_activations) instead of re-running the model.</summary>
    public void Preload(long input, float[] map)
    {
        _maps[input] = map;
        UpdateScale();
    }

    /// <summary>Recomputes the neuron's activation map on every input of <paramref name="inputs"/> (if the model is there).</summary>
    public void Prepare(IEnumerable<long> inputs)
    {
        if (_sources.Model is null || _sources.Dataset is null || !_sources.RunModel) return;
        long[] todo = inputs.Where(i => i >= 0 && i < _sources.Dataset.Count && !_maps.ContainsKey(i)).Distinct().ToArray();
        for (int start = 0; start < todo.Length; start += Batch)
        {
            long[] chunk = todo[start..Math.Min(todo.Length, start + Batch)];
            Tensor act = _sources.Model.RunWithCache(() => _sources.Dataset.Forward(_sources.Model, chunk), _layer.Name)[_layer.Name];
            bool channelsLast = LayerStatistics.LayoutOf(act) == ActivationLayout.ChannelsLast;
            int c = channelsLast ? act.Dim(act.Rank - 1) : act.Dim(1);
            int positions = act.Length / (chunk.Length * c);
            ReadOnlySpan<float> data = act.Data;
            for (int i = 0; i < chunk.Length; i++)
            {
                var map = new float[positions];
                for (int p = 0; p < positions; p++)
                    map[p] = channelsLast ? data[(i * positions + p) * c + _neuron] : data[(i * c + _neuron) * positions + p];
                _maps[chunk[i]] = map;
            }
        }
        UpdateScale();
    }

    private void UpdateScale()
    {
        float max = _maps.Values.SelectMany(m => m).Where(float.IsFinite).DefaultIfEmpty(1f).Max();
        _scale = max > 0 ? max : 1;
    }

    /// <summary>HTML for up to <paramref name="max"/> references with their scores (and recorded argmax positions, if known).</summary>
    public string Render(IReadOnlyList<long> inputs, IReadOnlyList<double>? scores, IReadOnlyList<int>? positions, int max, string scoreName)
    {
        int n = Math.Min(max, inputs.Count);
        if (n == 0) return "<p class=\"muted\">no references</p>";
        var sb = new StringBuilder();
        if (_sources.Dataset is ImageDataset images)
        {
            sb.Append("<div class=\"refs\">");
            for (int i = 0; i < n; i++)
                sb.Append(ImageFigure(images, inputs[i], i < (scores?.Count ?? 0) ? scores![i] : null, positions is not null && i < positions.Count ? positions[i] : null, scoreName));
            sb.Append("</div>");
        }
        else if (_sources.Dataset is TokenWindowDataset text && _sources.DecodeToken is not null)
        {
            for (int i = 0; i < n; i++)
                sb.Append(TokenLine(text, inputs[i], i < (scores?.Count ?? 0) ? scores![i] : null, positions is not null && i < positions.Count ? positions[i] : null));
        }
        else
        {
            sb.Append("<p class=\"chips\">");
            for (int i = 0; i < n; i++)
                sb.Append(CultureInfo.InvariantCulture, $"<span>#{inputs[i]}{(i < (scores?.Count ?? 0) ? " · " + Html.Num(scores![i]) : "")}</span>");
            sb.Append("</p>");
        }
        return sb.ToString();
    }

    private string ImageFigure(ImageDataset images, long index, double? score, int? position, string scoreName)
    {
        if ((ulong)index >= (ulong)images.Count) return $"<figure class=\"ref\"><span>#{index} (outside the dataset)</span></figure>";
        Tensor x = images.Gather([index]);                                                   // [1, C, H, W]
        int ch = x.Dim(1), h = x.Dim(2), w = x.Dim(3);
        int s = Math.Max(1, TargetPixels / Math.Max(h, w));
        ReadOnlySpan<float> d = x.Data;
        float lo = 0, hi = 1;
        if (ch != 1)
        {
            lo = float.MaxValue; hi = float.MinValue;
            foreach (float v in d) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
            if (hi <= lo) hi = lo + 1;
        }
        var pixels = new byte[h * s * w * s * 3];
        for (int y = 0; y < h * s; y++)
            for (int xx = 0; xx < w * s; xx++)
                for (int k = 0; k < 3; k++)
                {
                    float v = d[((ch == 1 ? 0 : Math.Min(k, ch - 1)) * h + y / s) * w + xx / s];
                    pixels[(y * w * s + xx) * 3 + k] = (byte)Math.Clamp((int)MathF.Round((v - lo) / (hi - lo) * 255f), 0, 255);
                }
        int? peak = position;
        if (_maps.TryGetValue(index, out float[]? map) && map.Length > 0) peak = ArgMax(map);
        int gridH = _layer.Shape.Length == 3 ? _layer.Shape[1] : 1, gridW = _layer.Shape.Length == 3 ? _layer.Shape[2] : 1;
        if (peak is { } p && gridH * gridW > 1 && p < gridH * gridW)
        {
            (int top, int left, int bh, int bw) = Field(h, w) is { Global: false } field ? field.Region(p) : (0, 0, h, w);
            if (bh >= h && bw >= w)
            {
                int cellH = h * s / gridH, cellW = w * s / gridW;
                DrawBox(pixels, w * s, h * s, p % gridW * cellW, p / gridW * cellH, cellW, cellH);
            }
            else
            {
                DrawBox(pixels, w * s, h * s, left * s, top * s, bw * s, bh * s);
            }
        }
        string png = Convert.ToBase64String(Png.Encode(new Image(w * s, h * s, 3, pixels)));
        string label = images.Labels is { } labels ? ClassName(labels[(int)index]) : "";
        string caption = $"#{index}{(score is { } sc ? $" · {Html.Num(sc, "0.##")}" : "")}";
        return $"<figure class=\"ref\" data-input=\"{index}\"><img src=\"data:image/png;base64,{png}\" width=\"{w * s}\" height=\"{h * s}\" alt=\"input {index}\" title=\"input {index}, {Html.E(scoreName)} {(score is { } t ? Html.Num(t) : "–")}{(label.Length > 0 ? ", " + Html.E(label) : "")}\"><figcaption>{Html.E(caption)}<br>{Html.E(label)}</figcaption></figure>";
    }

    /// <summary>The receptive field of the layer for h × w inputs, or null when unknown (no model, or not a CNN layer).</summary>
    private ReceptiveField? Field(int h, int w)
    {
        if (_fieldKnown) return _field;
        _fieldKnown = true;
        if (_sources.Model is null) return null;
        try
        {
            _field = ReceptiveField.Of(_sources.Model, _layer.Name, h, w);
        }
        catch (ArgumentException)
        {
            _field = null;
        }
        return _field;
    }

    private string ClassName(int label) => _sources.ClassNames is { } names && (uint)label < (uint)names.Count ? names[label] : $"class {label}";

    private static void DrawBox(byte[] rgb, int width, int height, int x0, int y0, int w, int h)
    {
        void Set(int x, int y)
        {
            if ((uint)x >= (uint)width || (uint)y >= (uint)height) return;
            int o = (y * width + x) * 3;
            rgb[o] = 230; rgb[o + 1] = 40; rgb[o + 2] = 40;
        }
        for (int x = x0; x < x0 + w; x++) { Set(x, y0); Set(x, y0 + h - 1); }
        for (int y = y0; y < y0 + h; y++) { Set(x0, y); Set(x0 + w - 1, y); }
    }

    private string TokenLine(TokenWindowDataset text, long index, double? score, int? position)
    {
        if ((ulong)index >= (ulong)text.Count) return $"<div class=\"tokens\">#{index} (outside the dataset)</div>";
        int[] tokens = text.Window(index).ToArray();
        _maps.TryGetValue(index, out float[]? map);
        int peak = map is { Length: > 0 } ? ArgMax(map) : Math.Clamp(position ?? tokens.Length - 1, 0, tokens.Length - 1);
        int from = Math.Max(0, peak - 16), to = Math.Min(tokens.Length, peak + 5);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"tokens\" data-input=\"{index}\"><span class=\"val\">#{index}{(score is { } s ? " · " + Html.Num(s, "0.##") : "")}</span>");
        if (from > 0) sb.Append("<span class=\"muted\">…</span>");
        for (int t = from; t < to; t++)
        {
            double a = map is not null && t < map.Length && float.IsFinite(map[t]) ? Math.Clamp(map[t] / _scale, 0, 1) : t == peak ? 1 : 0;
            string tok = _sources.DecodeToken!(tokens[t]).Replace("\n", "⏎", StringComparison.Ordinal);
            string value = map is not null && t < map.Length ? Html.Num(map[t]) : t == peak ? "peak" : "";
            sb.Append(CultureInfo.InvariantCulture,
                $"<span class=\"tok{(t == peak ? " max" : "")}\" style=\"background:{HeatmapColors.Shade(a)}\" title=\"{Html.E(value)}\">{Html.E(tok)}</span>");
        }
        if (to < tokens.Length) sb.Append("<span class=\"muted\">…</span>");
        sb.Append("</div>");
        return sb.ToString();
    }

    private static int ArgMax(float[] map)
    {
        int best = 0;
        for (int i = 1; i < map.Length; i++) if (map[i] > map[best]) best = i;
        return best;
    }
}
