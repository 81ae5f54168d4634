// Element types Unravel writes to safetensors files.

namespace Unravel.IO;

/// <summary>The storage type for <see cref="SafeTensors.Write"/>; tensors are float32 in memory.</summary>
public enum SafeTensorsDtype
{
    /// <summary>IEEE float32 (exact).</summary>
    F32,

    /// <summary>IEEE float16, rounded to nearest even as PyTorch's <c>.half()</c>.</summary>
    F16,

    /// <summary>bfloat16, rounded to nearest even as PyTorch's <c>.bfloat16()</c>.</summary>
    BF16,
}
