// Writers never leave a partial file: a failed write leaves the target as it was and no temporary file behind.

using Unravel.IO.Internal;
using Unravel.IO.Tests.Support;
using Unravel.Tensors;

namespace Unravel.IO.Tests;

public sealed class AtomicWriteTests
{
    public static TheoryData<string> Writers => ["safetensors", "npy", "npy-int32", "npy-int64"];

    private static void WriteWith(string writer, string path)
    {
        Tensor t = Tensor.FromArray([1f, 2f, 3f]);
        switch (writer)
        {
            case "safetensors": SafeTensors.Write(path, new Dictionary<string, Tensor> { ["t"] = t }); break;
            case "npy": Npy.Write(path, t); break;
            case "npy-int32": Npy.WriteInt32(path, [1, 2, 3], [3]); break;
            default: Npy.WriteInt64(path, [1, 2, 3], [3]); break;
        }
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public void Write_MissingFolder_ThrowsAndCreatesNothing(string writer)
    {
        using var dir = new TempDir();
        string path = Path.Combine(dir.Root, "missing", "out.bin");
        Assert.Throws<DirectoryNotFoundException>(() => WriteWith(writer, path));
        Assert.False(Directory.Exists(Path.Combine(dir.Root, "missing")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Root));
    }

    [Theory]
    [MemberData(nameof(Writers))]
    public void Write_ExistingFile_IsReplacedWithoutLeftovers(string writer)
    {
        using var dir = new TempDir();
        string path = dir.Write("out.bin", [1, 2, 3]);
        WriteWith(writer, path);
        Assert.NotEqual([1, 2, 3], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void Write_FailureMidway_KeepsOldContentAndRemovesTemp()
    {
        using var dir = new TempDir();
        string path = dir.Write("out.bin", [9, 9]);
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("disk full");
        }));
        Assert.Equal([9, 9], File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void Write_FailureOnNewFile_LeavesNothing()
    {
        using var dir = new TempDir();
        string path = dir.Path("new.bin");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.WriteByte(1);
            throw new InvalidOperationException("cancelled");
        }));
        Assert.Empty(Directory.GetFiles(dir.Root));
    }

    [Fact]
    public void Write_TargetIsADirectory_ThrowsAndRemovesTemp()
    {
        using var dir = new TempDir();
        string path = dir.Path("taken");
        Directory.CreateDirectory(path);
        Assert.ThrowsAny<IOException>(() => Npy.Write(path, Tensor.Scalar(1)));
        Assert.Equal([path], Directory.GetFileSystemEntries(dir.Root));
    }
}
