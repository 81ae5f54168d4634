// JPEG decoding against Pillow 9.4 / libjpeg-turbo 2.1 (islow IDCT, fancy upsampling): baseline, progressive,
// 4:4:4 / 4:2:2 / 4:2:0 / 4:4:0 / 4:1:1, gray, restart intervals, APPn/COM segments, multi-scan, RGB-coded, tiny sizes.

using Unravel.IO.Images;
using Xunit.Abstractions;

namespace Unravel.IO.Tests.Images;

public sealed class JpegDecodeTests(ITestOutputHelper output)
{
    public static TheoryData<string> All => ImageFixtures.Names("jpeg");

    [Theory]
    [MemberData(nameof(All))]
    public void Decode_Fixture_MatchesPillowWithinOne(string name)
    {
        FixtureEntry e = ImageFixtures.Find("jpeg", name);
        Image img = Jpeg.Read(ImageFixtures.PathOf(e.String("file")));
        // The issue allows 1/255 per channel; the decoder reproduces libjpeg-turbo's integer pipeline, so in
        // practice every sample is equal (the maximum is printed).
        int max = ImageFixtures.AssertPixels(e.Array("decoded"), img, 1, name);
        output.WriteLine($"{name} ({e.String("note")}): maxDiff {max}");
    }
}
