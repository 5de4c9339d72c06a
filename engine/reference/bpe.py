"""A small byte-level BPE encoder for ASCII text (the `tokenizers` package is not installed).

Enough to turn the golden prompts into ids with a Hugging Face tokenizer.json of the GPT-2 /
SmolLM2 / Ouro family: added tokens split out first, optional `Digits(individual_digits)`, the
GPT-2 split regex (for ASCII input `\\p{L}` = [A-Za-z] and `\\p{N}` = [0-9], so the ASCII regex below
is the same regex), ByteLevel byte→unicode mapping and rank-ordered merges. Non-ASCII input is
rejected rather than tokenized approximately. Also trains the tiny synthetic tokenizers.
"""

import json
import re

GPT2_ASCII = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


B2U = bytes_to_unicode()


def pretokenize(text, digits):
    pieces = [text]
    if digits:
        out = []
        for p in pieces:
            out.extend(x for x in re.split(r"([0-9])", p) if x)
        pieces = out
    words = []
    for p in pieces:
        words.extend(GPT2_ASCII.findall(p))
    return ["".join(B2U[b] for b in w.encode("utf-8")) for w in words]


def bpe_word(word, ranks):
    parts = list(word)
    while len(parts) > 1:
        best = None
        for i in range(len(parts) - 1):
            r = ranks.get((parts[i], parts[i + 1]))
            if r is not None and (best is None or r < best[0]):
                best = (r, i)
        if best is None:
            break
        i = best[1]
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    return parts


class Tokenizer:
    def __init__(self, tokenizer_json_path):
        with open(tokenizer_json_path, encoding="utf-8") as f:
            tj = json.load(f)
        m = tj["model"]
        if m["type"] != "BPE":
            raise ValueError(f"{tokenizer_json_path}: model type {m['type']} is not BPE")
        self.vocab = m["vocab"]
        merges = [tuple(x.split(" ")) if isinstance(x, str) else tuple(x) for x in m["merges"]]
        self.ranks = {p: i for i, p in enumerate(merges)}
        self.added = {t["content"]: t["id"] for t in tj.get("added_tokens", [])}
        pre = tj.get("pre_tokenizer") or {}
        subs = pre.get("pretokenizers", [pre])
        self.digits = any(s.get("type") == "Digits" and s.get("individual_digits") for s in subs)

    def encode(self, text):
        if any(ord(c) > 127 for c in text):
            raise ValueError(f"reference BPE handles ASCII text only: {text!r}")
        ids = []
        if self.added:
            pat = "(" + "|".join(re.escape(t) for t in sorted(self.added, key=len, reverse=True)) + ")"
            chunks = re.split(pat, text)
        else:
            chunks = [text]
        for ch in chunks:
            if not ch:
                continue
            if ch in self.added:
                ids.append(self.added[ch])
                continue
            for w in pretokenize(ch, self.digits):
                ids.extend(self.vocab[p] for p in bpe_word(w, self.ranks))
        return ids


def train(text, vocab_size, specials):
    """Deterministic BPE training on text: ids 0..len(specials)-1 are the special tokens, then the
    256 byte symbols in byte order, then merges (most frequent pair, ties by the pair's strings)."""
    vocab = {s: i for i, s in enumerate(specials)}
    for b in range(256):
        vocab[B2U[b]] = len(vocab)
    words = {}
    for w in pretokenize(text, digits=False):
        words[w] = words.get(w, 0) + 1
    seqs = {w: list(w) for w in words}
    merges = []
    while len(vocab) < vocab_size:
        counts = {}
        for w, c in words.items():
            s = seqs[w]
            for i in range(len(s) - 1):
                counts[(s[i], s[i + 1])] = counts.get((s[i], s[i + 1]), 0) + c
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        merges.append(pair)
        new = pair[0] + pair[1]
        vocab[new] = len(vocab)
        for w in seqs:
            s = seqs[w]
            i, out = 0, []
            while i < len(s):
                if i < len(s) - 1 and (s[i], s[i + 1]) == pair:
                    out.append(new)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    return vocab, merges
