// Recovers PyTorch module paths from the scoped names that torch.onnx (1.13 and later) gives nodes and tensors:
// "/layer3/layer3.1/relu_1/Relu_output_0" → "layer3.1.relu". Each scope segment is either a full dotted path that
// extends the parent's ("layer3.1" under "layer3") or a child attribute name ("conv1"); a module called more than once
// gets a numbered scope on the later calls ("relu_1"), which is folded back onto the module.

using System.Text.RegularExpressions;

namespace Unravel.Models.Onnx;

/// <summary>Maps ONNX tensor and node names to PyTorch module paths.</summary>
public static partial class OnnxNames
{
    /// <summary>The module path encoded in <paramref name="name"/>, or null when it carries no scope.</summary>
    /// <remarks>Effectively strips the leading "/" and the last segment (the op), joins the scope segments with "." (a
    /// segment that already starts with the path so far replaces it), and drops a "_N" call counter from each segment.</remarks>
    public static string? ModulePath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith('/')) return null;
        string[] parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        string path = "";
        for (int i = 0; i < parts.Length - 1; i++)
        {
            string segment = CallCounter().Replace(parts[i], "");
            if (path.Length > 0 && segment.StartsWith(path + ".", StringComparison.Ordinal)) path = segment;
            else path = path.Length == 0 ? segment : path + "." + segment;
        }
        return path.Length == 0 ? null : path;
    }

    [GeneratedRegex(@"_\d+$")]
    private static partial Regex CallCounter();
}
