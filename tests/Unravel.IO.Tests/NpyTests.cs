// .npy: values of numpy-written files (every supported dtype, versions 1.0 and 2.0), byte equality of our writer
// with np.save (the committed evidence that numpy reads what we write), and malformed headers.

using System.Buffers.Binary;
using System.Text;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class NpyTests
{
    [Theory]
    [InlineData("f4_2x3.npy")]
    [InlineData("f2_4.npy")]
    [InlineData("f8_3x1.npy")]
    [InlineData("i4_5.npy")]
    [InlineData("i8_2x2.npy")]
    [InlineData("u1_3.npy")]
    [InlineData("scalar.npy")]
    [InlineData("empty_0x4.npy")]
    [InlineData("f4_rank4.npy")]
    [InlineData("v2_f4.npy")]
    public void Read_NumpyFile_ValuesEqualNumpy(string name)
    {
        Tensor expected = FixtureFiles.Expected("npy/" + name)["array"];
        IoAssert.Identical(expected, Npy.Read(FixtureFiles.Path("npy/" + name)), name);
    }

    [Fact]
    public void ReadInt64_I8File_ReturnsExactValues()
    {
        (long[] data, int[] shape) = Npy.ReadInt64(FixtureFiles.Path("npy/i8_big.npy"));
        Assert.Equal([1L, 1L << 40], data);
        Assert.Equal([2], shape);
    }

    [Fact]
    public void ReadInt32_I4AndU1Files_ReturnValues()
    {
        (int[] data, int[] shape) = Npy.ReadInt32(FixtureFiles.Path("npy/i4_5.npy"));
        Assert.Equal([0, -1, 2, 16777216, -7], data);
        Assert.Equal([5], shape);
        Assert.Equal([0, 128, 255], Npy.ReadInt32(FixtureFiles.Path("npy/u1_3.npy")).Data);
    }

    [Fact]
    public void ReadInt32_ValueBeyondInt32_Throws()
    {
        string path = FixtureFiles.Path("npy/i8_big.npy");
        IoAssert.Throws(path, () => Npy.ReadInt32(path), "element 1", "does not fit int32");
    }

    [Fact]
    public void ReadInt32_FloatFile_Throws()
    {
        string path = FixtureFiles.Path("npy/f4_2x3.npy");
        IoAssert.Throws(path, () => Npy.ReadInt32(path), "descr", "'<f4' is not an integer type");
    }

    [Fact]
    public void Read_IntegerBeyondFloatPrecision_Throws()
    {
        string path = FixtureFiles.Path("npy/i8_big.npy");
        IoAssert.Throws(path, () => Npy.Read(path), "element 1", "2^24", "Npy.ReadInt64");
    }

    [Theory]
    [InlineData("fortran.npy", "fortran_order", "np.ascontiguousarray")]
    [InlineData("big_endian.npy", "'>f4'", "big-endian")]
    [InlineData("complex.npy", "'<c8'", "supported:")]
    public void Read_UnsupportedLayout_ThrowsWithHint(string name, string fragment, string hint)
    {
        string path = FixtureFiles.Path("npy/" + name);
        IoAssert.Throws(path, () => Npy.Read(path), fragment, hint);
    }

    // ---------------------------------------------------------------------------------------------- writer

    [Fact]
    public void Write_Float_MatchesNumpyByteForByte()
    {
        using var dir = new TempDir();
        string path = dir.Path("w.npy");
        Npy.Write(path, Tensor.FromArray([0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f], 2, 3));
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("npy/writer_f4.npy")), File.ReadAllBytes(path));
        Npy.Write(path, Tensor.Scalar(-1.5f));
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("npy/writer_scalar.npy")), File.ReadAllBytes(path));
    }

    [Fact]
    public void WriteInt32AndInt64_MatchNumpyByteForByte()
    {
        using var dir = new TempDir();
        string p32 = dir.Path("i4.npy"), p64 = dir.Path("i8.npy");
        Npy.WriteInt32(p32, [3, -1, 0, int.MaxValue], [2, 2]);
        Npy.WriteInt64(p64, [5, -6, 1L << 40], [3]);
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("npy/writer_i4.npy")), File.ReadAllBytes(p32));
        Assert.Equal(File.ReadAllBytes(FixtureFiles.Path("npy/writer_i8.npy")), File.ReadAllBytes(p64));
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 0 })]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 3, 0, 2 })]
    [InlineData(new[] { 2, 3, 4, 5, 1 })]
    [InlineData(new[] { 1000000 })]
    public void Write_ThenRead_RoundTripsExactly(int[] shape)
    {
        using var dir = new TempDir();
        Tensor t = Tensor.RandomNormal(new Random(shape.Length), shape);
        string path = dir.Path("rt.npy");
        Npy.Write(path, t);
        Assert.Equal(0, new FileInfo(path).Length % 4);
        IoAssert.Identical(t, Npy.Read(path), "round trip");
        // numpy aligns the data to 64 bytes.
        int headerLength = BinaryPrimitives.ReadUInt16LittleEndian(File.ReadAllBytes(path).AsSpan(8));
        Assert.Equal(0, (10 + headerLength) % 64);
    }

    [Fact]
    public void WriteInt32_ShapeMismatch_ThrowsArgumentException()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<ArgumentException>(() => Npy.WriteInt32(dir.Path("x.npy"), [1, 2, 3], [2, 2]));
        Assert.Contains("Npy.WriteInt32", ex.Message);
        Assert.Contains("[2, 2]", ex.Message);
        Assert.Empty(Directory.GetFiles(dir.Root));
    }

    // ------------------------------------------------------------------------------------------ malformed

    private static byte[] File10(string header, int dataBytes, byte major = 1)
    {
        byte[] h = Encoding.ASCII.GetBytes(header);
        int lenBytes = major == 1 ? 2 : 4;
        var bytes = new byte[8 + lenBytes + h.Length + dataBytes];
        byte[] magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        magic.CopyTo(bytes, 0);
        bytes[6] = major;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)h.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)h.Length);
        h.CopyTo(bytes, 8 + lenBytes);
        return bytes;
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 8, null, null)]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n", 12, "offset 68", "trailing bytes")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8, "offset 68", "truncated")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }\n", 8, "offset ", "'descr', 'fortran_order' and 'shape'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}\n", 8, "offset ", "unexpected or repeated key 'x'")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}\n", 8, "offset ", "repeated key 'descr'")]
    [InlineData("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,)}\n", 8, "offset ", "True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}\n", 8, "offset ", "non-negative integer")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,)}\n", 8, "offset ", "larger than")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}\n", 8, "offset ", "structured")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk\n", 8, "offset ", "after the header")]
    [InlineData("['descr']\n", 8, "offset 10", "expected '{'")]
    public void Read_Header_ValidatesLikeNumpy(string header, int dataBytes, string? where, string? problem)
    {
        using var dir = new TempDir();
        string path = dir.Write("h.npy", File10(header, dataBytes));
        if (problem is null)
            Assert.Equal(2, Npy.Read(path).Length);
        else
            IoAssert.Throws(path, () => Npy.Read(path), where!, problem);
    }

    [Fact]
    public void Read_Version2Header_IsAccepted()
    {
        using var dir = new TempDir();
        string path = dir.Write("v2.npy", File10("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }\n", 4, major: 2));
        Assert.Equal([0f], Npy.Read(path).ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U' }, "offset 0", "too short")]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 0, 0, 0, 0, 0, 0 }, "offset 0", "magic")]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 4, 0, 0, 0 }, "offset 6", "version 4.0")]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0x20, 0 }, "offset 8", "past the end")]
    [InlineData(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0x20, 0 }, "offset 8", "inside the header length")]
    public void Read_BadPreamble_ThrowsWithOffset(byte[] bytes, string where, string problem)
    {
        using var dir = new TempDir();
        string path = dir.Write("p.npy", bytes);
        IoAssert.Throws(path, () => Npy.Read(path), where, problem);
    }
}
