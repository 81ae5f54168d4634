// The Brown corpus as language-model data: a fixed split by file (every k-th file in name order is held out, and with
// a validation slice the file before each held-out one is set aside for model selection), tags stripped and text
// detokenized (BrownCorpus), GPT-2 BPE tokens, files joined by <|endoftext|>.

using Unravel.IO.Text;

namespace Unravel.Models.Training;

/// <summary>Token streams of the training and held-out Brown files.</summary>
/// <param name="TrainFiles">File names ("ca01", …) in the training stream, in order.</param>
/// <param name="HeldOutFiles">File names held out.</param>
/// <param name="TrainTokens">Each training file's tokens followed by &lt;|endoftext|&gt;.</param>
/// <param name="HeldOutTokens">Each held-out file's tokens followed by &lt;|endoftext|&gt;.</param>
public sealed record BrownDataset(IReadOnlyList<string> TrainFiles, IReadOnlyList<string> HeldOutFiles, int[] TrainTokens, int[] HeldOutTokens)
{
    /// <summary>Files of the validation slice (i % k == k - 2), empty when the split has none.</summary>
    public IReadOnlyList<string> ValidationFiles { get; init; } = [];

    /// <summary>Each validation file's tokens followed by &lt;|endoftext|&gt;.</summary>
    public int[] ValidationTokens { get; init; } = [];

    /// <summary>Loads and tokenizes the corpus in <paramref name="folder"/>.</summary>
    /// <param name="folder">Holds ca01 … cr09.</param>
    /// <param name="tokenizer">The GPT-2 tokenizer.</param>
    /// <param name="heldOutEvery">k: files with index i (0-based, name order) and i % k == k - 1 are held out (ca10, ca20, …).</param>
    /// <param name="validation">Also set aside the files with i % k == k - 2 (ca09, ca19, …) as a validation slice.</param>
    /// <exception cref="ArgumentException">The folder has no Brown files, or k &lt; 2 (k &lt; 3 with a validation slice).</exception>
    public static BrownDataset Load(string folder, Gpt2Tokenizer tokenizer, int heldOutEvery = 10, bool validation = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (heldOutEvery < (validation ? 3 : 2))
            throw new ArgumentException($"brown: heldOutEvery {heldOutEvery} must be ≥ {(validation ? 3 : 2)}.", nameof(heldOutEvery));
        IReadOnlyList<string> files = BrownCorpus.ListFiles(folder);
        if (files.Count < heldOutEvery)
            throw new ArgumentException($"brown: {folder} holds {files.Count} corpus files (ca01 … cr09 expected).", nameof(folder));
        List<string> train = [], held = [], valid = [];
        for (int i = 0; i < files.Count; i++)
            (i % heldOutEvery == heldOutEvery - 1 ? held : validation && i % heldOutEvery == heldOutEvery - 2 ? valid : train).Add(files[i]);
        return new BrownDataset(Names(train), Names(held), Tokenize(train, tokenizer), Tokenize(held, tokenizer))
        {
            ValidationFiles = Names(valid),
            ValidationTokens = valid.Count == 0 ? [] : Tokenize(valid, tokenizer),
        };
    }

    private static List<string> Names(List<string> paths) => paths.Select(f => Path.GetFileName(f)).ToList();

    /// <summary>The token stream of <paramref name="paths"/> in the given order: each file's detokenized text, then
    /// &lt;|endoftext|&gt;.</summary>
    public static int[] Tokenize(IEnumerable<string> paths, Gpt2Tokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var stream = new List<int>();
        foreach (string path in paths)
        {
            stream.AddRange(tokenizer.Encode(BrownCorpus.ReadText(path)));
            stream.Add(tokenizer.EndOfText);
        }
        return [.. stream];
    }
}
