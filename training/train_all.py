"""Retrain every shipped micro model from scratch (one command).

    /usr/bin/python3 training/train_all.py            # data, all models, export, goldens
    /usr/bin/python3 training/train_all.py --only khop-dense-l2

1. Training data from the Go generator: `ouroeval tasks dump khop --split
   train` (200,000 documents, seed 1234) and a training-time monitoring set
   from the TRAIN split under another seed (2,000 documents, seed 99). The
   test split is never read here.
2. The shipped models, two single-threaded processes at a time, the same
   recipe and token budget for all (3,000 steps x 64 sequences):
     khop-looped-l2r4  2 layers x 4 recurrent steps, Stage I + Stage II gate
     khop-dense-l2     2 layers  (iso-parameter baseline)
     khop-dense-l8     8 layers  (iso-compute baseline)
3. Export to models/<name>/ (Hugging Face layout) and logs to training/logs/.
4. Goldens for the Go cross-check (training/golden.py, reads the TEST split
   through the Go generator only to record PyTorch outputs).
"""

import argparse
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PY = sys.executable

COMMON = ["--steps", "3000", "--batch", "64", "--lr", "5e-4", "--warmup", "100", "--seed", "1", "--d", "64", "--heads", "4", "--ff", "160",
          "--eval-every", "500", "--eval-docs", "500"]

MODELS = [
    # name, layers, R, Stage II steps
    ("khop-looped-l2r4", 2, 4, 300),
    ("khop-dense-l8", 8, 1, 0),
    ("khop-dense-l2", 2, 1, 0),
]


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", help="train only these model names")
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--skip-data", action="store_true")
    ap.add_argument("--skip-golden", action="store_true")
    a = ap.parse_args()

    cache = os.path.join(HERE, "cache")
    train = os.path.join(cache, "train.npz")
    hold = os.path.join(cache, "holdout.npz")
    if not a.skip_data:
        run([PY, os.path.join(HERE, "data.py"), "--split", "train", "--n", "200000", "--seed", "1234", "--out", train])
        run([PY, os.path.join(HERE, "data.py"), "--split", "train", "--n", "2000", "--seed", "99", "--out", hold])

    todo = [m for m in MODELS if not a.only or m[0] in a.only]
    procs = []
    t0 = time.time()
    for name, layers, R, s2 in todo:
        while len([p for p in procs if p.poll() is None]) >= a.parallel:
            time.sleep(5)
        cmd = [PY, os.path.join(HERE, "train_one.py"), "--name", name, "--layers", str(layers), "--R", str(R),
               "--stage2-steps", str(s2), "--train", train, "--eval", hold, "--out", os.path.join(REPO, "models", name),
               "--log", os.path.join(HERE, "logs", name + ".jsonl")] + COMMON
        print("+", " ".join(cmd), flush=True)
        procs.append(subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL))
    for p in procs:
        if p.wait() != 0:
            raise SystemExit("training failed: %s" % " ".join(p.args))
    print("all models trained in %.1f min" % ((time.time() - t0) / 60), flush=True)
    if not a.skip_golden:
        run([PY, os.path.join(HERE, "golden.py")])


if __name__ == "__main__":
    main()
