// safetensors: values against the generator's expected bits, byte-equality of our writer with the reference
// layout, and one test per validation rule (each asserting the file and key/offset in the message).

using System.Buffers.Binary;
using System.Text;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class SafeTensorsTests
{
    [Theory]
    [InlineData("safetensors/f32.safetensors")]
    [InlineData("safetensors/f16.safetensors")]
    [InlineData("safetensors/bf16.safetensors")]
    [InlineData("safetensors/mixed.safetensors")]
    public void Read_Fixture_ValuesEqualTorch(string fixture)
    {
        using SafeTensors st = SafeTensors.Read(FixtureFiles.Path(fixture));
        IReadOnlyDictionary<string, Tensor> expected = FixtureFiles.Expected(fixture);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), st.Names.Order(StringComparer.Ordinal));
        foreach ((string name, Tensor e) in expected)
        {
            Assert.Equal(e.Shape.ToArray(), st.GetShape(name));
            IoAssert.Identical(e, st.GetTensor(name), $"{fixture}:{name}");
        }
    }

    [Fact]
    public void Read_F32Fixture_ExposesMetadataAndDtypes()
    {
        using SafeTensors st = SafeTensors.Read(FixtureFiles.Path("safetensors/f32.safetensors"));
        Assert.Equal("pt", st.Metadata["format"]);
        Assert.Equal("io_formats.py", st.Metadata["source"]);
        Assert.All(st.Tensors, t => Assert.Equal("F32", t.Dtype));
        SafeTensorInfo info = st.GetInfo("h.0.attn.c_attn.weight");
        Assert.Equal([3, 9], info.Shape);
        Assert.Equal(27 * 4, info.End - info.Begin);
        Assert.Empty(st.GetInfo("scalar").Shape);
        Assert.Equal(0, st.GetTensor("empty").Length);
    }

    [Fact]
    public void Read_MixedFixture_ReportsStoredDtypes()
    {
        using SafeTensors st = SafeTensors.Read(FixtureFiles.Path("safetensors/mixed.safetensors"));
        Assert.Equal("I64", st.GetInfo("ids").Dtype);
        Assert.Equal("BOOL", st.GetInfo("flags").Dtype);
        Assert.Equal([0f, 50256f, -3f], st.GetTensor("ids").ToArray());
        Assert.Empty(st.Metadata);
    }

    [Fact]
    public void ReadAll_F16Fixture_ReturnsEveryTensorInHeaderOrder()
    {
        using SafeTensors st = SafeTensors.Read(FixtureFiles.Path("safetensors/f16.safetensors"));
        IReadOnlyDictionary<string, Tensor> all = st.ReadAll();
        Assert.Equal(st.Names, all.Keys);
    }

    [Fact]
    public void GetTensor_UnconvertibleDtype_ThrowsNamingKeyAndDtype()
    {
        string path = FixtureFiles.Path("safetensors/u64_like.safetensors");
        using SafeTensors st = SafeTensors.Read(path);
        IoAssert.Throws(path, () => st.GetTensor("x"), ": x:", "U32", "cannot be converted");
    }

    [Fact]
    public void GetTensor_IntegerBeyondFloatPrecision_Throws()
    {
        string path = FixtureFiles.Path("safetensors/big_int.safetensors");
        using SafeTensors st = SafeTensors.Read(path);
        IoAssert.Throws(path, () => st.GetTensor("ids"), ": ids:", "element 1", "2^24");
    }

    [Fact]
    public void GetTensor_UnknownName_ThrowsKeyNotFound()
    {
        using SafeTensors st = SafeTensors.Read(FixtureFiles.Path("safetensors/f32.safetensors"));
        var ex = Assert.Throws<KeyNotFoundException>(() => st.GetTensor("nope"));
        Assert.Contains("'nope'", ex.Message);
    }

    // ---------------------------------------------------------------------------------------------- writer

    private static Dictionary<string, Tensor> WriterTensors(string fixture) =>
        FixtureFiles.Expected(fixture).ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public void Write_F32_MatchesReferenceLayoutByteForByte()
    {
        using var dir = new TempDir();
        string path = dir.Path("out.safetensors");
        SafeTensors.Write(path, WriterTensors("safetensors/writer_f32.safetensors"), new Dictionary<string, string> { ["format"] = "pt" });
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("safetensors/writer_f32.safetensors")), File.ReadAllBytes(path));
    }

    [Fact]
    public void Write_F16_MatchesReferenceLayoutByteForByte()
    {
        using var dir = new TempDir();
        string path = dir.Path("out.safetensors");
        // The f32 originals, rounded by our writer, must give the bytes torch's .half() gave.
        Dictionary<string, Tensor> source = WriterTensors("safetensors/writer_f32.safetensors");
        SafeTensors.Write(path, source, dtype: SafeTensorsDtype.F16);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("safetensors/writer_f16.safetensors")), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(SafeTensorsDtype.F32)]
    [InlineData(SafeTensorsDtype.F16)]
    [InlineData(SafeTensorsDtype.BF16)]
    public void Write_ThenRead_RoundTripsWithinDtypePrecision(SafeTensorsDtype dtype)
    {
        using var dir = new TempDir();
        var rng = new Random(3);
        var tensors = new Dictionary<string, Tensor>
        {
            ["b.weight"] = Tensor.RandomNormal(rng, 4, 5),
            ["a"] = Tensor.RandomNormal(rng, 7),
            ["scalar"] = Tensor.Scalar(0.5f),
            ["empty"] = Tensor.Zeros(0, 2),
            ["é.unicode"] = Tensor.RandomNormal(rng, 2, 1, 3),
        };
        string path = dir.Path("rt.safetensors");
        SafeTensors.Write(path, tensors, new Dictionary<string, string> { ["k"] = "v" }, dtype);
        using SafeTensors st = SafeTensors.Read(path);
        Assert.Equal(["a", "b.weight", "empty", "scalar", "é.unicode"], st.Names);
        Assert.Equal("v", st.Metadata["k"]);
        Assert.True((st.DataStart - 8) % 8 == 0, "header length must be a multiple of 8");
        // F16 keeps 11 significant bits, BF16 8: relative error ≤ 2^-11 and 2^-8 for normal numbers.
        float rtol = dtype switch { SafeTensorsDtype.F32 => 0f, SafeTensorsDtype.F16 => 1f / 2048, _ => 1f / 256 };
        foreach ((string name, Tensor t) in tensors)
        {
            Assert.Equal(dtype.ToString(), st.GetInfo(name).Dtype);
            Tensor back = st.GetTensor(name);
            Assert.Equal(t.Shape.ToArray(), back.Shape.ToArray());
            for (int i = 0; i < t.Length; i++)
                Assert.True(Math.Abs(back.Data[i] - t.Data[i]) <= rtol * Math.Abs(t.Data[i]), $"{name}[{i}]: {back.Data[i]} vs {t.Data[i]}");
        }
    }

    [Theory]
    [InlineData(SafeTensorsDtype.F16, "safetensors/f16.safetensors")]
    [InlineData(SafeTensorsDtype.BF16, "safetensors/bf16.safetensors")]
    public void Write_ReducedPrecision_RoundsLikeTorch(SafeTensorsDtype dtype, string torchRounded)
    {
        // f32 originals (incl. ±0, ±Inf, NaN, 65504, subnormals) rounded by our writer must equal torch's .half()/.bfloat16().
        using var dir = new TempDir();
        string path = dir.Path("r.safetensors");
        using (SafeTensors f32 = SafeTensors.Read(FixtureFiles.Path("safetensors/f32.safetensors")))
            SafeTensors.Write(path, f32.ReadAll(), dtype: dtype);
        using SafeTensors ours = SafeTensors.Read(path);
        foreach ((string name, Tensor e) in FixtureFiles.Expected(torchRounded))
            IoAssert.Identical(e, ours.GetTensor(name), $"{dtype}:{name}");
    }

    [Fact]
    public void Write_BF16_RoundsToNearestEvenAndKeepsSpecials()
    {
        using var dir = new TempDir();
        string path = dir.Path("bf.safetensors");
        // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties go to the even mantissa (1). 1 + 3·2^-8 rounds up to 1 + 2^-6.
        float[] values = [1f + 1f / 256, 1f + 3f / 256, float.PositiveInfinity, float.NegativeInfinity, float.NaN, -0f];
        SafeTensors.Write(path, new Dictionary<string, Tensor> { ["x"] = Tensor.FromArray(values) }, dtype: SafeTensorsDtype.BF16);
        using SafeTensors st = SafeTensors.Read(path);
        float[] back = st.GetTensor("x").ToArray();
        Assert.Equal(1f, back[0]);
        Assert.Equal(1f + 1f / 64, back[1]);
        Assert.Equal(float.PositiveInfinity, back[2]);
        Assert.Equal(float.NegativeInfinity, back[3]);
        Assert.True(float.IsNaN(back[4]));
        Assert.True(float.IsNegative(back[5]) && back[5] == 0f);
    }

    [Fact]
    public void Write_MetadataKeyAsTensorName_ThrowsArgumentException()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<ArgumentException>(() =>
            SafeTensors.Write(dir.Path("x.safetensors"), new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Scalar(1) }));
        Assert.Contains("__metadata__", ex.Message);
        Assert.Empty(Directory.GetFiles(dir.Root));
    }

    // ------------------------------------------------------------------------------------------ validation

    /// <summary>Builds a file from a raw header (padded to 8 bytes) and <paramref name="dataBytes"/> zero bytes.</summary>
    private static string Build(TempDir dir, string header, int dataBytes, ulong? declaredLength = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        int padded = (h.Length + 7) / 8 * 8;
        var bytes = new byte[8 + padded + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredLength ?? (ulong)padded);
        h.CopyTo(bytes, 8);
        bytes.AsSpan(8 + h.Length, padded - h.Length).Fill((byte)' ');
        return dir.Write("bad.safetensors", bytes);
    }

    [Fact]
    public void Read_FileShorterThanEightBytes_Throws()
    {
        using var dir = new TempDir();
        string path = dir.Write("short.safetensors", [1, 0, 0]);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset 0", "3 bytes");
    }

    [Fact]
    public void Read_HeaderLengthAboveLimit_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, "{}", 0, declaredLength: 200_000_000);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset 0", "200000000", "limit");
    }

    [Fact]
    public void Read_HeaderLengthPastEndOfFile_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, "{}", 0, declaredLength: 1000);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset 0", "header length 1000", "truncated");
    }

    [Fact]
    public void Read_HeaderNotAnObject_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, "[1, 2]", 0);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset 8", "'{'");
    }

    [Fact]
    public void Read_InvalidJson_ThrowsWithOffset()
    {
        using var dir = new TempDir();
        string path = Build(dir, "{\"a\": {\"dtype\": F32}}", 0);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "offset ", "not valid JSON");
    }

    [Fact]
    public void Read_UnknownDtype_ThrowsNamingKey()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"w":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}""", 4);
        IoAssert.Throws(path, () => SafeTensors.Read(path), ": w:", "unknown dtype 'Q7'");
    }

    [Fact]
    public void Read_ByteLengthDisagreesWithShape_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", 12);
        IoAssert.Throws(path, () => SafeTensors.Read(path), ": w:", "needs 8 bytes", "hold 12");
    }

    [Fact]
    public void Read_OffsetsPastEndOfData_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8);
        IoAssert.Throws(path, () => SafeTensors.Read(path), ": w:", "past the end of the data buffer (8 bytes");
    }

    [Fact]
    public void Read_OverlappingTensors_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        IoAssert.Throws(path, () => SafeTensors.Read(path), ": b:", "overlap 'a'");
    }

    [Fact]
    public void Read_GapBetweenTensors_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}""", 20);
        IoAssert.Throws(path, () => SafeTensors.Read(path), ": b:", "leave a gap after 'a'");
    }

    [Fact]
    public void Read_TrailingBytesAfterData_Throws()
    {
        using var dir = new TempDir();
        string path = Build(dir, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "cover 8 bytes but the data buffer has 12");
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}""", ": a:", "shape entry 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}""", ": a:", "shape entry 0")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,0]}}""", ": a:", "'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}""", ": a:", "data_offsets")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}""", ": a:", "end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}""", ": a:", "twice")]
    [InlineData("""{"__metadata__":{"n":1}}""", "__metadata__.n", "must be strings")]
    [InlineData("""{"a":[]}""", ": a:", "expected an object")]
    [InlineData("""{"a":{"dtype":"F32","shape":[65536,65536,65536,65536,65536],"data_offsets":[0,0]}}""", ": a:", "overflows")]
    public void Read_MalformedEntry_ThrowsNamingKey(string header, string where, string problem)
    {
        using var dir = new TempDir();
        string path = Build(dir, header, 0);
        IoAssert.Throws(path, () => SafeTensors.Read(path), where, problem);
    }

    [Fact]
    public void Read_TruncatedFixture_ThrowsNamingOffset()
    {
        using var dir = new TempDir();
        string path = dir.Copy("safetensors/f32.safetensors");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        IoAssert.Throws(path, () => SafeTensors.Read(path), "truncated");
    }
}
