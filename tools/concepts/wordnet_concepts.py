"""Concept tables for linear explanations (Oikarinen & Weng 2024, ICML), generated from WordNet 3.0 so that neither CI
nor users need WordNet at run time.

Writes
  assets/concepts/fashion-mnist-superclasses.json  the 10 Fashion-MNIST classes mapped to WordNet noun synsets (by hand,
      below) and their superclasses by the authors' rule: every hypernym (transitive, including instance hypernyms) of
      a class synset that covers at least 2 classes; of several hypernyms with the same class set only the most
      specific (the one nearest to the classes) is kept. A superclass whose lemma equals a class name is called
      "<lemma> (any)".
  assets/concepts/brown-supersenses.tsv  word<TAB>pos<TAB>supersense for every word of the held-out Brown files whose
      Brown tag is a common noun, verb, adjective or adverb: the lexicographer file (noun.artifact, verb.motion, ...) of
      the word's most frequent WordNet sense after WordNet's morphological reduction (exception lists, then the
      standard suffix rules).
The ImageNet class list in assets/imagenet/classes.txt carries names only, no WordNet ids, so no ImageNet table is
written (a name-only match would be ambiguous: "crane" the bird vs the machine).

Needs Debian's wordnet-base (/usr/share/wordnet). Run: /usr/bin/python3 tools/concepts/wordnet_concepts.py
"""
import json
import os
import re
import sys

WN = "/usr/share/wordnet"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "assets", "concepts")

LEXNAMES = """adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body noun.cognition
noun.communication noun.event noun.feeling noun.food noun.group noun.location noun.motive noun.object noun.person
noun.phenomenon noun.plant noun.possession noun.process noun.quantity noun.relation noun.shape noun.state noun.substance
noun.time verb.body verb.change verb.cognition verb.communication verb.competition verb.consumption verb.contact
verb.creation verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl""".split()

# Fashion-MNIST class -> (lemma, 1-based sense number in index.noun). Fashion-MNIST's "Bag" images are handbags;
# WordNet has no "ankle boot", so it maps to boot.
FASHION = [("T-shirt/top", "t-shirt", 1), ("Trouser", "trouser", 1), ("Pullover", "pullover", 1), ("Dress", "dress", 1),
           ("Coat", "coat", 1), ("Sandal", "sandal", 1), ("Shirt", "shirt", 1), ("Sneaker", "sneaker", 1),
           ("Bag", "handbag", 1), ("Ankle boot", "boot", 1)]


def read_index(pos):
    index = {}
    with open(os.path.join(WN, f"index.{pos}"), encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            parts = line.split()
            p_cnt = int(parts[3])
            offsets = parts[4 + p_cnt + 2:]
            index[parts[0]] = offsets
    return index


def read_data(pos):
    synsets = {}
    with open(os.path.join(WN, f"data.{pos}"), encoding="latin-1") as f:
        for line in f:
            if line.startswith(" "):
                continue
            parts = line.split(" | ")[0].split()
            offset, lexfile, w_cnt = parts[0], int(parts[1]), int(parts[3], 16)
            words = [parts[4 + 2 * i] for i in range(w_cnt)]
            k = 4 + 2 * w_cnt
            p_cnt = int(parts[k])
            hyper = []
            for i in range(p_cnt):
                sym, off, ppos = parts[k + 1 + 4 * i: k + 4 + 4 * i]
                if sym in ("@", "@i") and ppos == "n":
                    hyper.append(off)
            synsets[offset] = (lexfile, words, hyper)
    return synsets


def read_exceptions(pos):
    exc = {}
    with open(os.path.join(WN, f"{pos}.exc"), encoding="latin-1") as f:
        for line in f:
            parts = line.split()
            exc.setdefault(parts[0], parts[1])
    return exc


def fashion(nouns, index):
    classes = []
    for name, lemma, sense in FASHION:
        classes.append({"name": name, "synset": f"{lemma}.n.{sense:02d}#{index[lemma][sense - 1]}", "offset": index[lemma][sense - 1]})
    # distance from each class to each of its hypernyms (BFS), then the class set of every hypernym
    cover, dist = {}, {}
    for ci, c in enumerate(classes):
        frontier, seen, d = [c["offset"]], {c["offset"]}, 0
        while frontier:
            nxt = []
            for off in frontier:
                if d > 0:
                    cover.setdefault(off, set()).add(ci)
                    dist[off] = min(dist.get(off, 99), d)
                for h in nouns[off][2]:
                    if h not in seen:
                        seen.add(h)
                        nxt.append(h)
            frontier, d = nxt, d + 1
    groups = {}
    for off, members in cover.items():
        if len(members) >= 2:
            groups.setdefault(tuple(sorted(members)), []).append(off)
    lower = {c["name"].lower() for c in classes}
    supers = []
    for members, offs in groups.items():
        off = min(offs, key=lambda o: (dist[o], o))  # the most specific hypernym with this class set
        lemma = nouns[off][1][0].replace("_", " ")
        name = f"{lemma} (any)" if lemma.lower() in lower else lemma
        supers.append({"name": name, "synset": f"{nouns[off][1][0].lower()}.n#{off}", "classes": list(members), "depth": dist[off]})
    supers.sort(key=lambda s: (len(s["classes"]), s["name"]))
    for s in supers:
        del s["depth"]
    for c in classes:
        del c["offset"]
    return {"source": "WordNet 3.0 (Princeton University; Debian wordnet-base), tools/concepts/wordnet_concepts.py",
            "rule": "hypernyms covering >= 2 classes; one (the most specific) per identical class set",
            "classes": classes, "superclasses": supers}


NOUN_RULES = [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")]
VERB_RULES = [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")]
ADJ_RULES = [("er", ""), ("est", ""), ("er", "e"), ("est", "e")]
RULES = {"n": NOUN_RULES, "v": VERB_RULES, "a": ADJ_RULES, "r": []}


def morphy(word, pos, index, exc):
    if word in exc[pos] and exc[pos][word] in index[pos]:
        return exc[pos][word]
    if word in index[pos]:
        return word
    for suf, rep in RULES[pos]:
        if word.endswith(suf) and len(word) > len(suf):
            base = word[: -len(suf)] + rep
            if base in index[pos]:
                return base
    return None


def wn_pos(tag):
    t = re.split(r"[-+*]", tag)[0]
    if t in ("nn", "nns"):
        return "n"
    if t.startswith("vb"):
        return "v"
    if t.startswith("jj"):
        return "a"
    if t in ("rb", "rbr", "rbt"):
        return "r"
    return None


def supersenses():
    names = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
    index = {p: read_index(names[p]) for p in names}
    data = {p: read_data(names[p]) for p in names}
    exc = {p: read_exceptions(names[p]) for p in names}
    folder = os.path.join(ROOT, "assets", "data", "brown", "heldout")
    rows = {}
    for fname in sorted(os.listdir(folder)):
        if not re.match(r"^c[a-r][0-9]{2}$", fname):
            continue
        with open(os.path.join(folder, fname), encoding="utf-8") as f:
            for item in f.read().split():
                slash = item.rfind("/")
                word, tag = item[:slash].lower(), item[slash + 1:]
                pos = wn_pos(tag)
                if pos is None or (word, pos) in rows:
                    continue
                base = morphy(word.replace(" ", "_"), pos, index, exc)
                if base is None:
                    continue
                rows[(word, pos)] = LEXNAMES[data[pos][index[pos][base][0]][0]]
    return rows


def main():
    if not os.path.isdir(WN):
        sys.exit(f"{WN} not found: apt-get install wordnet-base")
    os.makedirs(OUT, exist_ok=True)
    nouns = read_data("noun")
    table = fashion(nouns, read_index("noun"))
    with open(os.path.join(OUT, "fashion-mnist-superclasses.json"), "w") as f:
        json.dump(table, f, indent=1)
    for s in table["superclasses"]:
        print(f'{s["name"]:>24} {s["classes"]}')
    rows = supersenses()
    with open(os.path.join(OUT, "brown-supersenses.tsv"), "w") as f:
        f.write("# word\tpos\tsupersense (WordNet 3.0 lexicographer file of the most frequent sense; tools/concepts/wordnet_concepts.py)\n")
        for (word, pos), sense in sorted(rows.items()):
            f.write(f"{word}\t{pos}\t{sense}\n")
    print(len(rows), "Brown word/pos supersenses")


if __name__ == "__main__":
    main()
