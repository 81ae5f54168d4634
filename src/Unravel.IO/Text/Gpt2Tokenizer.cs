// GPT-2's byte-level BPE tokenizer (Radford et al. 2019): text → UTF-8 bytes → pre-tokens (Gpt2PreTokenizer) → per
// pre-token merges of adjacent symbols, lowest rank first → vocabulary ids. Exact: checked id-for-id against the npm
// package gpt-3-encoder@1.1.4 and OpenAI's encoder.py algorithm (tools/fixtures/tokenizer_vectors.js).
// Reference: https://github.com/openai/gpt-2/blob/master/src/encoder.py

using System.Buffers;
using System.Text;

namespace Unravel.IO.Text;

/// <summary>The GPT-2 byte-level BPE tokenizer, loaded from OpenAI's encoder.json and vocab.bpe.</summary>
/// <remarks>
/// Instances are immutable apart from an internal, locked cache of pre-token results, so one tokenizer can be shared
/// by many threads. Special tokens are plain text unless asked for: <c>Encode("&lt;|endoftext|&gt;")</c> gives the 7
/// ids of its characters, as in OpenAI's encoder.py and gpt-3-encoder, while
/// <c>Encode(text, allowSpecial: true)</c> maps each literal <c>&lt;|endoftext|&gt;</c> to <see cref="EndOfText"/>
/// (as tiktoken's <c>allowed_special</c> does).
/// </remarks>
public sealed class Gpt2Tokenizer
{
    /// <summary>The literal text of GPT-2's only special token.</summary>
    public const string EndOfTextString = "<|endoftext|>";

    // Pre-tokens longer than this are encoded every time instead of filling the cache with one-off strings.
    private const int MaxCachedLength = 128;

    private readonly string[] _tokens;                 // id → vocabulary string (byte alphabet)
    private readonly byte[][] _tokenBytes;             // id → the bytes it stands for
    private readonly int[] _byteToId = new int[256];
    private readonly Dictionary<long, int> _ranks;     // (left id, right id) → merge rank
    private readonly int[] _mergedId;                  // rank → id of the merged symbol
    private readonly Gpt2Whitespace _whitespace;
    private readonly int _cacheCapacity;
    private readonly Dictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private readonly Lock _cacheLock = new();

    private Gpt2Tokenizer(string[] tokens, Dictionary<string, int> vocab, Dictionary<long, int> ranks, int[] mergedId,
        int endOfText, Gpt2TokenizerOptions options)
    {
        _tokens = tokens;
        _ranks = ranks;
        _mergedId = mergedId;
        EndOfText = endOfText;
        _whitespace = options.Whitespace;
        _cacheCapacity = options.CacheCapacity;
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _tokenBytes = new byte[tokens.Length][];
        for (int id = 0; id < tokens.Length; id++)
        {
            string token = tokens[id];
            var bytes = new byte[token.Length];
            for (int i = 0; i < token.Length; i++)
                bytes[i] = (byte)Gpt2ByteAlphabet.ToByte(token[i]);
            _tokenBytes[id] = bytes;
        }
        for (int b = 0; b < 256; b++)
            _byteToId[b] = vocab[Gpt2ByteAlphabet.ToChar((byte)b).ToString()];
    }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (50256 for GPT-2): separates documents, and serves as BOS.</summary>
    public int EndOfText { get; }

    /// <summary>Number of ids (50257 for GPT-2).</summary>
    public int VocabSize => _tokens.Length;

    /// <summary>The whitespace definition this tokenizer pre-tokenises with.</summary>
    public Gpt2Whitespace Whitespace => _whitespace;

    /// <summary>Loads a tokenizer from OpenAI's encoder.json and vocab.bpe (Hugging Face: vocab.json, merges.txt).</summary>
    /// <param name="encoderJsonPath">JSON object token string → id.</param>
    /// <param name="vocabBpePath">"#version" header, then one merge "A B" per line, highest priority first.</param>
    /// <param name="options">Whitespace definition and cache size; defaults when null.</param>
    /// <exception cref="CheckpointFormatException">A file is malformed; the message names the file and line or key.</exception>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static Gpt2Tokenizer Load(string encoderJsonPath, string vocabBpePath, Gpt2TokenizerOptions? options = null)
    {
        options ??= new Gpt2TokenizerOptions();
        if (options.CacheCapacity < 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.CacheCapacity, "gpt2 tokenizer: CacheCapacity must be >= 0");
        if (!Enum.IsDefined(options.Whitespace))
            throw new ArgumentOutOfRangeException(nameof(options), options.Whitespace, "gpt2 tokenizer: unknown Whitespace value");

        string[] tokens = Gpt2VocabularyFiles.ReadEncoder(encoderJsonPath);
        var vocab = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++)
            vocab.Add(tokens[id], id);
        for (int b = 0; b < 256; b++)
        {
            string symbol = Gpt2ByteAlphabet.ToChar((byte)b).ToString();
            if (!vocab.ContainsKey(symbol))
                throw new CheckpointFormatException(encoderJsonPath, $"key \"{symbol}\"",
                    $"the symbol of byte 0x{b:X2} is missing", "encoder.json must hold all 256 single-byte symbols of GPT-2's byte alphabet");
        }
        if (!vocab.TryGetValue(EndOfTextString, out int endOfText))
            throw new CheckpointFormatException(encoderJsonPath, $"key \"{EndOfTextString}\"", "the end-of-text token is missing",
                "GPT-2's encoder.json ends with \"<|endoftext|>\": 50256");

        (Dictionary<long, int> ranks, int[] mergedId) = Gpt2VocabularyFiles.ReadMerges(vocabBpePath, vocab);
        return new Gpt2Tokenizer(tokens, vocab, ranks, mergedId, endOfText, options);
    }

    /// <summary>Encodes text into token ids.</summary>
    /// <param name="text">Any string; lone surrogates are encoded as U+FFFD, like JavaScript's TextEncoder.</param>
    /// <param name="allowSpecial">When true, each literal <c>&lt;|endoftext|&gt;</c> becomes <see cref="EndOfText"/>
    /// and the text between occurrences is encoded separately; when false (the default, as in encoder.py and
    /// gpt-3-encoder) it is ordinary text.</param>
    public int[] Encode(string text, bool allowSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (!allowSpecial)
        {
            EncodeOrdinary(text, ids);
            return ids.ToArray();
        }
        ReadOnlySpan<char> rest = text;
        while (true)
        {
            int at = rest.IndexOf(EndOfTextString, StringComparison.Ordinal);
            if (at < 0)
                break;
            EncodeOrdinary(rest[..at], ids);
            ids.Add(EndOfText);
            rest = rest[(at + EndOfTextString.Length)..];
        }
        EncodeOrdinary(rest, ids);
        return ids.ToArray();
    }

    /// <summary>Decodes ids to text; byte sequences that are not valid UTF-8 become U+FFFD.</summary>
    /// <remarks>Effectively computes UTF-8-decode(concat(bytes of each token)) with the Unicode "maximal subpart"
    /// replacement, which equals Python's <c>errors="replace"</c> and JavaScript's TextDecoder.</remarks>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside [0, <see cref="VocabSize"/>).</exception>
    public string Decode(IEnumerable<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new ArrayBufferWriter<byte>(256);
        int position = 0;
        foreach (int id in ids)
        {
            byte[] bytes = TokenBytesOf(id, position, nameof(ids));
            bytes.CopyTo(buffer.GetSpan(bytes.Length));
            buffer.Advance(bytes.Length);
            position++;
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The text of one token on its own (for display): its bytes decoded as UTF-8, where an incomplete
    /// multi-byte sequence shows as U+FFFD. "Ġworld" gives " world".</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string TokenText(int id) => Encoding.UTF8.GetString(TokenBytesOf(id, 0, nameof(id)));

    /// <summary>The raw vocabulary string of a token, in the byte alphabet ("Ġworld" for id 995).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public string TokenString(int id)
    {
        TokenBytesOf(id, 0, nameof(id));
        return _tokens[id];
    }

    /// <summary>The bytes a token stands for.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is outside the vocabulary.</exception>
    public ReadOnlySpan<byte> TokenBytes(int id) => TokenBytesOf(id, 0, nameof(id));

    private byte[] TokenBytesOf(int id, int position, string paramName) =>
        (uint)id < (uint)_tokenBytes.Length ? _tokenBytes[id]
            : throw new ArgumentOutOfRangeException(paramName, id,
                $"gpt2 tokenizer: id {id} (position {position}) is outside the vocabulary [0, {_tokenBytes.Length})");

    private void EncodeOrdinary(ReadOnlySpan<char> text, List<int> ids)
    {
        for (int pos = 0; pos < text.Length;)
        {
            int length = Gpt2PreTokenizer.MatchLength(text, pos, _whitespace);
            ReadOnlySpan<char> piece = text.Slice(pos, length);
            pos += length;

            bool cacheable = _cacheCapacity > 0 && length <= MaxCachedLength;
            if (cacheable)
            {
                lock (_cacheLock)
                {
                    if (_cacheBySpan.TryGetValue(piece, out int[]? cached))
                    {
                        ids.AddRange(cached);
                        continue;
                    }
                }
            }
            int[] result = EncodePiece(piece);
            ids.AddRange(result);
            if (cacheable)
            {
                lock (_cacheLock)
                {
                    if (_cache.Count >= _cacheCapacity)
                        _cache.Clear();
                    _cacheBySpan[piece] = result;
                }
            }
        }
    }

    // BPE on one pre-token. Symbols are vocabulary ids and rank[i] is the rank of the pair (sym[i], sym[i+1]), so a
    // step scans ints for the lowest rank, merges every non-overlapping occurrence of that pair left to right (as
    // encoder.py does) and looks up ranks again only next to the new symbols.
    private int[] EncodePiece(ReadOnlySpan<char> piece)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rentedBytes = null;
        int[]? rentedInts = null;
        Span<byte> bytes = maxBytes <= 512 ? stackalloc byte[512] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            int n = Encoding.UTF8.GetBytes(piece, bytes); // lone surrogates → EF BF BD (replacement fallback)
            Span<int> work = n <= 256 ? stackalloc int[512] : (rentedInts = ArrayPool<int>.Shared.Rent(2 * n));
            Span<int> sym = work[..n];
            Span<int> rank = work.Slice(n, n);
            for (int i = 0; i < n; i++)
                sym[i] = _byteToId[bytes[i]];
            for (int i = 0; i + 1 < n; i++)
                rank[i] = Rank(sym[i], sym[i + 1]);

            while (n > 1)
            {
                int best = int.MaxValue, at = -1;
                for (int i = 0; i + 1 < n; i++)
                {
                    if (rank[i] < best)
                    {
                        best = rank[i];
                        at = i;
                    }
                }
                if (at < 0)
                    break;

                int a = sym[at], b = sym[at + 1], merged = _mergedId[best];
                int w = at, k = at;
                bool previousIsNew = false;
                while (k < n)
                {
                    bool isNew = k + 1 < n && sym[k] == a && sym[k + 1] == b;
                    sym[w] = isNew ? merged : sym[k];
                    k += isNew ? 2 : 1;
                    if (w > 0)
                    {
                        // Two copied neighbours came from adjacent old positions k-2, k-1 and keep their old rank;
                        // k-2 > w-1 here, so that rank has not been overwritten yet.
                        rank[w - 1] = isNew || previousIsNew ? Rank(sym[w - 1], sym[w]) : rank[k - 2];
                    }
                    previousIsNew = isNew;
                    w++;
                }
                n = w;
            }
            return sym[..n].ToArray();
        }
        finally
        {
            if (rentedBytes is not null)
                ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedInts is not null)
                ArrayPool<int>.Shared.Return(rentedInts);
        }
    }

    private int Rank(int left, int right) =>
        _ranks.TryGetValue(Gpt2VocabularyFiles.PairKey(left, right), out int rank) ? rank : int.MaxValue;
}
