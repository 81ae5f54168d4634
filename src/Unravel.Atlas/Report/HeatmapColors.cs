// The colour maps of every heatmap Unravel draws, in one place: signed relevance as matplotlib's "bwr" (white at 0,
// red at +max|h|, blue at −max|h|, the convention of the LRP literature, e.g. Bach et al. 2015, Fig. 1) for `attribute`,
// and the one-sided activation shade (the report's warm orange, alpha ∝ activation) for token windows in the report.

using System.Globalization;
using Unravel.IO.Images;

namespace Unravel.Atlas.Report;

/// <summary>Signed (blue-white-red) and one-sided (warm shade) colour maps shared by the CLI and the report.</summary>
public static class HeatmapColors
{
    /// <summary>RGB of the activation shade; its CSS alpha carries the value.</summary>
    public const string ShadeRgb = "217,72,15";

    /// <summary>CSS background of a value in [0, 1] on the activation shade (values outside are clamped).</summary>
    public static string Shade(double value) =>
        string.Create(CultureInfo.InvariantCulture, $"rgba({ShadeRgb},{Math.Clamp(double.IsFinite(value) ? value : 0, 0, 1):0.00})");

    /// <summary>"bwr" colour of <paramref name="value"/> in [−1, 1] (clamped): white at 0, red at +1, blue at −1.</summary>
    /// <remarks>Effectively computes fade = round(255 (1 − |v|)); (255, fade, fade) for v ≥ 0, (fade, fade, 255) for v ≤ 0.</remarks>
    public static (byte R, byte G, byte B) Signed(float value)
    {
        float v = float.IsNaN(value) ? 0f : Math.Clamp(value, -1f, 1f);
        byte fade = (byte)MathF.Round(255f * (1f - MathF.Abs(v)));
        return (v >= 0 ? (byte)255 : fade, fade, v <= 0 ? (byte)255 : fade);
    }

    /// <summary>A [H, W] signed map as an RGB image on a symmetric scale ±max|map|, each cell drawn
    /// <paramref name="scale"/>×<paramref name="scale"/> pixels.</summary>
    /// <exception cref="ArgumentException">The map is shorter than H·W, or a size is not positive.</exception>
    public static Image RenderSigned(ReadOnlySpan<float> map, int height, int width, int scale)
    {
        if (height <= 0 || width <= 0 || scale <= 0 || map.Length < height * width)
            throw new ArgumentException($"heatmap: {map.Length} values for {height}×{width} at scale {scale}.", nameof(map));
        float m = 0f;
        foreach (float v in map[..(height * width)]) if (float.IsFinite(v)) m = Math.Max(m, Math.Abs(v));
        Image img = Image.Create(width * scale, height * scale, 3);
        for (int y = 0; y < height * scale; y++)
            for (int x = 0; x < width * scale; x++)
            {
                (byte r, byte g, byte b) = Signed(m > 0 ? map[(y / scale) * width + x / scale] / m : 0f);
                int o = (y * width * scale + x) * 3;
                img.Pixels[o] = r;
                img.Pixels[o + 1] = g;
                img.Pixels[o + 2] = b;
            }
        return img;
    }
}
