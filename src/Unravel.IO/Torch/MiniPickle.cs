// A restricted unpickler for PyTorch state_dicts (STYLE.md §4 "Pickle safety"). It implements only the opcodes that
// torch.save emits for dicts of tensors and plain values (protocol 2, plus protocol 4's FRAME, MEMOIZE,
// SHORT_BINUNICODE and STACK_GLOBAL), resolves globals against a fixed allow-list, and NEVER calls anything: REDUCE
// on an allowed global builds a plain description (a dict, a tensor view of a storage), nothing else.
// Opcode reference: CPython Lib/pickletools.py. Same idea as tinygrad's restricted `find_class` and candle's
// pickle.rs. Any other opcode or global fails with its name and byte offset.

using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Unravel.IO.Internal;

namespace Unravel.IO;

/// <summary>Decodes a state_dict pickle into plain values without executing anything.</summary>
/// <remarks>Values: <c>null</c>, <see cref="bool"/>, <see cref="long"/>, <see cref="double"/>, <see cref="string"/>,
/// tuples as <c>object?[]</c>, lists as <see cref="List{T}"/>, dicts as <see cref="PickleDict"/>, allow-listed globals
/// as <see cref="PickleGlobal"/>, storages as <see cref="StorageRef"/> and tensors as <see cref="TensorRef"/>.</remarks>
internal sealed class MiniPickle
{
    /// <summary>A dict or OrderedDict, in insertion order.</summary>
    internal sealed class PickleDict
    {
        public OrderedDictionary<object, object?> Items { get; } = new();
    }

    /// <summary>An allow-listed global, by its dotted name.</summary>
    internal sealed record PickleGlobal(string Module, string Name, GlobalKind Kind)
    {
        public string FullName => Module + "." + Name;
    }

    /// <summary>A storage named by a persistent id: data lives in the archive entry <c>data/&lt;Key&gt;</c>.</summary>
    internal sealed record StorageRef(string Key, ElementType Type, string TypeName, long Count);

    /// <summary>A strided view of a storage (the arguments of <c>torch._utils._rebuild_tensor_v2</c>).</summary>
    internal sealed record TensorRef(StorageRef Storage, long Offset, int[] Size, long[] Stride)
    {
        public long ElementCount
        {
            get
            {
                long n = 1;
                foreach (int d in Size) n *= d;
                return n;
            }
        }

        /// <summary>True when the view is the whole storage in row-major order.</summary>
        public bool CoversStorage
        {
            get
            {
                if (Offset != 0 || ElementCount != Storage.Count) return false;
                long expected = 1;
                for (int i = Size.Length - 1; i >= 0; i--)
                {
                    if (Size[i] != 1 && Stride[i] != expected) return false;
                    expected *= Size[i];
                }
                return true;
            }
        }
    }

    internal enum GlobalKind
    {
        OrderedDict,
        RebuildTensorV2,
        RebuildTensor,
        RebuildParameter,
        Parameter,
        Storage,
    }

    /// <summary>The only globals a state_dict may name. Storage types map to their element type.</summary>
    private static readonly Dictionary<string, (GlobalKind Kind, ElementType Type)> s_allowed = new(StringComparer.Ordinal)
    {
        ["collections.OrderedDict"] = (GlobalKind.OrderedDict, default),
        ["torch._utils._rebuild_tensor_v2"] = (GlobalKind.RebuildTensorV2, default),
        ["torch._utils._rebuild_tensor"] = (GlobalKind.RebuildTensor, default),
        ["torch._utils._rebuild_parameter"] = (GlobalKind.RebuildParameter, default),
        ["torch._utils._rebuild_parameter_with_state"] = (GlobalKind.RebuildParameter, default),
        ["torch.nn.parameter.Parameter"] = (GlobalKind.Parameter, default),
        ["torch.FloatStorage"] = (GlobalKind.Storage, ElementType.F32),
        ["torch.HalfStorage"] = (GlobalKind.Storage, ElementType.F16),
        ["torch.BFloat16Storage"] = (GlobalKind.Storage, ElementType.BF16),
        ["torch.DoubleStorage"] = (GlobalKind.Storage, ElementType.F64),
        ["torch.LongStorage"] = (GlobalKind.Storage, ElementType.I64),
        ["torch.IntStorage"] = (GlobalKind.Storage, ElementType.I32),
        ["torch.ShortStorage"] = (GlobalKind.Storage, ElementType.I16),
        ["torch.CharStorage"] = (GlobalKind.Storage, ElementType.I8),
        ["torch.ByteStorage"] = (GlobalKind.Storage, ElementType.U8),
        ["torch.BoolStorage"] = (GlobalKind.Storage, ElementType.Bool),
    };

    private const string ResaveHint = "re-save with torch.save(model.state_dict(), path)";
    private const long MaxExpandedElements = 1L << 26;

    private readonly byte[] _data;
    private readonly string _file;
    private readonly string _entry;
    private readonly List<object?> _stack = [];
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = [];
    private int _pos;
    private int _opStart;

    private MiniPickle(byte[] data, string file, string entry)
    {
        _data = data;
        _file = file;
        _entry = entry;
    }

    /// <summary>Decodes <paramref name="data"/> (the bytes of <paramref name="entry"/> inside <paramref name="file"/>).</summary>
    /// <exception cref="CheckpointFormatException">An opcode or global outside the allow-list, or malformed bytes;
    /// the message names the file, the entry and the byte offset.</exception>
    public static object? Load(byte[] data, string file, string entry) => new MiniPickle(data, file, entry).Run();

    private object? Run()
    {
        while (true)
        {
            _opStart = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        byte protocol = ReadByte();
                        if (protocol > 5) throw Error($"pickle protocol {protocol} is not supported (at most 5)");
                        break;
                    }
                case 0x95: // FRAME: a length hint for buffered readers; the bytes follow inline.
                    {
                        ulong length = BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
                        if (length > (ulong)(_data.Length - _pos)) throw Error($"FRAME of {length} bytes runs past the end of the pickle");
                        break;
                    }
                case (byte)'.': // STOP
                    {
                        object? result = Pop();
                        return result;
                    }
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'}': _stack.Add(new PickleDict()); break; // EMPTY_DICT
                case (byte)']': _stack.Add(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': _stack.Add(Array.Empty<object?>()); break; // EMPTY_TUPLE
                case (byte)'t': _stack.Add(PopToMark().ToArray()); break; // TUPLE
                case 0x85: _stack.Add(PopN(1)); break; // TUPLE1
                case 0x86: _stack.Add(PopN(2)); break; // TUPLE2
                case 0x87: _stack.Add(PopN(3)); break; // TUPLE3
                case (byte)'X': _stack.Add(ReadUtf8(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // BINUNICODE
                case 0x8c: _stack.Add(ReadUtf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: _stack.Add(ReadUtf8(BinaryPrimitives.ReadUInt64LittleEndian(Take(8)))); break; // BINUNICODE8
                case (byte)'q': _memo[ReadByte()] = Top(); break; // BINPUT
                case (byte)'r': _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Top(); break; // LONG_BINPUT
                case 0x94: _memo[_memo.Count] = Top(); break; // MEMOIZE
                case (byte)'h': _stack.Add(MemoGet(ReadByte())); break; // BINGET
                case (byte)'j': _stack.Add(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4)))); break; // LONG_BINGET
                case (byte)'c': // GLOBAL "module\nname\n"
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        _stack.Add(Resolve(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop(), module = Pop();
                        if (module is not string m || name is not string n)
                            throw Error("STACK_GLOBAL expects two strings (module, name)");
                        _stack.Add(Resolve(m, n));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        object? args = Pop(), callable = Pop();
                        _stack.Add(Reduce(callable, args));
                        break;
                    }
                case (byte)'Q': _stack.Add(PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'J': _stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': _stack.Add((long)ReadByte()); break; // BININT1
                case (byte)'M': _stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: _stack.Add(ReadLong1()); break; // LONG1
                case 0x88: _stack.Add(true); break; // NEWTRUE
                case 0x89: _stack.Add(false); break; // NEWFALSE
                case (byte)'N': _stack.Add(null); break; // NONE
                case (byte)'G': _stack.Add(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT
                case (byte)'s': // SETITEM
                    {
                        object? value = Pop(), key = Pop();
                        SetItem(TopAs<PickleDict>("SETITEM"), key, value);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        List<object?> items = PopToMark();
                        if (items.Count % 2 != 0) throw Error($"SETITEMS has an odd number ({items.Count}) of keys and values");
                        PickleDict dict = TopAs<PickleDict>("SETITEMS");
                        for (int i = 0; i < items.Count; i += 2) SetItem(dict, items[i], items[i + 1]);
                        break;
                    }
                case (byte)'a': // APPEND
                    {
                        object? value = Pop();
                        TopAs<List<object?>>("APPEND").Add(value);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        List<object?> items = PopToMark();
                        TopAs<List<object?>>("APPENDS").AddRange(items);
                        break;
                    }
                case (byte)'b': // BUILD: OrderedDict._metadata and similar attributes carry no tensors; drop them.
                    {
                        Pop();
                        object? target = Top();
                        if (target is not (PickleDict or TensorRef))
                            throw Error($"BUILD on {Describe(target)} is not supported; only dicts and tensors may carry state", ResaveHint);
                        break;
                    }
                default:
                    throw Error($"pickle opcode 0x{op:x2}{(op is >= 0x20 and < 0x7f ? $" ('{(char)op}')" : "")} is not supported",
                        "MiniPickle reads only state_dicts (dicts of tensors and plain values); " + ResaveHint);
            }
        }
    }

    // ------------------------------------------------------------------------------------------ globals, reduce

    private PickleGlobal Resolve(string module, string name)
    {
        string full = module + "." + name;
        if (s_allowed.TryGetValue(full, out var entry)) return new PickleGlobal(module, name, entry.Kind);
        string hint = module.StartsWith("torch.nn", StringComparison.Ordinal) || module.StartsWith("__main__", StringComparison.Ordinal)
            || module.StartsWith("__torch__", StringComparison.Ordinal)
            ? "the file pickles Python objects (e.g. a whole model saved with torch.save(model)); " + ResaveHint
            : "only state_dicts (tensors in dicts and lists) can be read, and nothing in the file is executed; " + ResaveHint;
        throw Error($"global '{full}' is not allowed", hint);
    }

    private object Reduce(object? callable, object? args)
    {
        if (callable is not PickleGlobal g)
            throw Error($"REDUCE on {Describe(callable)}: only allow-listed globals can be reduced");
        if (args is not object?[] a)
            throw Error($"REDUCE of '{g.FullName}' expects a tuple of arguments, found {Describe(args)}");
        switch (g.Kind)
        {
            case GlobalKind.OrderedDict:
                if (a.Length != 0) throw Error($"'{g.FullName}' with arguments is not supported");
                return new PickleDict();
            case GlobalKind.RebuildTensorV2:
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                if (a.Length is not (6 or 7)) throw Error($"'{g.FullName}' expects 6 or 7 arguments, found {a.Length}");
                return RebuildTensor(g, a);
            case GlobalKind.RebuildTensor:
                // (storage, storage_offset, size, stride)
                if (a.Length != 4) throw Error($"'{g.FullName}' expects 4 arguments, found {a.Length}");
                return RebuildTensor(g, a);
            case GlobalKind.RebuildParameter:
            case GlobalKind.Parameter:
                // (data, requires_grad, backward_hooks[, state]) / Parameter(data[, requires_grad]): keep the data.
                if (a.Length == 0 || a[0] is not TensorRef t)
                    throw Error($"'{g.FullName}' expects a tensor as its first argument, found {(a.Length == 0 ? "none" : Describe(a[0]))}");
                return t;
            default:
                throw Error($"'{g.FullName}' cannot be called");
        }
    }

    private TensorRef RebuildTensor(PickleGlobal g, object?[] a)
    {
        if (a[0] is not StorageRef storage) throw Error($"'{g.FullName}' expects a storage, found {Describe(a[0])}");
        if (a[1] is not long offset || offset < 0) throw Error($"'{g.FullName}' expects a non-negative storage offset, found {Describe(a[1])}");
        if (a[2] is not object?[] sizeTuple || a[3] is not object?[] strideTuple || sizeTuple.Length != strideTuple.Length)
            throw Error($"'{g.FullName}' expects size and stride tuples of equal length");
        var size = new int[sizeTuple.Length];
        var stride = new long[strideTuple.Length];
        long count = 1;
        Int128 last = offset; // the largest storage index the view touches; Int128 cannot overflow here
        for (int i = 0; i < size.Length; i++)
        {
            if (sizeTuple[i] is not long s || s < 0 || s > int.MaxValue)
                throw Error($"tensor size entry {i} ({Describe(sizeTuple[i])}) is not a dimension in [0, {int.MaxValue}]");
            if (strideTuple[i] is not long st || st < 0)
                throw Error($"tensor stride entry {i} ({Describe(strideTuple[i])}) is not a non-negative integer");
            size[i] = (int)s;
            stride[i] = st;
            count = s == 0 || count == 0 ? 0 : count > Array.MaxLength / s ? long.MaxValue : count * s;
            if (s > 0) last += (Int128)(s - 1) * st;
        }
        if (count > Array.MaxLength) throw Error($"tensor of size ({string.Join(", ", size)}) has too many elements");
        // Views larger than their storage repeat elements (stride 0, e.g. a saved expand()); cap them so a tiny file
        // cannot ask for gigabytes.
        if (count > storage.Count && count > MaxExpandedElements)
            throw Error($"tensor of size ({string.Join(", ", size)}) repeats the {storage.Count} elements of storage '{storage.Key}' into {count}",
                "save expanded tensors as contiguous copies (t.contiguous())");
        if (count > 0 && last >= storage.Count)
            throw Error($"tensor view (offset {offset}, size ({string.Join(", ", size)}), stride ({string.Join(", ", stride)})) reaches element {last} of the {storage.Count}-element storage '{storage.Key}'",
                "the file is corrupt");
        if (count == 0 && offset > storage.Count)
            throw Error($"storage offset {offset} is past the end of the {storage.Count}-element storage '{storage.Key}'");
        return new TensorRef(storage, offset, size, stride);
    }

    /// <summary>Persistent id ('storage', storage_type, key, location, numel), as torch.save writes it.</summary>
    private StorageRef PersistentLoad(object? pid)
    {
        if (pid is not object?[] { Length: 5 } t || t[0] is not "storage")
            throw Error($"persistent id {Describe(pid)} is not ('storage', type, key, location, numel)");
        if (t[1] is not PickleGlobal { Kind: GlobalKind.Storage } type)
            throw Error($"persistent id names {Describe(t[1])}, not a storage type");
        if (t[2] is not string key || key.Length == 0 || key.Length > 64 || !key.All(char.IsAsciiLetterOrDigit))
            throw Error($"storage key {Describe(t[2])} is not a short alphanumeric name");
        if (t[4] is not long count || count < 0)
            throw Error($"storage '{key}' has element count {Describe(t[4])}");
        return new StorageRef(key, s_allowed[type.FullName].Type, type.Name, count);
    }

    private void SetItem(PickleDict dict, object? key, object? value)
    {
        if (key is not (string or long or bool or double))
            throw Error($"dict key {Describe(key)} is not a string or number");
        dict.Items[key] = value;
    }

    // ----------------------------------------------------------------------------------------------- stack

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() >= _stack.Count))
            throw Error("stack underflow");
        object? v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Top()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() >= _stack.Count)) throw Error("stack underflow");
        return _stack[^1];
    }

    private T TopAs<T>(string op) where T : class =>
        Top() as T ?? throw Error($"{op} on {Describe(Top())}, expected {(typeof(T) == typeof(PickleDict) ? "a dict" : "a list")}");

    private object?[] PopN(int n)
    {
        var items = new object?[n];
        for (int i = n - 1; i >= 0; i--) items[i] = Pop();
        return items;
    }

    private List<object?> PopToMark()
    {
        if (_marks.Count == 0) throw Error("no MARK on the stack");
        int mark = _marks.Pop();
        List<object?> items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out object? v) ? v : throw Error($"memo entry {index} was never stored");

    // ----------------------------------------------------------------------------------------------- bytes

    private byte ReadByte()
    {
        if (_pos >= _data.Length) throw Error("unexpected end of pickle data (no STOP opcode)", "the file is truncated");
        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(ulong count)
    {
        if (count > (ulong)(_data.Length - _pos))
            throw Error($"needs {count} bytes but only {_data.Length - _pos} remain", "the file is truncated");
        var span = new ReadOnlySpan<byte>(_data, _pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private string ReadUtf8(ulong count)
    {
        ReadOnlySpan<byte> bytes = Take(count);
        try
        {
            return s_strictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw Error("string is not valid UTF-8");
        }
    }

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos, Math.Min(256, _data.Length - _pos));
        if (end < 0) throw Error("GLOBAL name is not terminated by a newline within 256 bytes");
        string s = ReadUtf8((ulong)(end - _pos));
        _pos++;
        return s;
    }

    private long ReadLong1()
    {
        int n = ReadByte();
        if (n > 8) throw Error($"integer of {n} bytes does not fit 64 bits");
        ReadOnlySpan<byte> b = Take((ulong)n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | b[i];
        if (n is > 0 and < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n); // two's complement sign
        return v;
    }

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private CheckpointFormatException Error(string problem, string? hint = null) =>
        new(_file, $"{_entry} offset {_opStart}", problem, hint);

    internal static string Describe(object? v) => v switch
    {
        null => "None",
        string s => $"'{(s.Length > 40 ? s[..40] + "…" : s)}'",
        long or double or bool => Convert.ToString(v, CultureInfo.InvariantCulture)!,
        object?[] t => $"a tuple of {t.Length}",
        List<object?> l => $"a list of {l.Count}",
        PickleDict => "a dict",
        PickleGlobal g => $"global '{g.FullName}'",
        StorageRef s => $"storage '{s.Key}'",
        TensorRef => "a tensor",
        _ => v.GetType().Name,
    };
}
