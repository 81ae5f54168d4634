// Inputs that the fuzz harness (fuzz/, AFL++ with SharpFuzz) found to escape a parser with an undocumented exception,
// kept as regression tests: each must now end in CheckpointFormatException naming the file.

using System.Text;
using Unravel.IO.Images;
using Unravel.IO.Tests.Support;

namespace Unravel.IO.Tests;

public sealed class FuzzRegressionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void HuggingFace_IndexKeyOfInvalidUtf8_ThrowsCheckpointFormat()
    {
        // Found by the hf-folder target: System.Text.Json validates UTF-8 in values but not in property names, so
        // enumerating weight_map threw InvalidOperationException ("Cannot transcode invalid UTF-8 JSON text").
        string folder = Directory.CreateDirectory(_dir.Path("hf")).FullName;
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"model_type\": \"gpt2\"}");
        byte[] index = [.. Encoding.ASCII.GetBytes("{\"weight_map\": {\"w"), 0xB6, .. Encoding.ASCII.GetBytes("\": \"a.safetensors\"}}")];
        string indexPath = Path.Combine(folder, "model.safetensors.index.json");
        File.WriteAllBytes(indexPath, index);
        IoAssert.Throws(indexPath, () => HuggingFaceFolder.Open(folder), "offset 18", "not valid UTF-8");
    }

    [Fact]
    public void Jpeg_448ByteFileDeclaring3329x63000_RefusedBeforeAllocating()
    {
        // Found by the jpeg target (AFL++, aborted under the harness's 1 GiB heap cap): a progressive frame of 3329x63000
        // in 448 bytes made the decoder allocate its coefficient buffers (hundreds of MB) before reading any scan.
        string path = FixtureFiles.Path("fuzz/jpeg-huge-sof.jpg");
        long before = GC.GetAllocatedBytesForCurrentThread();
        IoAssert.Throws(path, () => Jpeg.Read(path), "more 8x8 blocks than a 448-byte file can code");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
    }

    [Fact]
    public void Png_IdatWithInvalidDeflateDistance_ThrowsCheckpointFormat()
    {
        // Found by the png target (AFL++, after the harness began fixing chunk CRCs): a 5x3 grey PNG whose IDAT holds a
        // dynamic deflate block that zlib rejects with System.IO.Compression.ZLibException, an internal IOException
        // that the decoder did not catch. The fixture's chunk CRCs are valid, so the file reaches the inflater.
        string path = FixtureFiles.Path("fuzz/png-zlib-error.png");
        IoAssert.Throws(path, () => Png.Read(path), "IDAT data starting at offset 86", "corrupt zlib data");
        IoAssert.Throws(path, () => Png.Read16(path), "corrupt zlib data");
    }
}
