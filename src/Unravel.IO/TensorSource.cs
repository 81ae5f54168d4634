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
        // safetensors: an 8-byte little-endian header length, then the JSON header. Its first byte is 0x80 (a pickle's
        // PROTO opcode) whenever the length is 128 mod 256, so the '{' at offset 8 is checked first.
        Span<byte> head = stackalloc byte[9];
        int n;
        using (FileStream f = File.OpenRead(path)) n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        bool safetensors = n == head.Length && head[8] == '{';
        bool torch = !safetensors && (n >= 1 && head[0] == 0x80 || n >= 2 && head[0] == 'P' && head[1] == 'K');
        return torch ? TorchCheckpoint.Open(path) : SafeTensors.Read(path);
    }
}
