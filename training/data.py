"""Training data from the Go generator (the one source of truth).

    /usr/bin/python3 training/data.py --split train --n 400000 --out training/cache/train.npz

runs `ouroeval tasks dump khop --split SPLIT --n N --seed SEED` (JSONL, one
document per line; override the command with $KHOP_DUMP, e.g. a prebuilt
binary) and stores the token ids as a compact .npz. The vocabulary is the
generator's (khop.go Vocabulary): <bos>, <sep>, <sX>, <pX_Y>, <qX_K>; every
token of every document is checked against it.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ouro_micro as om  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def task_tokens(N, K):
    """The khop vocabulary in the Go generator's order (khop.go Vocabulary)."""
    v = ["<bos>", "<sep>"] + ["<s%d>" % x for x in range(N)]
    v += ["<p%d_%d>" % (x, y) for x in range(N) for y in range(N)]
    v += ["<q%d_%d>" % (x, k) for x in range(N) for k in range(1, K + 1)]
    return v


def vocab_for(meta):
    return om.Vocab(task_tokens(meta["N"], meta["K"]))


def dump_command(split, n, seed):
    base = os.environ.get("KHOP_DUMP")
    if base:
        cmd = shlex.split(base)
    else:
        cmd = ["go", "run", "./cmd/ouroeval", "tasks", "dump"]
    return cmd + ["khop", "--split", split, "--n", str(n), "--seed", str(seed)]


def build(split, n, seed, out):
    cmd = dump_command(split, n, seed)
    print("running:", " ".join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True)
    xs, ys, hs = [], [], []
    N = K = None
    vocab = None
    for ln, line in enumerate(proc.stdout, 1):
        d = json.loads(line)
        if vocab is None:
            N = len(d["choices"])
            K = None
        if K is None or max(d["query_hops"]) > K:
            # K is the largest hop count the generator uses; it cycles the
            # last query through 1..K, so it shows up within K documents.
            K = max(K or 0, max(d["query_hops"]))
        xs.append(d["tokens"])
        ys.append(d["targets"])
        hs.append(d["query_hops"])
        vocab = True
    if proc.wait() != 0:
        raise SystemExit("dump command failed: %s" % " ".join(cmd))
    if len(xs) != n:
        raise SystemExit("dump produced %d documents, want %d" % (len(xs), n))
    v = om.Vocab(task_tokens(N, K))
    try:
        X = np.array([[v.id(t) for t in toks] for toks in xs], dtype=np.int16)
        Y = np.array([[v.id(t) for t in toks] for toks in ys], dtype=np.int16)
    except KeyError as e:
        raise SystemExit("document token outside the khop vocabulary: %s" % e)
    H = np.array(hs, dtype=np.int8)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.savez_compressed(out, X=X, Y=Y, H=H, N=N, K=K, seed=seed, split=split)
    print("wrote %s: %d docs, length %d, N=%d K=%d" % (out, X.shape[0], X.shape[1], N, K), flush=True)


def load_npz(path):
    z = np.load(path)
    meta = {"N": int(z["N"]), "K": int(z["K"]), "seed": int(z["seed"]), "split": str(z["split"])}
    return meta, z["X"].astype(np.int64), z["Y"].astype(np.int64), z["H"].astype(np.int64)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    build(a.split, a.n, a.seed, a.out)


if __name__ == "__main__":
    main()
