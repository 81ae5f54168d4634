// MiniPickle on hand-assembled bytes: every supported opcode decodes to the value CPython's pickle would build, and
// every malformed or disallowed input fails with the entry name and the opcode's byte offset.

using Unravel.IO.Tests.Support;

namespace Unravel.IO.Tests;

public sealed class MiniPickleTests
{
    private const string File = "f.pth";
    private const string Entry = "archive/data.pkl";

    private static object? Load(PickleWriter p) => MiniPickle.Load(p.ToArray(), File, Entry);

    private static CheckpointFormatException Fails(byte[] bytes, params string[] fragments) =>
        IoAssert.Throws(File, () => MiniPickle.Load(bytes, File, Entry), [Entry + " offset ", .. fragments]);

    [Fact]
    public void Load_Scalars_DecodeLikeCPython()
    {
        // [1, 300, -7, 70000, 2**40, -(2**40), 0.25, True, False, None, 'héllo']
        var p = new PickleWriter().Proto().EmptyList().Mark()
            .Int(1).Int(300).Int(-7).Int(70000).Int(1L << 40).Int(-(1L << 40)).Float(0.25).Bool(true).Bool(false).None().Str("héllo")
            .Raw((byte)'e').Stop();
        var list = Assert.IsType<List<object?>>(Load(p));
        Assert.Equal<object?>([1L, 300L, -7L, 70000L, 1L << 40, -(1L << 40), 0.25, true, false, null, "héllo"], list);
    }

    [Theory]
    [InlineData(new byte[] { 0x8a, 0 }, 0L)]                          // LONG1 of zero bytes is 0
    [InlineData(new byte[] { 0x8a, 1, 0xff }, -1L)]
    [InlineData(new byte[] { 0x8a, 2, 0x00, 0x80 }, -32768L)]
    [InlineData(new byte[] { 0x8a, 2, 0xff, 0x00 }, 255L)]
    [InlineData(new byte[] { (byte)'M', 0xff, 0xff }, 65535L)]      // BININT2 is unsigned
    [InlineData(new byte[] { (byte)'J', 0xff, 0xff, 0xff, 0xff }, -1L)]
    public void Load_IntegerEncodings_DecodeTwoComplement(byte[] op, long expected)
    {
        Assert.Equal(expected, Load(new PickleWriter().Proto().Raw(op).Stop()));
    }

    [Fact]
    public void Load_TuplesDictsAndMemo_BuildSharedStructure()
    {
        // t = (1, 'a'); {'x': t, 'y': t, 'z': (), 'w': (1,), 'v': (1, 2, 3)} using BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE.
        var p = new PickleWriter().Proto().EmptyDict().Mark()
            .Str("x").Int(1).Str("a").Raw(0x86).Put(3)
            .Str("y").Get(3)
            .Str("z").EmptyTuple()
            .Str("w").Int(1).Raw(0x85).Raw((byte)'r', 9, 0, 0, 0)
            .Str("v").Int(1).Int(2).Int(3).Raw(0x87).Raw(0x94)
            .Str("u").Raw((byte)'j', 9, 0, 0, 0)
            .SetItems().Stop();
        var dict = Assert.IsType<MiniPickle.PickleDict>(Load(p));
        Assert.Equal(["x", "y", "z", "w", "v", "u"], dict.Items.Keys.Cast<string>());
        Assert.Same(dict.Items["x"], dict.Items["y"]);
        Assert.Equal<object?>([1L, "a"], (object?[])dict.Items["x"]!);
        Assert.Empty((object?[])dict.Items["z"]!);
        Assert.Same(dict.Items["w"], dict.Items["u"]);
        Assert.Equal<object?>([1L, 2L, 3L], (object?[])dict.Items["v"]!);
    }

    [Fact]
    public void Load_Protocol4Framing_IsAccepted()
    {
        // PROTO 4, FRAME n, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL of an allowed global, EMPTY_TUPLE, REDUCE -> OrderedDict().
        var body = new PickleWriter()
            .Raw(0x8c, 11).Raw("collections"u8.ToArray()).Raw(0x94)
            .Raw(0x8c, 11).Raw("OrderedDict"u8.ToArray()).Raw(0x94)
            .Raw(0x93).EmptyTuple().Reduce().Stop();
        var p = new PickleWriter().Proto(4).Raw(0x95).Raw(BitConverter.GetBytes((long)body.Length)).Raw(body.ToArray());
        Assert.IsType<MiniPickle.PickleDict>(Load(p));
    }

    [Fact]
    public void Load_RebuildTensor_DescribesTheView()
    {
        var p = new PickleWriter().Proto().Tensor("7", 12, 2, [3, 2], [1, 3], "HalfStorage").Stop();
        var t = Assert.IsType<MiniPickle.TensorRef>(Load(p));
        Assert.Equal("7", t.Storage.Key);
        Assert.Equal(12, t.Storage.Count);
        Assert.Equal(2, t.Offset);
        Assert.Equal([3, 2], t.Size);
        Assert.Equal([1L, 3L], t.Stride);
        Assert.False(t.CoversStorage);
    }

    [Fact]
    public void Load_Parameter_UnwrapsToItsTensor()
    {
        var p = new PickleWriter().Proto().Global("torch._utils", "_rebuild_parameter").Mark()
            .Tensor("0", 4, 0, [4], [1]).Bool(true).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce().Stop();
        var t = Assert.IsType<MiniPickle.TensorRef>(Load(p));
        Assert.True(t.CoversStorage);
    }

    // ------------------------------------------------------------------------------------------------ errors

    [Theory]
    [InlineData("os", "system")]
    [InlineData("builtins", "eval")]
    [InlineData("subprocess", "Popen")]
    [InlineData("torch", "load")]
    [InlineData("collections", "defaultdict")]
    [InlineData("numpy.core.multiarray", "_reconstruct")]
    public void Load_GlobalOutsideAllowList_ThrowsNamingIt(string module, string name)
    {
        byte[] bytes = new PickleWriter().Proto().Global(module, name).Str("x").Raw(0x85).Reduce().Stop().ToArray();
        CheckpointFormatException ex = Fails(bytes, $"global '{module}.{name}' is not allowed");
        Assert.Contains("offset 2", ex.Where);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 2, 0x81 }, "0x81", "offset 2")]                        // NEWOBJ
    [InlineData(new byte[] { 0x80, 2, (byte)'i' }, "('i')", "offset 2")]                   // INST
    [InlineData(new byte[] { 0x80, 2, (byte)'S', (byte)'\'', (byte)'x' }, "('S')", "")]  // STRING (protocol 0)
    [InlineData(new byte[] { 0x80, 6 }, "protocol 6", "offset 0")]
    [InlineData(new byte[] { 0x80, 2, (byte)'.' }, "stack underflow", "offset 2")]
    [InlineData(new byte[] { 0x80, 2, (byte)'h', 5 }, "memo entry 5", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'}' }, "no STOP", "offset 3")]
    [InlineData(new byte[] { 0x80, 2, 0x8a, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "9 bytes", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'X', 0xff, 0xff, 0xff, 0x7f, (byte)'a' }, "needs 2147483647 bytes", "")]
    [InlineData(new byte[] { 0x80, 2, 0x8c, 2, 0xc3, 0x28, (byte)'.' }, "not valid UTF-8", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)')', (byte)'R' }, "REDUCE on 1", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'t' }, "no MARK", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'}', (byte)'(', (byte)'K', 1, (byte)'u' }, "odd number", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)']', (byte)'K', 1, (byte)'K', 2, (byte)'s' }, "SETITEM on a list", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'}', (byte)'K', 1, (byte)'a' }, "APPEND on a dict", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)']', (byte)'}', (byte)'b' }, "BUILD on a list", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'}', (byte)'N', (byte)'K', 1, (byte)'s' }, "dict key None", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'K', 1, (byte)'Q' }, "persistent id 1", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'c', (byte)'o', (byte)'s' }, "newline", "")]
    [InlineData(new byte[] { 0x80, 4, 0x95, 0xff, 0, 0, 0, 0, 0, 0, 0 }, "FRAME of 255 bytes", "")]
    [InlineData(new byte[] { 0x80, 2, (byte)'(', (byte)'q', 0 }, "stack underflow", "")]
    public void Load_MalformedBytes_ThrowsWithOffset(byte[] bytes, string problem, string where)
    {
        CheckpointFormatException ex = Fails(bytes, problem);
        Assert.Contains(where, ex.Where);
    }

    [Fact]
    public void Load_StackGlobalWithNonStrings_Throws()
    {
        Fails(new PickleWriter().Proto(4).Int(1).Int(2).Raw(0x93).Stop().ToArray(), "STACK_GLOBAL expects two strings");
    }

    [Fact]
    public void Load_StorageKeyWithPath_Throws()
    {
        byte[] bytes = new PickleWriter().Proto().Mark().Str("storage").Global("torch", "FloatStorage").Str("../x").Str("cpu").Int(1)
            .Tuple().Raw((byte)'Q').Stop().ToArray();
        Fails(bytes, "storage key '../x'");
    }

    [Fact]
    public void Load_PersistentIdNamingNonStorage_Throws()
    {
        byte[] bytes = new PickleWriter().Proto().Mark().Str("storage").Global("collections", "OrderedDict").Str("0").Str("cpu").Int(1)
            .Tuple().Raw((byte)'Q').Stop().ToArray();
        Fails(bytes, "not a storage type");
    }

    [Theory]
    [InlineData(-1L, new long[] { 2 }, new long[] { 1 }, "non-negative storage offset")]
    [InlineData(0L, new long[] { -2 }, new long[] { 1 }, "size entry 0")]
    [InlineData(0L, new long[] { 2 }, new long[] { -1 }, "stride entry 0")]
    [InlineData(0L, new long[] { 3 }, new long[] { 1 }, "reaches element 2")]
    [InlineData(0L, new long[] { 2, 2 }, new long[] { 1 }, "equal length")]
    [InlineData(5L, new long[] { 0 }, new long[] { 1 }, "past the end")]
    public void Load_BadTensorView_Throws(long offset, long[] size, long[] stride, string problem)
    {
        var p = new PickleWriter().Proto().Global("torch._utils", "_rebuild_tensor_v2").Mark()
            .Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Int(2).Tuple().Raw((byte)'Q')
            .Int(offset).IntTuple(size).IntTuple(stride).Bool(false).None().Tuple().Reduce().Stop();
        Fails(p.ToArray(), problem);
    }

    [Fact]
    public void Load_RebuildTensorWrongArity_Throws()
    {
        byte[] bytes = new PickleWriter().Proto().Global("torch._utils", "_rebuild_tensor_v2").Mark().Int(1).Tuple().Reduce().Stop().ToArray();
        Fails(bytes, "expects 6 or 7 arguments, found 1");
    }

    [Fact]
    public void Load_CallingAStorageType_Throws()
    {
        byte[] bytes = new PickleWriter().Proto().Global("torch", "FloatStorage").EmptyTuple().Reduce().Stop().ToArray();
        Fails(bytes, "'torch.FloatStorage' cannot be called");
    }
}
