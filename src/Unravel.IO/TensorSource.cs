// One entry point for "open whatever checkpoint this path is": a Hugging Face folder, a safetensors file or a
// PyTorch zip checkpoint, told apart by content rather than by extension where possible.

namespace Unravel.IO;

/// <summary>Opens a checkpoint as an <see cref="ITensorSource"/>.</summary>
public static class TensorSource
{
    /// <summary>Opens <paramref name="path"/>: a folder as <see cref="HuggingFaceFolder"/>, a zip or pickle as
    /// <see cref="TorchCheckpoint"/> (which explains legacy and TorchScript files), anything else as
    /// <see cref="SafeTensors"/>.</summary>
    /// <exception cref="CheckpointFormatException">The file is malformed; the message names the file and key or offset.</exception>
    public static ITensorSource Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Directory.Exists(path)) return HuggingFaceFolder.Open(path);
        Span<byte> head = stackalloc byte[2];
        int n;
        using (FileStream f = File.OpenRead(path)) n = f.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        bool torch = n >= 1 && head[0] == 0x80 || n == 2 && head[0] == 'P' && head[1] == 'K';
        return torch ? TorchCheckpoint.Open(path) : SafeTensors.Read(path);
    }
}
