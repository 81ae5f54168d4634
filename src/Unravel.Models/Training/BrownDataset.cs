// The Brown corpus as language-model data: a fixed split by file (every k-th file in name order is held out), tags
// stripped and text detokenized (BrownCorpus), GPT-2 BPE tokens, files joined by <|endoftext|>.

using Unravel.IO.Text;

namespace Unravel.Models.Training;

/// <summary>Token streams of the training and held-out Brown files.</summary>
/// <param name="TrainFiles">File names ("ca01", …) in the training stream, in order.</param>
/// <param name="HeldOutFiles">File names held out.</param>
/// <param name="TrainTokens">Each training file's tokens followed by &lt;|endoftext|&gt;.</param>
/// <param name="HeldOutTokens">Each held-out file's tokens followed by &lt;|endoftext|&gt;.</param>
public sealed record BrownDataset(IReadOnlyList<string> TrainFiles, IReadOnlyList<string> HeldOutFiles, int[] TrainTokens, int[] HeldOutTokens)
{
    /// <summary>Loads and tokenizes the corpus in <paramref name="folder"/>.</summary>
    /// <param name="folder">Holds ca01 … cr09.</param>
    /// <param name="tokenizer">The GPT-2 tokenizer.</param>
    /// <param name="heldOutEvery">k: files with index i (0-based, name order) and i % k == k - 1 are held out (ca10, ca20, …).</param>
    /// <exception cref="ArgumentException">The folder has no Brown files, or k &lt; 2.</exception>
    public static BrownDataset Load(string folder, Gpt2Tokenizer tokenizer, int heldOutEvery = 10)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (heldOutEvery < 2) throw new ArgumentException($"brown: heldOutEvery {heldOutEvery} must be ≥ 2.", nameof(heldOutEvery));
        IReadOnlyList<string> files = BrownCorpus.ListFiles(folder);
        if (files.Count < heldOutEvery)
            throw new ArgumentException($"brown: {folder} holds {files.Count} corpus files (ca01 … cr09 expected).", nameof(folder));
        List<string> train = [], held = [];
        for (int i = 0; i < files.Count; i++) (i % heldOutEvery == heldOutEvery - 1 ? held : train).Add(files[i]);
        return new BrownDataset(train.Select(f => Path.GetFileName(f)).ToList(), held.Select(f => Path.GetFileName(f)).ToList(),
            Tokenize(train, tokenizer), Tokenize(held, tokenizer));
    }

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
