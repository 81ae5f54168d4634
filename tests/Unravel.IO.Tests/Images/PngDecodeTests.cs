// PNG decoding against Pillow 9.4 (and the generator's exact 16-bit samples): every colour type, bit depth,
// Adam7, each filter alone, split IDATs, tRNS, odd and one-pixel sizes, Pillow-written files.

using Unravel.IO.Images;

namespace Unravel.IO.Tests.Images;

public sealed class PngDecodeTests
{
    public static TheoryData<string> All => ImageFixtures.Names("png");

    public static TheoryData<string> WithTransparency => ImageFixtures.Names("png", e => e.Has("transparent"));

    public static TheoryData<string> SixteenBit => ImageFixtures.Names("png", e => e.Has("samples16"));

    [Theory]
    [MemberData(nameof(All))]
    public void Decode_Fixture_EqualsPillow(string name)
    {
        FixtureEntry e = ImageFixtures.Find("png", name);
        Image img = Png.Read(ImageFixtures.PathOf(e.String("file")));
        Assert.Equal(e.Int("width"), img.Width);
        Assert.Equal(e.Int("height"), img.Height);
        ImageFixtures.AssertPixels(e.Array("decoded"), img, 0, name);
    }

    [Theory]
    [MemberData(nameof(WithTransparency))]
    public void Decode_ApplyTransparency_AddsAlphaLikePillowConvert(string name)
    {
        FixtureEntry e = ImageFixtures.Find("png", name);
        Image img = Png.Read(ImageFixtures.PathOf(e.String("file")), new PngDecodeOptions { ApplyTransparency = true });
        ImageFixtures.AssertPixels(e.Array("transparent"), img, 0, name);
    }

    [Theory]
    [MemberData(nameof(SixteenBit))]
    public void Decode16_SixteenBitFixture_KeepsExactSamples(string name)
    {
        FixtureEntry e = ImageFixtures.Find("png", name);
        string path = ImageFixtures.PathOf(e.String("file"));
        Image16 img = Png.Read16(path);
        FixtureArray expected = e.Array("samples16");
        Assert.Equal(expected.Channels, img.Channels);
        Assert.Equal(expected.U16(), img.Pixels);
        if (e.Has("transparent16"))
        {
            Image16 withAlpha = Png.Read16(path, applyTransparency: true);
            Assert.Equal(e.Array("transparent16").U16(), withAlpha.Pixels);
        }
    }

    [Fact]
    public void Decode16_EightBitFile_ScalesBy257()
    {
        string path = ImageFixtures.PathOf("png/gray2_37x53.png");
        Image eight = Png.Read(path);
        Image16 wide = Png.Read16(path);
        Assert.Equal(eight.Pixels.Select(b => (ushort)(b * 257)), wide.Pixels);
    }

    [Theory]
    [InlineData(SixteenBitConversion.HighByte)]
    [InlineData(SixteenBitConversion.Round)]
    public void Decode_SixteenBitOption_AppliesRule(SixteenBitConversion rule)
    {
        string path = ImageFixtures.PathOf("png/gray16_37x53.png");
        ushort[] samples = Png.Read16(path).Pixels;
        Image img = Png.Read(path, new PngDecodeOptions { SixteenBit = rule });
        for (int i = 0; i < samples.Length; i++)
        {
            int v = samples[i];
            int expected = rule == SixteenBitConversion.HighByte ? v >> 8 : (int)Math.Round(v * 255.0 / 65535.0);
            Assert.Equal(expected, img.Pixels[i]);
        }
    }

    [Fact]
    public void Load_PngAndJpeg_SniffsFormat()
    {
        Assert.Equal(3, Image.Load(ImageFixtures.PathOf("png/rgb8_37x53.png")).Channels);
        Assert.Equal(1, Image.Load(ImageFixtures.PathOf("jpeg/gray_q75_37x53.jpg")).Channels);
    }
}
