"""Train (Stage I, optionally Stage II), evaluate and export one micro model.

    /usr/bin/python3 training/train_one.py --name looped-l2r4 --layers 2 --R 4 \
        --steps 6000 --train DATA/train.npz --test DATA/test.npz --out models/x

Data files come from training/data.py (which runs the Go generator).
"""

import argparse
import json
import os
import sys
import time

# One thread per process, also inside OpenBLAS (its pthread build otherwise
# starts a busy-waiting worker thread that halves throughput on 2 cores).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ouro_micro as om  # noqa: E402
import data as kdata  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--layers", type=int, required=True)
    ap.add_argument("--R", type=int, required=True)
    ap.add_argument("--d", type=int, default=64)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ff", type=int, default=160)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--stage2-steps", type=int, default=0)
    ap.add_argument("--gate-bias-init", type=float, default=0.0, help="initial exit-gate bias (looped models)")
    ap.add_argument("--stage2-lr", type=float, default=1e-2)
    ap.add_argument("--train", required=True, help="train split .npz from training/data.py")
    ap.add_argument("--eval", default=None, help="a held-out slice of the TRAIN split (.npz) for the training-time curve")
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--eval-docs", type=int, default=2000)
    ap.add_argument("--out", default=None, help="export directory (Hugging Face layout)")
    ap.add_argument("--log", required=True)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)

    meta, X, Y, H = kdata.load_npz(args.train)
    vocab = kdata.vocab_for(meta)
    evalset = None
    if args.eval:
        _, EX, EY, EH = kdata.load_npz(args.eval)
        evalset = (EX[:args.eval_docs], EY[:args.eval_docs], EH[:args.eval_docs])

    cfg = {"hidden_size": args.d, "num_attention_heads": args.heads, "intermediate_size": args.ff, "num_hidden_layers": args.layers,
           "total_ut_steps": args.R, "vocab_size": len(vocab), "rope_theta": 10000.0, "max_position_embeddings": 64,
           "gate_bias_init": args.gate_bias_init}
    model = om.OuroMicro(cfg)
    os.makedirs(os.path.dirname(os.path.abspath(args.log)), exist_ok=True)
    logf = open(args.log, "w")

    def log(rec):
        rec = {"name": args.name, **rec}
        logf.write(json.dumps(rec) + "\n")
        logf.flush()
        print(json.dumps(rec), flush=True)

    log({"event": "start", "args": vars(args), "params": om.param_count(model), "train_docs": int(X.shape[0]), "task": meta,
         "torch": torch.__version__, "time": time.strftime("%Y-%m-%d %H:%M:%S")})

    def eval_fn(step):
        if evalset is None:
            return
        model.eval()
        Rs = list(range(1, args.R + 1))
        r = om.evaluate(model, *evalset, Rs=Rs, qs=(0.5, 0.9) if args.R > 1 else ())
        model.train()
        log({"event": "eval", "step": step, "on": "train-split holdout", **r})

    t0 = time.time()
    om.train_stage1(model, X, Y, args.R, args.steps, args.batch, args.lr, args.seed, log, eval_fn=eval_fn,
                    eval_every=args.eval_every, warmup=args.warmup)
    log({"event": "stage1_done", "seconds": round(time.time() - t0, 1)})
    eval_fn(args.steps)
    if args.stage2_steps and args.R > 1:
        om.train_stage2(model, X, Y, args.R, args.stage2_steps, args.batch, args.stage2_lr, args.seed, log)
        log({"event": "stage2_done"})
        eval_fn(args.steps + args.stage2_steps)
    if args.out:
        om.export(model, vocab, args.out, {"name": args.name, "steps": args.steps, "stage2_steps": args.stage2_steps,
                                           "batch": args.batch, "lr": args.lr, "seed": args.seed})
        log({"event": "exported", "out": args.out})
    log({"event": "done", "seconds": round(time.time() - t0, 1)})


if __name__ == "__main__":
    main()
