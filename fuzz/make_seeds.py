#!/usr/bin/env python3
"""Writes the committed seed corpora of fuzz/corpus/<target>/ (small valid files, one per feature).

Sources: the IO test fixtures (safetensors, .pth, .npy, PNG, JPEG), the first lines of a Brown file, and
hand-built IDX files, a tiny GPT-2 vocabulary and a Hugging Face folder index. Run from the repository root:
/usr/bin/python3 fuzz/make_seeds.py
"""
import gzip, json, os, shutil, struct, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "Unravel.IO.Tests", "Fixtures")
OUT = os.path.join(ROOT, "fuzz", "corpus")


def target(name):
    """The corpus folder of a target, emptied of seeds (inputs imported from AFL++, afl-*, are kept)."""
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("afl-"):
            os.remove(os.path.join(d, f))
    return d


def copy(name, sub, files):
    d = target(name)
    for f in files:
        shutil.copy(os.path.join(FIX, sub, f), os.path.join(d, f))
    return d


copy("safetensors", "safetensors", ["writer_f32.safetensors", "writer_f16.safetensors", "bf16.safetensors", "mixed.safetensors", "big_int.safetensors"])
d = copy("pth", "torch", ["protocol4.pth", "wrapped_model.pth", "state_dict.pth", "legacy.pth"])
p = target("pickle")
for f in ["protocol4.pth", "wrapped_model.pth", "state_dict.pth", "wrapped.pth", "whole_module.pth"]:
    with zipfile.ZipFile(os.path.join(FIX, "torch", f)) as z:
        pkl = [n for n in z.namelist() if n.endswith("data.pkl")][0]
        open(os.path.join(p, f.replace(".pth", ".pkl")), "wb").write(z.read(pkl))
copy("npy", "npy", ["f4_2x3.npy", "f2_4.npy", "i8_2x2.npy", "u1_3.npy", "v2_f4.npy", "scalar.npy", "empty_0x4.npy"])

d = target("idx")
images = struct.pack(">BBBBiii", 0, 0, 8, 3, 2, 3, 3) + bytes(range(18))
labels = struct.pack(">BBBBi", 0, 0, 8, 1, 5) + bytes([1, 2, 3, 4, 9])
open(os.path.join(d, "images_2x3x3.idx"), "wb").write(images)
open(os.path.join(d, "labels_5.idx"), "wb").write(labels)
open(os.path.join(d, "images_2x3x3.idx.gz"), "wb").write(gzip.compress(images, mtime=0))
open(os.path.join(d, "labels_5.idx.gz"), "wb").write(gzip.compress(labels, mtime=0))

copy("png", "images/png", ["rgb8_1x1.png", "gray1_5x3_adam7.png", "rgb8_5x3.png", "rgb8_5x3_adam7.png", "pal2_trns_37x53.png", "gray16_37x53.png", "graya8_37x53.png"])
copy("jpeg", "images/jpeg", ["base420_q80_1x1.jpg", "base420_q80_2x2.jpg", "base420_q80_8x8.jpg", "prog420_q80_17x1.jpg", "base420_q80_17x1.jpg", "rst1b_gray_q75_37x53.jpg", "gray_q75_37x53.jpg"])

d = target("hf-folder")
config = json.dumps({"model_type": "gpt2", "n_layer": 1, "n_embd": 2, "vocab_size": 2}).encode()
index = json.dumps({"metadata": {"total_size": 16}, "weight_map": {"wte.weight": "model-00001-of-00001.safetensors"}}).encode()
open(os.path.join(d, "single_shard"), "wb").write(config + b"\0" + index)


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


d = target("tokenizer")
alphabet = bytes_to_unicode()
vocab = {alphabet[b]: i for i, b in enumerate(range(256))}
merges = ["H e", "He l", "Hel l", "\u0120 w", "\u0120w o"]
for m in merges:
    vocab[m.replace(" ", "")] = len(vocab)
vocab["<|endoftext|>"] = len(vocab)
encoder = json.dumps(vocab, ensure_ascii=False).encode()
bpe = ("#version: 0.2\n" + "\n".join(merges) + "\n").encode()
open(os.path.join(d, "tiny"), "wb").write(encoder + b"\0" + bpe)

d = target("brown")
brown = os.path.join(ROOT, "assets", "data", "brown", "heldout")
first = sorted(os.listdir(brown))[0]
lines = open(os.path.join(brown, first), "rb").read().split(b"\n")[:12]
open(os.path.join(d, "first_lines"), "wb").write(b"\n".join(lines) + b"\n")
open(os.path.join(d, "crlf"), "wb").write(b"\tThe/at jury/nn said/vbd ./.\r\n\r\n\tIt/pps did/dod ''/'' ./.\r\n")

# pth-pickle: state_dict pickles whose storages "0".."3" hold 16 float32 each (the harness supplies that zip around them).
import struct as _s


def u(s):
    b = s.encode()
    return b"X" + _s.pack("<I", len(b)) + b


def tensor(key, size, stride, offset=0):
    return (b"ctorch._utils\n_rebuild_tensor_v2\n(" + b"(" + u("storage") + b"ctorch\nFloatStorage\n" + u(key) + u("cpu") + b"K\x10tQ"
            + b"K" + bytes([offset]) + b"(" + b"".join(b"K" + bytes([d]) for d in size) + b"t(" + b"".join(b"K" + bytes([d]) for d in stride)
            + b"t\x89ccollections\nOrderedDict\n)RtR")


d = target("pth-pickle")
flat = b"\x80\x02}(" + u("fc.weight") + tensor("0", [4, 4], [4, 1]) + u("fc.bias") + tensor("1", [4], [1]) \
    + u("transposed") + tensor("2", [4, 4], [1, 4]) + u("view") + tensor("0", [2, 3], [3, 1], 5) + b"u."
open(os.path.join(d, "flat.pkl"), "wb").write(flat)
wrapped = b"\x80\x02}(" + u("state_dict") + b"}(" + u("w") + tensor("3", [16], [1]) + b"u" + u("epoch") + b"K\x03" \
    + u("history") + b"](K\x01G?\xf8\x00\x00\x00\x00\x00\x00" + u("x") + b"\x88Ne" + u("shared") + b"}q\x00(" + u("a") + b"K\x01u" + u("again") + b"h\x00u."
open(os.path.join(d, "wrapped.pkl"), "wb").write(wrapped)

# Atlas targets, from real atlases: `unravel demo` writes fashion-atlas and brown-atlas (concepts, pure); split, explain,
# score and embed records come from atlases those commands ran on. Pass the atlas folders to take them from:
#   /usr/bin/python3 fuzz/make_seeds.py ATLAS...
# Without arguments the atlas corpora are left as they are. Each record seed is the smallest file of its kind.
import sqlite3, sys

RECORD_KINDS = ["concepts", "pure", "split", "explain", "score", "embed", "split-find", "feature-images"]  # AtlasTargets.RecordKinds


# Per-channel vectors (a concept's direction, a centroid, an embedding, circuits) are cut to 4 values; lists that index
# one another (top inputs, labels, linkage rows, members, token windows) are kept whole so that the record stays
# consistent. The split search is only read, so all its lists are cut.
VECTORS = {"vector", "centroid", "embedding", "circuits"}


def shrink(v, key=None, everything=False):
    if isinstance(v, list):
        return [shrink(x, key, everything) for x in (v[:4] if everything or key in VECTORS else v)]
    if isinstance(v, dict):
        return {k: shrink(x, k, everything) for k, x in v.items()}
    return v


def compact(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


atlases = [a for a in sys.argv[1:] if os.path.isfile(os.path.join(a, "manifest.json"))]
if atlases:
    d = target("atlas-manifest")
    for a in atlases[:3]:
        m = json.load(open(os.path.join(a, "manifest.json")))
        m["files"] = m.get("files", [])[:4]
        open(os.path.join(d, os.path.basename(os.path.normpath(a)) + ".json"), "wb").write(compact(m))

    d = target("atlas-record")
    for kind_index, kind in enumerate(RECORD_KINDS):
        pattern = {"split-find": "find.json", "feature-images": "fv_"}.get(kind)
        method = "split" if kind in ("split-find", "feature-images") else kind
        for a in atlases:
            root = os.path.join(a, "methods", method)
            if not os.path.isdir(root):
                continue
            files = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
                           if f.endswith(".json") and (f.startswith(pattern) if pattern else f.startswith("neuron_")))
            if files:
                record = shrink(json.load(open(min(files, key=os.path.getsize))), everything=kind == "split-find")
                open(os.path.join(d, kind), "wb").write(bytes([kind_index]) + compact(record))
                break

    d = target("atlas-db")
    source = next(os.path.join(a, "atlas.db") for a in atlases if os.path.isfile(os.path.join(a, "atlas.db")))
    for name, journal in [("layer3", False), ("layer3-journal", True)]:
        out = os.path.join(d, name + ".db")
        shutil.copy(source, out)
        db = sqlite3.connect(out)
        db.execute("DELETE FROM neurons WHERE NOT (layer IN ('layer2', 'layer3') AND idx < 4)")
        db.execute("DELETE FROM meta WHERE key LIKE 'commit:%'")
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'layers', 'neurons')").fetchall():
            db.execute(f'DELETE FROM "{table}" WHERE rowid NOT IN (SELECT rowid FROM "{table}" LIMIT 2)')
        if journal:  # a step committed to the database whose files were not yet moved (AtlasCommit)
            db.execute("INSERT INTO meta VALUES ('commit:1-0123456789abcdef0123456789abcdef', '[\"methods/concepts/layer3/neuron_0.json\"]')")
        db.commit()
        db.execute("PRAGMA page_size = 512")
        db.execute("VACUUM")
        db.close()
