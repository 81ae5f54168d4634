// PNG encoding: decode(encode(x)) == x for every channel count and filter at odd sizes, the chosen filter is the
// one written, and Png.Write replaces files atomically without leaving temp files.

using System.Buffers.Binary;
using System.IO.Compression;
using Unravel.IO.Images;

namespace Unravel.IO.Tests.Images;

public sealed class PngEncodeTests
{
    public static TheoryData<int, PngFilter, int, int> RoundTripCases()
    {
        var data = new TheoryData<int, PngFilter, int, int>();
        foreach (int ch in new[] { 1, 2, 3, 4 })
        {
            foreach (PngFilter f in Enum.GetValues<PngFilter>())
            {
                data.Add(ch, f, 37, 53);
                data.Add(ch, f, 17, 1);
            }
            data.Add(ch, PngFilter.Adaptive, 1, 1);
            data.Add(ch, PngFilter.Paeth, 1, 9);
        }
        return data;
    }

    private static Image Pattern(int w, int h, int ch, int seed)
    {
        var rng = new Random(seed);
        var img = Image.Create(w, h, ch);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                for (int c = 0; c < ch; c++)
                {
                    // half smooth gradient (filters help), half noise (they do not)
                    int v = x < w / 2 ? (x * 7 + y * 3 + c * 50) & 255 : rng.Next(256);
                    img.Pixels[(y * w + x) * ch + c] = (byte)v;
                }
            }
        }
        return img;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void EncodeDecode_AnyChannelsAndFilter_RoundTrips(int channels, PngFilter filter, int width, int height)
    {
        Image img = Pattern(width, height, channels, seed: channels * 100 + (int)filter);
        Image back = Png.Decode(Png.Encode(img, filter));
        Assert.Equal((img.Width, img.Height, img.Channels), (back.Width, back.Height, back.Channels));
        Assert.Equal(img.Pixels, back.Pixels);
    }

    [Theory]
    [InlineData(PngFilter.None)]
    [InlineData(PngFilter.Sub)]
    [InlineData(PngFilter.Up)]
    [InlineData(PngFilter.Average)]
    [InlineData(PngFilter.Paeth)]
    public void Encode_FixedFilter_WritesThatFilterOnEveryRow(PngFilter filter)
    {
        Image img = Pattern(9, 6, 3, seed: 1);
        byte[] scanlines = Scanlines(Png.Encode(img, filter));
        Assert.Equal(6 * (1 + 9 * 3), scanlines.Length);
        for (int y = 0; y < 6; y++)
            Assert.Equal((byte)filter, scanlines[y * 28]);
    }

    [Fact]
    public void Encode_AdaptiveOnGradient_IsSmallerThanNone()
    {
        var img = Image.Create(200, 100, 3);
        for (int i = 0; i < img.Pixels.Length; i++)
            img.Pixels[i] = (byte)(i / 3 % 200 + i / 600);
        Assert.True(Png.Encode(img, PngFilter.Adaptive).Length < Png.Encode(img, PngFilter.None).Length);
    }

    [Fact]
    public void Write_ExistingFile_IsReplacedAndNoTempFileRemains()
    {
        string dir = Directory.CreateTempSubdirectory("unravel-png-").FullName;
        try
        {
            string path = Path.Combine(dir, "heatmap.png");
            File.WriteAllText(path, "old contents");
            Image img = Pattern(13, 7, 4, seed: 3);
            Png.Write(path, img);
            Assert.Equal(img.Pixels, Png.Read(path).Pixels);
            Assert.Equal(["heatmap.png"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_MissingDirectory_ThrowsAndCreatesNothing()
    {
        string dir = Path.Combine(Path.GetTempPath(), "unravel-missing-" + Guid.NewGuid().ToString("N"));
        Assert.ThrowsAny<IOException>(() => Png.Write(Path.Combine(dir, "x.png"), Image.Create(2, 2, 1)));
        Assert.False(Directory.Exists(dir));
    }

    /// <summary>The inflated IDAT stream of a PNG (filter byte + row bytes per row).</summary>
    internal static byte[] Scanlines(byte[] png)
    {
        var idat = new MemoryStream();
        for (int pos = 8; pos < png.Length;)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(pos));
            if (png.AsSpan(pos + 4, 4).SequenceEqual("IDAT"u8))
                idat.Write(png, pos + 8, len);
            pos += 12 + len;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new MemoryStream();
        z.CopyTo(raw);
        return raw.ToArray();
    }
}
