// The decorrelated image parameterisation of feature visualisation (Olah et al. 2017, "Feature Visualization", Distill,
// "The Enemy of Feature Visualization" / "Preconditioning and Parameterization"; as in lucid/lucent's fft_image): each
// channel is a real 2-D Fourier spectrum (ky ∈ [0, H), kx ∈ [0, W/2]) scaled by 1/max(f, 1/max(H, W)), so that gradient
// steps are whitened in frequency; RGB images are also colour-decorrelated by the square root of the ImageNet colour
// covariance; a sigmoid maps to [0, 1]. Every map is linear up to the sigmoid, and the adjoint is written out.

namespace Unravel.Interpret.FeatureVisualization;

/// <summary>Spectrum parameters → image in [0, 1], and the gradient back to the parameters.</summary>
internal sealed class FourierImage
{
    // lucid's color_correlation_svd_sqrt, columns normalised by the largest column norm.
    private static readonly float[] s_colour = MakeColour();

    private readonly int _c, _h, _w, _k;
    private readonly bool _fourier;
    private readonly float[] _cy, _sy, _cx, _sx, _scale; // [H, H], [H, H], [W, K], [W, K], [H, K] (incl. the Hermitian weight)
    private readonly float _norm;

    public FourierImage(int channels, int size, bool fourier, Random rng)
    {
        (_c, _h, _w, _fourier) = (channels, size, size, fourier);
        _k = fourier ? _w / 2 + 1 : _w;
        _cy = new float[_h * _h];
        _sy = new float[_h * _h];
        _cx = new float[_w * _k];
        _sx = new float[_w * _k];
        _scale = new float[_h * _k];
        if (fourier)
        {
            for (int h = 0; h < _h; h++)
                for (int ky = 0; ky < _h; ky++)
                {
                    double a = 2 * Math.PI * ky * h / _h;
                    _cy[h * _h + ky] = (float)Math.Cos(a);
                    _sy[h * _h + ky] = (float)Math.Sin(a);
                }
            for (int w = 0; w < _w; w++)
                for (int kx = 0; kx < _k; kx++)
                {
                    double a = 2 * Math.PI * kx * w / _w;
                    _cx[w * _k + kx] = (float)Math.Cos(a);
                    _sx[w * _k + kx] = (float)Math.Sin(a);
                }
            for (int ky = 0; ky < _h; ky++)
                for (int kx = 0; kx < _k; kx++)
                {
                    double fy = (ky <= _h / 2 ? ky : ky - _h) / (double)_h, fx = kx / (double)_w;
                    double f = Math.Max(Math.Sqrt(fy * fy + fx * fx), 1.0 / Math.Max(_h, _w));
                    double hermitian = kx == 0 || 2 * kx == _w ? 1 : 2; // irfft counts the mirrored half once more
                    _scale[ky * _k + kx] = (float)(hermitian / f);
                }
            _norm = (float)(Math.Sqrt(_h * _w) / (_h * _w) / 4); // irfft's 1/(HW), lucid's √(HW) and its final /4
        }
        Re = new float[_c * _h * _k];
        Im = new float[fourier ? _c * _h * _k : 0];
        float sd = fourier ? 0.01f : 0.1f;
        for (int i = 0; i < Re.Length; i++) Re[i] = sd * Gaussian(rng);
        for (int i = 0; i < Im.Length; i++) Im[i] = sd * Gaussian(rng);
    }

    /// <summary>Real parts (or plain pre-sigmoid pixels without Fourier), [C, H, K].</summary>
    public float[] Re { get; }

    /// <summary>Imaginary parts, [C, H, K] (empty without Fourier).</summary>
    public float[] Im { get; }

    /// <summary>The pre-colour, pre-sigmoid image [C, H, W] (the linear part).</summary>
    public float[] Linear()
    {
        if (!_fourier) return (float[])Re.Clone();
        var x = new float[_c * _h * _w];
        var a = new float[_h * _k];
        var b = new float[_h * _k];
        var p = new float[_h * _k];
        var q = new float[_h * _k];
        for (int c = 0; c < _c; c++)
        {
            for (int i = 0; i < _h * _k; i++)
            {
                a[i] = Re[c * _h * _k + i] * _scale[i];
                b[i] = Im[c * _h * _k + i] * _scale[i];
            }
            // x = (Cy·A − Sy·B)·Cxᵀ − (Sy·A + Cy·B)·Sxᵀ, from cos(α + β) and sin(α + β).
            Array.Clear(p);
            Array.Clear(q);
            for (int h = 0; h < _h; h++)
                for (int ky = 0; ky < _h; ky++)
                {
                    float cyv = _cy[h * _h + ky], syv = _sy[h * _h + ky];
                    for (int kx = 0; kx < _k; kx++)
                    {
                        p[h * _k + kx] += cyv * a[ky * _k + kx] - syv * b[ky * _k + kx];
                        q[h * _k + kx] += syv * a[ky * _k + kx] + cyv * b[ky * _k + kx];
                    }
                }
            for (int h = 0; h < _h; h++)
                for (int w = 0; w < _w; w++)
                {
                    float s = 0;
                    for (int kx = 0; kx < _k; kx++) s += p[h * _k + kx] * _cx[w * _k + kx] - q[h * _k + kx] * _sx[w * _k + kx];
                    x[(c * _h + h) * _w + w] = s * _norm;
                }
        }
        return x;
    }

    /// <summary>Gradients of the parameters from the gradient <paramref name="g"/> [C, H, W] of <see cref="Linear"/>.</summary>
    public (float[] Re, float[] Im) LinearAdjoint(ReadOnlySpan<float> g)
    {
        if (!_fourier) return (g.ToArray(), []);
        var gre = new float[Re.Length];
        var gim = new float[Im.Length];
        var g1 = new float[_h * _k];
        var g2 = new float[_h * _k];
        for (int c = 0; c < _c; c++)
        {
            Array.Clear(g1);
            Array.Clear(g2);
            for (int h = 0; h < _h; h++)
                for (int w = 0; w < _w; w++)
                {
                    float gv = g[(c * _h + h) * _w + w] * _norm;
                    for (int kx = 0; kx < _k; kx++)
                    {
                        g1[h * _k + kx] += gv * _cx[w * _k + kx];
                        g2[h * _k + kx] -= gv * _sx[w * _k + kx];
                    }
                }
            // p = Cy·A − Sy·B gets g1, q = Sy·A + Cy·B gets g2.
            for (int ky = 0; ky < _h; ky++)
                for (int h = 0; h < _h; h++)
                {
                    float cyv = _cy[h * _h + ky], syv = _sy[h * _h + ky];
                    for (int kx = 0; kx < _k; kx++)
                    {
                        int i = ky * _k + kx;
                        float ga = cyv * g1[h * _k + kx] + syv * g2[h * _k + kx];
                        float gb = -syv * g1[h * _k + kx] + cyv * g2[h * _k + kx];
                        gre[c * _h * _k + i] += ga * _scale[i];
                        gim[c * _h * _k + i] += gb * _scale[i];
                    }
                }
        }
        return (gre, gim);
    }

    /// <summary>The image in [0, 1]: colour decorrelation (RGB), then a sigmoid. Also returns the sigmoid output for the adjoint.</summary>
    public float[] Image(float[] linear)
    {
        int hw = _h * _w;
        var y = new float[linear.Length];
        for (int p = 0; p < hw; p++)
            for (int c = 0; c < _c; c++)
            {
                float v = linear[c * hw + p];
                if (_c == 3) v = s_colour[c * 3] * linear[p] + s_colour[c * 3 + 1] * linear[hw + p] + s_colour[c * 3 + 2] * linear[2 * hw + p];
                y[c * hw + p] = 1f / (1f + MathF.Exp(-v));
            }
        return y;
    }

    /// <summary>Gradient of the linear image from the gradient of <see cref="Image"/>'s output <paramref name="image"/>.</summary>
    public float[] ImageAdjoint(float[] image, ReadOnlySpan<float> g)
    {
        int hw = _h * _w;
        var pre = new float[image.Length];
        for (int i = 0; i < pre.Length; i++) pre[i] = g[i] * image[i] * (1 - image[i]);
        if (_c != 3) return pre;
        var lin = new float[image.Length];
        for (int p = 0; p < hw; p++)
            for (int d = 0; d < 3; d++)
                lin[d * hw + p] = s_colour[d] * pre[p] + s_colour[3 + d] * pre[hw + p] + s_colour[6 + d] * pre[2 * hw + p];
        return lin;
    }

    private static float Gaussian(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));

    private static float[] MakeColour()
    {
        float[] m = [0.26f, 0.09f, 0.02f, 0.27f, 0.00f, -0.05f, 0.27f, -0.09f, 0.03f];
        float max = 0;
        for (int col = 0; col < 3; col++) max = Math.Max(max, MathF.Sqrt(m[col] * m[col] + m[3 + col] * m[3 + col] + m[6 + col] * m[6 + col]));
        return m.Select(v => v / max).ToArray();
    }
}
