// Transformation robustness for feature visualisation (Olah et al. 2017, "Feature Visualization", Distill, "Transformation
// robustness"): each step the image is seen through a random affine warp (jitter, scale, rotation about the centre) by
// bilinear sampling with the border pixels extended; the adjoint scatters gradients back with the same weights.

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>One random affine warp of a [C, S, S] image.</summary>
internal sealed class RandomWarp
{
    private readonly int _size;
    private readonly double _cos, _sin, _scale, _dy, _dx;

    public RandomWarp(int size, double jitter, double scaleRange, double rotationDegrees, Random rng)
    {
        _size = size;
        double angle = (2 * rng.NextDouble() - 1) * rotationDegrees * Math.PI / 180;
        (_cos, _sin) = (Math.Cos(angle), Math.Sin(angle));
        _scale = 1 + (2 * rng.NextDouble() - 1) * scaleRange;
        _dy = (2 * rng.NextDouble() - 1) * jitter;
        _dx = (2 * rng.NextDouble() - 1) * jitter;
    }

    /// <summary>The identity warp.</summary>
    public RandomWarp(int size) => (_size, _cos, _sin, _scale) = (size, 1, 0, 1);

    public float[] Apply(float[] image, int channels)
    {
        var y = new float[image.Length];
        Walk((c, o, i, w) => y[c * _size * _size + o] += w * image[c * _size * _size + i], channels);
        return y;
    }

    public float[] Adjoint(ReadOnlySpan<float> g, int channels)
    {
        float[] gArr = g.ToArray();
        var x = new float[g.Length];
        Walk((c, o, i, w) => x[c * _size * _size + i] += w * gArr[c * _size * _size + o], channels);
        return x;
    }

    /// <summary>For every output pixel o, its (up to) four source pixels i with bilinear weights w.</summary>
    private void Walk(Action<int, int, int, float> visit, int channels)
    {
        double centre = (_size - 1) / 2.0;
        for (int oy = 0; oy < _size; oy++)
            for (int ox = 0; ox < _size; ox++)
            {
                double ry = (oy - centre) / _scale, rx = (ox - centre) / _scale;
                double sy = _cos * ry - _sin * rx + centre + _dy, sx = _sin * ry + _cos * rx + centre + _dx;
                sy = Math.Clamp(sy, 0, _size - 1);
                sx = Math.Clamp(sx, 0, _size - 1);
                int y0 = Math.Min((int)sy, _size - 2 < 0 ? 0 : _size - 2), x0 = Math.Min((int)sx, _size - 2 < 0 ? 0 : _size - 2);
                float fy = (float)(sy - y0), fx = (float)(sx - x0);
                int o = oy * _size + ox;
                for (int c = 0; c < channels; c++)
                {
                    visit(c, o, y0 * _size + x0, (1 - fy) * (1 - fx));
                    visit(c, o, y0 * _size + x0 + 1, (1 - fy) * fx);
                    visit(c, o, (y0 + 1) * _size + x0, fy * (1 - fx));
                    visit(c, o, (y0 + 1) * _size + x0 + 1, fy * fx);
                }
            }
    }
}
