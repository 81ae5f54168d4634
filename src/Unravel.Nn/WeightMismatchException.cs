// Strict loading: every missing, unexpected and mis-shaped key is collected and reported at once.

namespace Unravel.Nn;

/// <summary>A checkpoint does not fit the model: lists missing, unexpected and mis-shaped keys by full path.</summary>
public sealed class WeightMismatchException : UnravelException
{
    public WeightMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> misshaped)
        : base(Compose(source, missing, unexpected, misshaped),
               "check the architecture preset (e.g. resnet18 vs resnet50) and that the file is a state_dict of that model")
    {
        Source_ = source;
        Missing = missing;
        Unexpected = unexpected;
        Misshaped = misshaped;
    }

    /// <summary>Where the weights came from (file path or description).</summary>
    public string Source_ { get; }

    public IReadOnlyList<string> Missing { get; }

    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Entries of the form "key: checkpoint [a, b], model expects [c, d]".</summary>
    public IReadOnlyList<string> Misshaped { get; }

    private static string Compose(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> misshaped)
    {
        var parts = new List<string> { $"{source}: the checkpoint does not match the model." };
        if (missing.Count > 0) parts.Add($"Missing keys ({missing.Count}): {Show(missing)}");
        if (unexpected.Count > 0) parts.Add($"Unexpected keys ({unexpected.Count}): {Show(unexpected)}");
        if (misshaped.Count > 0) parts.Add($"Mis-shaped keys ({misshaped.Count}): {Show(misshaped)}");
        return string.Join("\n", parts);
    }

    private static string Show(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(20)) + (keys.Count > 20 ? $", … ({keys.Count - 20} more)" : "");
}
