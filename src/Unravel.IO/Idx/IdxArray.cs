// The content of an IDX file of unsigned bytes.

namespace Unravel.IO;

/// <summary>Unsigned bytes in row-major order with their shape, e.g. MNIST images [N, 28, 28] or labels [N].</summary>
/// <param name="Data">The elements, row-major.</param>
/// <param name="Shape">The dimensions as stored in the file.</param>
public sealed record IdxArray(byte[] Data, int[] Shape);
