"""Micro Ouro (looped LM) and dense baselines: model, training, evaluation, export.

The architecture is the Ouro one (ouro-model.md §1) at micro scale, with the
same tensor names as the released Hugging Face checkpoints:

    h0 = embed_tokens[ids]                      (no scaling, no re-injection)
    for t in 1..R:                              (shared weights every step)
        for each layer:  x += norm2(attn(norm1(x)));  x += norm4(mlp(norm3(x)))
        h_t = model.norm(x)                     (final norm after EVERY step)
        gate_t = sigmoid(early_exit_gate(h_t))
    logits_t = lm_head(h_t)

Dense baselines are the same code with R = 1 (exported as model_type "ouro",
total_ut_steps 1).

Stage I loss (paper Eq. 4):  sum_t p(t|x) * CE_t  -  beta * H(p(.|x)).
Stage II (paper §3.4): LM frozen, only the gate is trained toward the
loss-improvement target w = sigmoid(k * (max(0, L_{t-1} - L_t) - gamma)),
k = 50, gamma = 0.005.
"""

import json
import math
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------
# Vocabulary and tokenizer files


def bytes_to_unicode():
    """GPT-2's byte -> printable unicode map (the ByteLevel alphabet)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


class Vocab:
    """Ids 0..255: the byte-level symbols (in byte order); 256..: task tokens."""

    def __init__(self, task_tokens):
        b2u = bytes_to_unicode()
        self.byte_symbols = [b2u[b] for b in range(256)]
        self.task_tokens = list(task_tokens)
        self.itos = self.byte_symbols + self.task_tokens
        self.stoi = {s: i for i, s in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("duplicate token in vocabulary")

    def __len__(self):
        return len(self.itos)

    def id(self, tok):
        try:
            return self.stoi[tok]
        except KeyError:
            raise KeyError("token %r is not in the vocabulary" % tok) from None

    def tokenizer_json(self):
        added = [
            {"id": 256 + i, "content": t, "single_word": False, "lstrip": False,
             "rstrip": False, "normalized": False, "special": t in ("<bos>", "<sep>")}
            for i, t in enumerate(self.task_tokens)
        ]
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": {s: i for i, s in enumerate(self.byte_symbols)},
                "merges": [],
            },
        }


# ----------------------------------------------------------------------------
# Model


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def rope_tables(T, head_dim, theta):
    inv = theta ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    ang = torch.cat([ang, ang], dim=-1)  # rotate_half layout
    return ang.cos(), ang.sin()


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat([-x[..., h:], x[..., :h]], dim=-1)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.h = heads
        self.hd = d // heads
        self.q_proj = nn.Linear(d, d, bias=False)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d, bias=False)
        self.o_proj = nn.Linear(d, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        q = self.q_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, T, self.h, self.hd).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        att = (q @ k.transpose(-1, -2)) / math.sqrt(self.hd)
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, D)
        return self.o_proj(y)


class MLP(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.gate_proj = nn.Linear(d, ff, bias=False)
        self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, d, heads, ff):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, heads)
        self.input_layernorm_2 = RMSNorm(d)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = MLP(d, ff)
        self.post_attention_layernorm_2 = RMSNorm(d)

    def forward(self, x, cos, sin, mask):
        x = x + self.input_layernorm_2(self.self_attn(self.input_layernorm(x), cos, sin, mask))
        x = x + self.post_attention_layernorm_2(self.mlp(self.post_attention_layernorm(x)))
        return x


class Inner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg["hidden_size"]
        self.embed_tokens = nn.Embedding(cfg["vocab_size"], d)
        self.layers = nn.ModuleList([Layer(d, cfg["num_attention_heads"], cfg["intermediate_size"]) for _ in range(cfg["num_hidden_layers"])])
        self.norm = RMSNorm(d)
        self.early_exit_gate = nn.Linear(d, 1, bias=True)


class OuroMicro(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        self.lm_head = nn.Linear(cfg["hidden_size"], cfg["vocab_size"], bias=False)
        # Lesson 3 of the pilot: with sandwich norm, N(0, 1) embeddings.
        nn.init.normal_(self.model.embed_tokens.weight, 0.0, 1.0)
        for n, p in self.named_parameters():
            if p.dim() == 2 and "embed_tokens" not in n:
                nn.init.normal_(p, 0.0, 0.02)
        # Exit-gate bias at initialisation: 0 gives lambda = 0.5 at every
        # step, i.e. p(t) = (1/2, 1/4, 1/8, 1/8) for four steps, so Stage I
        # trains mostly the FIRST step's output; a negative bias puts most
        # of p(t|x) on the last step from the start (see README).
        nn.init.constant_(self.model.early_exit_gate.bias, cfg.get("gate_bias_init", 0.0))
        self._rope = {}

    def rope(self, T):
        if T not in self._rope:
            hd = self.cfg["hidden_size"] // self.cfg["num_attention_heads"]
            self._rope[T] = rope_tables(T, hd, self.cfg["rope_theta"])
        return self._rope[T]

    def forward(self, ids, R, positions=None):
        """Returns (logits [R, B, P, V], gate logits [R, B, P]) at the given
        positions (a LongTensor of sequence indices; all when None)."""
        B, T = ids.shape
        cos, sin = self.rope(T)
        mask = torch.ones(T, T, dtype=torch.bool).triu(1)
        x = self.model.embed_tokens(ids)
        logits, gates = [], []
        for _ in range(R):
            for layer in self.model.layers:
                x = layer(x, cos, sin, mask)
            x = self.model.norm(x)
            h = x if positions is None else x[:, positions]
            logits.append(self.lm_head(h))
            gates.append(self.model.early_exit_gate(h).squeeze(-1))
        return torch.stack(logits), torch.stack(gates)


def exit_distribution(gate_logits):
    """p(t|x) from gate logits [R, ...] (ouro-model.md §4.1): the last step
    takes the remaining survival mass; its own gate is ignored."""
    R = gate_logits.shape[0]
    lam = torch.sigmoid(gate_logits)
    ps = []
    surv = torch.ones_like(lam[0])
    for t in range(R):
        if t == R - 1:
            ps.append(surv)
        else:
            ps.append(lam[t] * surv)
            surv = surv * (1 - lam[t])
    return torch.stack(ps)


def param_count(model):
    return sum(p.numel() for p in model.parameters())


# ----------------------------------------------------------------------------
# Data: JSONL documents from the Go generator


def load_docs(path, vocab, max_docs=None):
    """Reads `tokens`, `targets`, `query_hops` of each JSONL doc into arrays:
    X [n, T] token ids, Y [n, Q] answer ids, H [n, Q] hops; the queries are
    the last Q positions of every sequence."""
    xs, ys, hs = [], [], []
    with open(path) as f:
        for ln, line in enumerate(f, 1):
            if max_docs is not None and len(xs) >= max_docs:
                break
            try:
                d = json.loads(line)
                xs.append([vocab.id(t) for t in d["tokens"]])
                ys.append([vocab.id(t) for t in d["targets"]])
                hs.append(d["query_hops"])
            except (KeyError, ValueError) as e:
                raise ValueError("%s:%d: bad document: %s" % (path, ln, e)) from None
    X = np.array(xs, dtype=np.int64)
    Y = np.array(ys, dtype=np.int64)
    H = np.array(hs, dtype=np.int64)
    if X.ndim != 2 or Y.shape != H.shape:
        raise ValueError("%s: documents of unequal length" % path)
    return X, Y, H


# ----------------------------------------------------------------------------
# Training


def stage1_loss(logits, gates, y, beta):
    """logits [R,B,Q,V], gates [R,B,Q], y [B,Q]."""
    R = logits.shape[0]
    ce = torch.stack([F.cross_entropy(logits[t].reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="none") for t in range(R)])
    if R == 1:
        return ce[0].mean(), ce.detach().mean(1)
    p = exit_distribution(gates.reshape(R, -1))
    ent = -(p * torch.log(p.clamp_min(1e-12))).sum(0)
    loss = ((p * ce).sum(0) - beta * ent).mean()
    return loss, ce.detach().mean(1)


def lr_at(step, total, peak, warmup):
    if step < warmup:
        return peak * (step + 1) / warmup
    prog = (step - warmup) / max(1, total - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, prog))))


def train_stage1(model, X, Y, R, steps, batch, lr, seed, log, eval_fn=None, eval_every=0, warmup=100, beta=0.05, beta_warm=0.1, wd=0.1):
    g = torch.Generator().manual_seed(seed)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and "embed_tokens" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and "embed_tokens" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": other, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.95))
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    Q = Y.shape[1]
    T = X.shape[1]
    qpos = torch.arange(T - Q, T)
    n = X.shape[0]
    perm = torch.randperm(n, generator=g)
    cur = 0
    t0 = time.time()
    for step in range(steps):
        if cur + batch > n:
            perm = torch.randperm(n, generator=g)
            cur = 0
        idx = perm[cur:cur + batch]
        cur += batch
        for grp in opt.param_groups:
            grp["lr"] = lr_at(step, steps, lr, warmup)
        b = beta_warm if step < warmup else beta
        logits, gates = model(Xt[idx], R, qpos)
        loss, per_step = stage1_loss(logits, gates, Yt[idx], b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log({"stage": 1, "step": step, "loss": round(loss.item(), 5), "ce_by_step": [round(v, 4) for v in per_step.tolist()],
                 "lr": round(lr_at(step, steps, lr, warmup), 7), "elapsed_s": round(time.time() - t0, 1)})
        if eval_fn is not None and eval_every and (step + 1) % eval_every == 0 and step + 1 < steps:
            eval_fn(step + 1)


def stage2_targets(ce, k=50.0, gamma=0.005):
    """ce [R, M] detached per-token losses -> continue labels w [R-1, M]:
    w[t-1] = sigmoid(k * (max(0, L_{t-1} - L_t) - gamma)) for t = 2..R."""
    imp = (ce[:-1] - ce[1:]).clamp_min(0)
    return torch.sigmoid(k * (imp - gamma))


def train_stage2(model, X, Y, R, steps, batch, lr, seed, log, k=50.0, gamma=0.005):
    """Gate-only training on the frozen LM (paper §3.4). The label w^(t) says
    whether step t improved on step t-1; it trains the exit probability of
    the decision taken after step t-1 (lambda_{t-1}), so lambda_1..lambda_{R-1}
    are trained and the ignored last gate is not (see README)."""
    for p in model.parameters():
        p.requires_grad_(False)
    gate = model.model.early_exit_gate
    for p in gate.parameters():
        p.requires_grad_(True)
    opt = torch.optim.AdamW(gate.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    g = torch.Generator().manual_seed(seed + 1)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)
    Q = Y.shape[1]
    T = X.shape[1]
    qpos = torch.arange(T - Q, T)
    t0 = time.time()
    for step in range(steps):
        idx = torch.randint(0, X.shape[0], (batch,), generator=g)
        with torch.no_grad():
            # The LM is frozen: run it once without the graph, then the gate.
            logits, _, hs = forward_hidden(model, Xt[idx], R, qpos)
            y = Yt[idx].reshape(-1)
            ce = torch.stack([F.cross_entropy(logits[t].reshape(-1, logits.shape[-1]), y, reduction="none") for t in range(R)])
            w = stage2_targets(ce, k, gamma)
        lam = torch.sigmoid(gate(hs[:-1]).squeeze(-1)).reshape(R - 1, -1).clamp(1e-6, 1 - 1e-6)
        loss = -(w * torch.log(1 - lam) + (1 - w) * torch.log(lam)).mean(1).sum() / R
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log({"stage": 2, "step": step, "loss": round(loss.item(), 5), "mean_continue_label": [round(v, 3) for v in w.mean(1).tolist()],
                 "mean_exit_prob": [round(v, 3) for v in lam.mean(1).tolist()], "elapsed_s": round(time.time() - t0, 1)})
    for p in model.parameters():
        p.requires_grad_(True)


def forward_hidden(model, ids, R, positions):
    """Like forward, also returning the per-step normed hidden states [R,B,P,D]."""
    B, T = ids.shape
    cos, sin = model.rope(T)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    x = model.model.embed_tokens(ids)
    logits, gates, hs = [], [], []
    for _ in range(R):
        for layer in model.model.layers:
            x = layer(x, cos, sin, mask)
        x = model.model.norm(x)
        h = x[:, positions]
        hs.append(h)
        logits.append(model.lm_head(h))
        gates.append(model.model.early_exit_gate(h).squeeze(-1))
    return torch.stack(logits), torch.stack(gates), torch.stack(hs)


# ----------------------------------------------------------------------------
# Evaluation (PyTorch side; the reported numbers come from ouroeval itself)


@torch.no_grad()
def evaluate(model, X, Y, H, Rs, qs=(), batch=500, last_only=False):
    """Accuracy by hop count at each fixed depth R and with the Q-exit rule
    at threshold q (run to max(Rs) steps, exit at the first step whose exit
    CDF reaches q). Returns a dict of results."""
    Rmax = max(Rs)
    Q = Y.shape[1]
    T = X.shape[1]
    qpos = torch.arange(T - Q, T)
    K = int(H.max())
    correct = {R: np.zeros(K + 1) for R in Rs}
    qc = {q: np.zeros(K + 1) for q in qs}
    qsteps = {q: np.zeros(K + 1) for q in qs}
    count = np.zeros(K + 1)
    for s in range(0, X.shape[0], batch):
        xb = torch.from_numpy(X[s:s + batch])
        yb = Y[s:s + batch]
        hb = H[s:s + batch]
        if last_only:
            yb, hb = yb[:, -1:], hb[:, -1:]
        logits, gates = model(xb, Rmax, qpos[-1:] if last_only else qpos)
        pred = logits.argmax(-1).numpy()  # [R, B, P]
        for k in range(1, K + 1):
            m = hb == k
            count[k] += m.sum()
            for R in Rs:
                correct[R][k] += ((pred[R - 1] == yb) & m).sum()
        if qs:
            p = exit_distribution(gates).numpy()
            cdf = np.cumsum(p, 0)
            for q in qs:
                ex = np.argmax(cdf >= q - 1e-7, axis=0)  # first step reaching q
                ex = np.where((cdf >= q - 1e-7).any(0), ex, Rmax - 1)
                pq = np.take_along_axis(pred, ex[None], 0)[0]
                for k in range(1, K + 1):
                    m = hb == k
                    qc[q][k] += ((pq == yb) & m).sum()
                    qsteps[q][k] += ((ex + 1) * m).sum()
    out = {"n_by_hops": {k: int(count[k]) for k in range(1, K + 1)}}
    out["acc"] = {R: {k: round(correct[R][k] / count[k], 4) for k in range(1, K + 1)} for R in Rs}
    out["q_exit"] = {q: {"acc": {k: round(qc[q][k] / count[k], 4) for k in range(1, K + 1)},
                         "mean_steps": {k: round(qsteps[q][k] / count[k], 3) for k in range(1, K + 1)}} for q in qs}
    return out


# ----------------------------------------------------------------------------
# Export: Hugging Face checkpoint files


def write_safetensors(path, tensors, metadata=None):
    """tensors: dict name -> torch.Tensor (f32 or bf16). Writes the format
    by hand: u64 LE header length, JSON header padded with spaces to a
    multiple of 8, then the data, tensors in name order."""
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        if t.dtype == torch.float32:
            dt, raw = "F32", t.numpy().astype("<f4").tobytes()
        elif t.dtype == torch.bfloat16:
            dt, raw = "BF16", t.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raise ValueError("unsupported dtype %s for %s" % (t.dtype, name))
        header[name] = {"dtype": dt, "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    hj = json.dumps(header, separators=(",", ":")).encode()
    hj += b" " * ((8 - len(hj) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hj)))
        f.write(hj)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        if h["dtype"] == "F32":
            arr = np.frombuffer(data[a:b], dtype="<f4").copy()
            out[name] = torch.from_numpy(arr).view(h["shape"])
        elif h["dtype"] == "BF16":
            arr = np.frombuffer(data[a:b], dtype="<i2").copy()
            out[name] = torch.from_numpy(arr).view(torch.bfloat16).view(h["shape"]).float()
        else:
            raise ValueError("%s: unsupported dtype %s for %s" % (path, h["dtype"], name))
    return out


def make_config(d, heads, ff, layers, R, vocab_size, bos_id, rope_theta, max_pos):
    return {
        "architectures": ["OuroForCausalLM"],
        "model_type": "ouro",
        "attention_dropout": 0.0,
        "bos_token_id": bos_id,
        "eos_token_id": bos_id,
        "pad_token_id": bos_id,
        "head_dim": d // heads,
        "hidden_act": "silu",
        "hidden_size": d,
        "initializer_range": 0.02,
        "intermediate_size": ff,
        "layer_types": ["full_attention"] * layers,
        "max_position_embeddings": max_pos,
        "max_window_layers": layers,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "num_key_value_heads": heads,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": rope_theta,
        "sliding_window": None,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "total_ut_steps": R,
        "early_exit_threshold": 1.0,
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": vocab_size,
    }


def export(model, vocab, outdir, extra_meta=None):
    os.makedirs(outdir, exist_ok=True)
    cfg = model.cfg
    config = make_config(cfg["hidden_size"], cfg["num_attention_heads"], cfg["intermediate_size"], cfg["num_hidden_layers"],
                         cfg["total_ut_steps"], cfg["vocab_size"], vocab.id("<bos>"), cfg["rope_theta"], cfg["max_position_embeddings"])
    with open(os.path.join(outdir, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    write_safetensors(os.path.join(outdir, "model.safetensors"), dict(model.state_dict()), {"format": "pt", **(extra_meta or {})})
    with open(os.path.join(outdir, "tokenizer.json"), "w") as f:
        json.dump(vocab.tokenizer_json(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    with open(os.path.join(outdir, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<bos>", "eos_token": "<bos>", "pad_token": "<bos>",
                   "unk_token": None, "add_bos_token": False, "add_eos_token": False, "add_prefix_space": False,
                   "clean_up_tokenization_spaces": False, "model_max_length": cfg["max_position_embeddings"]}, f, indent=2)
        f.write("\n")
    with open(os.path.join(outdir, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": vocab.id("<bos>"), "eos_token_id": vocab.id("<bos>"), "pad_token_id": vocab.id("<bos>"),
                   "do_sample": False, "max_new_tokens": 1}, f, indent=2)
        f.write("\n")


def load(outdir):
    with open(os.path.join(outdir, "config.json")) as f:
        c = json.load(f)
    cfg = {k: c[k] for k in ("hidden_size", "num_attention_heads", "intermediate_size", "num_hidden_layers", "total_ut_steps",
                             "vocab_size", "rope_theta", "max_position_embeddings")}
    m = OuroMicro(cfg)
    m.load_state_dict(read_safetensors(os.path.join(outdir, "model.safetensors")))
    return m
