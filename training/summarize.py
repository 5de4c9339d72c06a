"""Summarise ouroeval sweep outputs of the micro models into results/baselines/.

    /usr/bin/python3 training/summarize.py RUN_DIR [RUN_DIR ...] --out results/baselines/micro

Reads each run directory's samples/<model>/khop.jsonl (written by `ouroeval
sweep configs/micro.yaml` and `configs/micro-exit.yaml`) and writes
OUT.json and OUT.md: accuracy by hop count with 95 % Wilson intervals per
(model, setting), the mean number of executed recurrent steps, and the
checks of issue 6 point 5 computed from those numbers.
"""

import argparse
import glob
import json
import math
import os
from collections import defaultdict


def wilson(k, n, z=1.959964):
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


def setting_label(s):
    parts = []
    if "R" in s:
        parts.append("R=%d" % s["R"])
    if "q" in s:
        parts.append("q=%g" % s["q"])
    return ",".join(parts) or "default"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    ap.add_argument("--task", default="khop")
    a = ap.parse_args()

    cells = defaultdict(lambda: defaultdict(lambda: [0, 0, 0.0]))  # (model, setting) -> hops -> [correct, n, steps]
    for run in a.runs:
        for path in sorted(glob.glob(os.path.join(run, "samples", "*", a.task + ".jsonl"))):
            with open(path) as f:
                for line in f:
                    r = json.loads(line)
                    key = (r["model"], setting_label(r["setting"]))
                    h = r["breakdown"]["hops"]
                    score = r["scores"]["none"]["exact_match"]
                    for hk in (h, "all"):
                        c = cells[key][hk]
                        c[0] += score
                        c[1] += 1
                        c[2] += r.get("mean_steps", 0)
    out = {"task": a.task, "runs": a.runs, "results": []}
    for (model, setting), hs in sorted(cells.items()):
        row = {"model": model, "setting": setting, "by_hops": {}}
        for hk, (k, n, st) in sorted(hs.items()):
            lo, hi = wilson(k, n)
            row["by_hops"][hk] = {"acc": k / n, "ci95": [lo, hi], "n": n, "mean_steps": st / n}
        out["results"].append(row)

    def get(model, setting, hk):
        for r in out["results"]:
            if r["model"] == model and r["setting"] == setting:
                return r["by_hops"].get(hk)
        return None

    hops = sorted({h for r in out["results"] for h in r["by_hops"] if h != "all"}, key=int)
    hard = hops[-1] if hops else None
    checks = {}
    models = sorted({r["model"] for r in out["results"]})
    looped = next((m for m in models if "looped" in m), None)
    iso_p = next((m for m in models if m.endswith("dense-l2")), None)
    iso_c = next((m for m in models if m.endswith("dense-l8")), None)
    if looped and iso_p and iso_c and hard:
        lr4 = get(looped, "R=4", hard)
        dp = get(iso_p, "R=1", hard) or get(iso_p, "default", hard)
        dc = get(iso_c, "R=1", hard) or get(iso_c, "default", hard)
        if lr4 and dp and dc:
            checks["hardest_hops"] = hard
            checks["looped_minus_iso_param_points"] = 100 * (lr4["acc"] - dp["acc"])
            checks["cis_disjoint"] = lr4["ci95"][0] > dp["ci95"][1]
            checks["looped_ge_iso_param_plus_10_and_disjoint"] = checks["looped_minus_iso_param_points"] >= 10 and checks["cis_disjoint"]
            checks["looped_minus_iso_compute_points"] = 100 * (lr4["acc"] - dc["acc"])
            checks["within_5_of_iso_compute"] = checks["looped_minus_iso_compute_points"] >= -5
        accs = [get(looped, "R=%d" % r, "all") for r in range(1, 5)]
        if all(accs):
            checks["looped_acc_by_R"] = [x["acc"] for x in accs]
            checks["rises_R1_to_R4"] = accs[-1]["acc"] > accs[0]["acc"]
        for q in ("0.5", "0.9"):
            x = get(looped, "R=4,q=" + q, "all")
            r4 = get(looped, "R=4", "all")
            if x and r4:
                checks["q=" + q] = {"acc": x["acc"], "acc_minus_R4_points": 100 * (x["acc"] - r4["acc"]),
                                    "step_fraction": x["mean_steps"] / 4,
                                    "within_2_points_at_le_75pct_steps": x["acc"] >= r4["acc"] - 0.02 and x["mean_steps"] / 4 <= 0.75}
    out["checks"] = checks
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out + ".json", "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    lines = ["# Micro models on khop (test split), measured by ouroeval with the built-in engine", "",
             "Accuracy (exact match of the one-token answer) by hop count, 95 % Wilson intervals; "
             "steps = mean recurrent steps executed per answer.", "",
             "| model | setting | " + " | ".join("hops=%s" % h for h in hops) + " | all | steps |",
             "|---|---|" + "---|" * (len(hops) + 2)]
    for r in out["results"]:
        b = r["by_hops"]
        lines.append("| %s | %s | %s | %.3f | %.2f |" % (r["model"], r["setting"], " | ".join(
            "%.3f [%.3f, %.3f]" % (b[h]["acc"], b[h]["ci95"][0], b[h]["ci95"][1]) for h in hops), b["all"]["acc"], b["all"]["mean_steps"]))
    lines += ["", "Checks (issue 6 point 5):", "", "```json", json.dumps(checks, indent=1), "```", ""]
    with open(a.out + ".md", "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
