"""PyTorch-side evaluation of the exported micro models on the khop TEST split.

    /usr/bin/python3 training/evaluate.py [--n 3000] [--out results/baselines/micro-pytorch.json]

The same documents as tasks/builtin/micro/khop.yaml (test split, seed 2026,
first N docs; the question is the last query of each prompt). Accuracy by
hop count with 95 % Wilson intervals at every depth R = 1..total_ut_steps and
under the Q-exit rule (q = 0.5, 0.9), with the mean number of executed
steps. This is a cross-check of the ouroeval measurement (which is the
reference); nothing here feeds back into training.
"""

import argparse
import glob
import json
import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ouro_micro as om  # noqa: E402
import data as kdata  # noqa: E402
import golden  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def wilson(k, n, z=1.959964):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (round(c - h, 4), round(c + h, 4))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=os.path.join(REPO, "models"))
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", default=os.path.join(REPO, "results", "baselines", "micro-pytorch.json"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    docs = golden.test_docs(a.n, a.seed)
    N = len(docs[0]["choices"])
    K = max(max(x["query_hops"]) for x in docs)
    vocab = om.Vocab(kdata.task_tokens(N, K))
    X = np.array([[vocab.id(t) for t in x["tokens"]] for x in docs], dtype=np.int64)
    ans = np.array([vocab.id(x["answer"]) for x in docs])
    hops = np.array([x["hops"] for x in docs])
    T = X.shape[1]
    results = {"task": "khop", "split": "test", "seed": a.seed, "docs": len(docs), "engine": "pytorch (training/ouro_micro.py, f32)", "models": {}}
    for cfgpath in sorted(glob.glob(os.path.join(a.models, "*", "config.json"))):
        name = os.path.basename(os.path.dirname(cfgpath))
        model = om.load(os.path.dirname(cfgpath)).eval()
        R = model.cfg["total_ut_steps"]
        preds, cdfs = [], []
        with torch.no_grad():
            for s in range(0, len(docs), 500):
                lg, g = model(torch.from_numpy(X[s:s + 500]), R, torch.tensor([T - 1]))
                preds.append(lg[:, :, 0].argmax(-1).numpy())
                if R > 1:
                    cdfs.append(np.cumsum(om.exit_distribution(g[:, :, 0]).numpy(), 0))
        pred = np.concatenate(preds, 1)  # [R, n]
        entry = {"params": om.param_count(model), "layers": model.cfg["num_hidden_layers"], "steps": R, "runs": []}

        def add(label, correct, steps=None):
            run = {"setting": label, "acc": round(float(correct.mean()), 4), "ci95": wilson(int(correct.sum()), len(correct)), "by_hops": {}}
            if steps is not None:
                run["mean_steps"] = round(float(steps.mean()), 3)
                run["step_fraction"] = round(float(steps.mean()) / R, 3)
            for k in range(1, K + 1):
                m = hops == k
                c = {"acc": round(float(correct[m].mean()), 4), "ci95": wilson(int(correct[m].sum()), int(m.sum())), "n": int(m.sum())}
                if steps is not None:
                    c["mean_steps"] = round(float(steps[m].mean()), 3)
                run["by_hops"][str(k)] = c
            entry["runs"].append(run)

        for r in range(1, R + 1):
            add("R=%d" % r, pred[r - 1] == ans)
        if R > 1:
            cdf = np.concatenate(cdfs, 1)
            for q in (0.5, 0.9):
                reach = cdf >= q - 1e-7
                ex = np.where(reach.any(0), reach.argmax(0), R - 1)
                pq = pred[ex, np.arange(len(docs))]
                add("R=%d,q=%g" % (R, q), pq == ans, ex + 1)
        results["models"][name] = entry
        for run in entry["runs"]:
            print("%-18s %-10s acc %.3f  by hops %s%s" % (name, run["setting"], run["acc"],
                  " ".join("%s:%.3f" % (k, v["acc"]) for k, v in run["by_hops"].items()),
                  "  steps %.2f" % run["mean_steps"] if "mean_steps" in run else ""), flush=True)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(results, f, indent=1)
        f.write("\n")
    print("wrote", a.out)


if __name__ == "__main__":
    main()
