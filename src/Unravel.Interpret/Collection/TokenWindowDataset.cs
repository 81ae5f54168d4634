// Plain text cut into fixed-length, non-overlapping GPT-2 token windows (optionally each starting with <|endoftext|>
// as a BOS token, as TransformerLens's prepend_bos does). Window w holds tokens [w·L', (w+1)·L') of the encoded text,
// where L' is the window length minus the BOS; a last partial window is dropped.

using Unravel.Nn;
using Unravel.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Unravel.IO.Text;
using Unravel.Models.Text;

namespace Unravel.Interpret.Collection;

/// <summary>Token windows [windows, length], fed to an <see cref="ILanguageModel"/>.</summary>
public sealed class TokenWindowDataset : ICollectionDataset
{
    private readonly int[] _tokens;
    private string? _sha256;

    /// <summary>Wraps row-major windows [count, length].</summary>
    /// <exception cref="ArgumentException">The token count is not a multiple of the length.</exception>
    public TokenWindowDataset(int[] tokens, int length, string description)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (length < 1 || tokens.Length % length != 0)
            throw new ArgumentException($"collect: {tokens.Length} tokens do not form windows of length {length}.", nameof(tokens));
        _tokens = tokens;
        Length = length;
        Description = description;
    }

    /// <summary>Encodes <paramref name="text"/> and cuts it into windows of <paramref name="length"/> tokens.</summary>
    /// <exception cref="ArgumentException">The length is below 1 (2 with BOS), or the text gives no full window.</exception>
    public static TokenWindowDataset FromText(string text, Gpt2Tokenizer tokenizer, int length, bool bos, string source)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        int body = bos ? length - 1 : length;
        if (body < 1) throw new ArgumentException($"collect: window length {length} is too short{(bos ? " with a BOS token" : "")}.", nameof(length));
        int[] encoded = tokenizer.Encode(text);
        int windows = encoded.Length / body;
        if (windows == 0)
            throw new InvalidDatasetException($"collect: {source} has {encoded.Length} tokens, fewer than one window of {body}.");
        var tokens = new int[windows * length];
        for (int w = 0; w < windows; w++)
        {
            int o = w * length;
            if (bos) tokens[o++] = tokenizer.EndOfText;
            encoded.AsSpan(w * body, body).CopyTo(tokens.AsSpan(o));
        }
        return new TokenWindowDataset(tokens, length,
            $"text {source}: {encoded.Length} GPT-2 tokens in {windows} windows of {length}{(bos ? " (BOS <|endoftext|> first)" : "")}");
    }

    /// <summary>The tagged Brown corpus (one file, or a folder of "ca01" … files in name order) with its word/tag
    /// tags stripped (<see cref="BrownCorpus.Detokenize"/>; files joined by a blank line), cut into windows as
    /// <see cref="FromText"/> does.</summary>
    /// <exception cref="ArgumentException">No Brown files in the folder, a bad length, or too little text.</exception>
    /// <exception cref="Unravel.IO.CheckpointFormatException">A token is not word/tag.</exception>
    public static TokenWindowDataset FromBrown(string path, Gpt2Tokenizer tokenizer, int length, bool bos)
    {
        IReadOnlyList<string> files = Directory.Exists(path) ? BrownCorpus.ListFiles(path) : [path];
        if (files.Count == 0)
            throw new InvalidDatasetException($"collect: {path} holds no Brown corpus files (named ca01 … cr09).");
        string text = string.Join("\n\n", files.Select(BrownCorpus.ReadText));
        return FromText(text, tokenizer, length, bos, $"Brown corpus {path} ({files.Count} file{(files.Count == 1 ? "" : "s")}, tags stripped)");
    }

    /// <summary>Tokens per window.</summary>
    public int Length { get; }

    /// <summary>Row-major windows [Count, Length].</summary>
    public ReadOnlySpan<int> Tokens => _tokens;

    /// <inheritdoc/>
    public int Count => _tokens.Length / Length;

    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public IReadOnlyList<int>? Labels => null;

    /// <inheritdoc/>
    public string ContentSha256 => _sha256 ??= Convert.ToHexStringLower(SHA256.HashData(MemoryMarshal.AsBytes(_tokens.AsSpan())));

    /// <inheritdoc/>
    public Tensor Forward(RootModule model, int start, int count)
    {
        if (model is not ILanguageModel lm)
            throw new ModelInputException($"collect: {model.GetType().Name} is not a language model; text data needs one.");
        return lm.Forward(_tokens.AsSpan(start * Length, count * Length).ToArray(), count, Length);
    }

    /// <inheritdoc/>
    public Tensor Forward(RootModule model, IReadOnlyList<long> indices)
    {
        if (model is not ILanguageModel lm)
            throw new ModelInputException($"collect: {model.GetType().Name} is not a language model; text data needs one.");
        ArgumentNullException.ThrowIfNull(indices);
        var tokens = new int[indices.Count * Length];
        for (int i = 0; i < indices.Count; i++) Window(indices[i]).CopyTo(tokens.AsSpan(i * Length));
        return lm.Forward(tokens, indices.Count, Length);
    }

    /// <summary>The tokens of window <paramref name="index"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside the dataset.</exception>
    public ReadOnlySpan<int> Window(long index) => (ulong)index < (ulong)Count ? _tokens.AsSpan((int)index * Length, Length)
        : throw new ArgumentOutOfRangeException(nameof(index), $"dataset: window {index} is outside 0 … {Count - 1}.");
}
