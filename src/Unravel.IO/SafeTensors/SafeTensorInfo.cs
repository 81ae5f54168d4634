// One entry of a safetensors header.

namespace Unravel.IO;

/// <summary>A tensor's header entry: its key, stored dtype, shape and byte range in the data buffer.</summary>
/// <param name="Name">The tensor key, e.g. <c>h.0.attn.c_attn.weight</c>.</param>
/// <param name="Dtype">The stored dtype as written in the header (<c>F32</c>, <c>F16</c>, <c>BF16</c>, <c>I64</c>, ...).</param>
/// <param name="Shape">Dimensions, row-major; empty for a scalar.</param>
/// <param name="Begin">Start of the data, in bytes from the start of the data buffer (after the header).</param>
/// <param name="End">End of the data (exclusive), in bytes from the start of the data buffer.</param>
public sealed record SafeTensorInfo(string Name, string Dtype, int[] Shape, long Begin, long End)
{
    /// <summary>The product of <see cref="Shape"/>.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape) n *= d;
            return n;
        }
    }
}
