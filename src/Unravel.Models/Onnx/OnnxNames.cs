// Recovers PyTorch module paths from the scoped names that torch.onnx (1.13 and later) gives nodes:
// "/layer3/layer3.1/relu_1/Relu" → "layer3.1.relu", "/features/features.1/block/block.0/block.0.0/Conv" →
// "features.1.block.0.0". Each scope segment names a module relative to a base: a segment that extends the previous
// one ("layer3.1" after "layer3", "block.0" after "block") shares its base; any other segment is a child of the path so
// far. A module called more than once gets a numbered scope on the later calls ("relu_1"); the number is dropped when
// the unnumbered module was already seen, so real names such as "encoder_layer_0" are kept.

using System.Text.RegularExpressions;

namespace Unravel.Models.Onnx;

/// <summary>Maps ONNX node names to PyTorch module paths; feed it the nodes in graph order.</summary>
public sealed partial class OnnxNames
{
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>The module path encoded in <paramref name="name"/>, or null when it carries no scope.</summary>
    public string? ModulePath(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith('/')) return null;
        string[] parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 2) return null;
        string path = "", segmentBase = "", previous = "";
        for (int i = 0; i < parts.Length - 1; i++)
        {
            string segment = parts[i];
            if (CallCounter().Match(segment) is { Success: true } counter)
            {
                string stripped = segment[..counter.Index];
                string candidateBase = previous.Length > 0 && stripped.StartsWith(previous + ".", StringComparison.Ordinal) ? segmentBase : path;
                if (_seen.Contains(Join(candidateBase, stripped))) segment = stripped;
            }
            if (previous.Length == 0 || !segment.StartsWith(previous + ".", StringComparison.Ordinal)) segmentBase = path;
            path = Join(segmentBase, segment);
            previous = segment;
            _seen.Add(path);
        }
        return path.Length == 0 ? null : path;
    }

    private static string Join(string basePath, string segment) => basePath.Length == 0 ? segment : basePath + "." + segment;

    [GeneratedRegex(@"_\d+$")]
    private static partial Regex CallCounter();
}
