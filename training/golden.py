"""Export PyTorch goldens for the Go cross-check (models/crosscheck_test.go).

    /usr/bin/python3 training/golden.py [--models models] [--n 600] [--full 8]

For every checkpoint under models/ it reads the first N documents of the
khop TEST split (through the Go generator, as the evaluation does; nothing
is trained or selected on them), runs the exported checkpoint in PyTorch at
every depth R = 1..total_ut_steps and writes models/testdata/<name>.json:

  prompts[i].text       the prompt text (the engine tokenizes it)
  prompts[i].ids        the token ids PyTorch used
  prompts[i].greedy     argmax id at the last position for each R
  prompts[i].exit_cdf   exit CDF at the last position (looped models)
  prompts[i].answer_logprobs   (first FULL prompts only) for each R the
                        log-probs of the N answer symbols at the last position

Numbers are float32 computations of the exported weights, printed with 7
significant digits.
"""

import argparse
import glob
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ouro_micro as om  # noqa: E402
import data as kdata  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def test_docs(n, seed):
    import subprocess
    cmd = kdata.dump_command("test", n, seed)
    out = subprocess.run(cmd, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def g7(x):
    return float("%.7g" % x)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--full", type=int, default=8)
    ap.add_argument("--seed", type=int, default=2026, help="the seed of the khop task YAML (tasks/builtin/micro)")
    a = ap.parse_args()
    torch.set_num_threads(1)
    docs = test_docs(a.n, a.seed)
    os.makedirs(os.path.join(a.models, "testdata"), exist_ok=True)
    for cfgpath in sorted(glob.glob(os.path.join(a.models, "*", "config.json"))):
        d = os.path.dirname(cfgpath)
        name = os.path.basename(d)
        model = om.load(d).eval()
        R = model.cfg["total_ut_steps"]
        N = len(docs[0]["choices"])
        K = max(max(x["query_hops"]) for x in docs)
        vocab = om.Vocab(kdata.task_tokens(N, K))
        sym_ids = [vocab.id(s) for s in docs[0]["choices"]]
        ids = np.array([[vocab.id(t) for t in x["tokens"]] for x in docs], dtype=np.int64)
        T = ids.shape[1]
        with torch.no_grad():
            logits, gates = model(torch.from_numpy(ids), R, torch.tensor([T - 1]))
            lp = torch.log_softmax(logits[:, :, 0].float(), -1)  # [R, n, V]
            cdf = torch.cumsum(om.exit_distribution(gates[:, :, 0]), 0) if R > 1 else None
        prompts = []
        for i, x in enumerate(docs):
            p = {"text": x["prompt"], "ids": ids[i].tolist(), "answer": x["answer"], "hops": x["hops"],
                 "greedy": [int(lp[r, i].argmax()) for r in range(R)]}
            if cdf is not None:
                p["exit_cdf"] = [g7(v) for v in cdf[:, i].tolist()]
            if i < a.full:
                p["answer_logprobs"] = [[g7(v) for v in lp[r, i, sym_ids].tolist()] for r in range(R)]
            prompts.append(p)
        out = {"format": 1, "checkpoint": name, "compute": "f32 (PyTorch, training/ouro_micro.py)", "total_ut_steps": R,
               "answer_ids": sym_ids, "split": "test", "seed": a.seed, "prompts": prompts}
        path = os.path.join(a.models, "testdata", name + ".json")
        with open(path, "w") as f:
            json.dump(out, f, separators=(",", ":"))
            f.write("\n")
        acc = np.mean([p["greedy"][-1] == vocab.id(p["answer"]) for p in prompts])
        print("%s: %d prompts, accuracy at R=%d %.3f -> %s" % (name, len(prompts), R, acc, path), flush=True)


if __name__ == "__main__":
    main()
