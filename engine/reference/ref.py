"""Independent PyTorch reference of the forward pass of Ouro, Llama, Qwen2 and Qwen3, written to
compute exactly what Hugging Face transformers computes (eager attention).

Sources of truth: ../shared/design/ouro-model.md (§1.1 Ouro order of operations, §3 tensor names,
§3.2 llama3 RoPE scaling, §3.3 Qwen2 biases, §3.4 Qwen3 q/k norm, §4 exit gate, §5 KV cache) and
transformers' modeling_llama.py / modeling_qwen2.py / modeling_qwen3.py / modeling_rope_utils.py
and the Ouro remote code modeling_ouro.py.

Activation dtypes:

* ``act=torch.float32``: every weight is widened to float32 (exact for bf16) and every activation
  is float32. This is what transformers computes when a checkpoint is loaded with
  ``torch_dtype=torch.float32`` (its historical default) and what the Go engine computes (bf16
  weights, f32 activations). The goldens are this graph evaluated with ``act=torch.float64``
  (see the end of this docstring).
* ``act=torch.bfloat16`` ("hf_bf16"): what transformers computes with ``torch_dtype=bfloat16``.
  The casting points, in order, are (HF code → here):
    - embedding lookup returns bf16 rows;
    - RMSNorm: x.to(f32), variance and rsqrt in f32, result .to(bf16), then ``weight * x`` in bf16;
    - every nn.Linear runs in bf16 (bf16 output; bias added in bf16);
    - RoPE inv_freq, the angle product and cos/sin in f32, then cos/sin .to(bf16); q·cos +
      rotate_half(q)·sin evaluated in bf16 (each op rounds);
    - qwen3 q_norm/k_norm are RMSNorms (same casting as above);
    - attention scores q·kᵀ in bf16, times the scale in bf16, plus the mask; softmax computed in
      f32 (``dtype=torch.float32``) then .to(bf16); probs·V in bf16;
    - residual adds, SiLU and the SwiGLU product in bf16;
    - Ouro: early_exit_gate Linear, sigmoid, the survival product and the pdf all in bf16;
    - the LM head produces bf16 logits; log-softmax here is taken on logits.float() (as the
      generation utilities do), so the only bf16 effect on log-probs is the rounded logits.

``bf16_matmul_inputs=True`` (with act=float32) rounds the input of every Linear with a bf16 weight
matrix (all but the exit gate) to bf16 before the product: it models an AVX-512 ``VDPBF16PS``
kernel that takes both operands as bf16 and accumulates in f32. Its outputs are stored as the
"kernel_sim" block of BF16 goldens and size the tolerance discussion in README.md.

``act=torch.float64`` evaluates the float32 graph in float64 (the golden "compute": "f64"): the
upcasts HF writes as ``.to(torch.float32)`` (RMSNorm, attention softmax, final log-softmax) become
float64, while RoPE inv_freq and cos/sin stay exactly HF's float32 tables.
"""

import json
import math
import os

import torch
import torch.nn.functional as F

from safetensors_io import read as read_safetensors

SUPPORTED = ("ouro", "llama", "qwen2", "qwen3")


def load_checkpoint(path):
    """config dict and name -> tensor dict (original dtypes) of a HF checkpoint directory."""
    with open(os.path.join(path, "config.json")) as f:
        cfg = json.load(f)
    idx = os.path.join(path, "model.safetensors.index.json")
    tensors = {}
    if os.path.exists(idx):
        with open(idx) as f:
            wm = json.load(f)["weight_map"]
        for shard in sorted(set(wm.values())):
            part = read_safetensors(os.path.join(path, shard))
            for k, v in part.items():
                if wm.get(k) != shard:
                    raise ValueError(f"{shard}: tensor {k} not mapped to this shard in the index")
                tensors[k] = v
        missing = set(wm) - set(tensors)
        if missing:
            raise ValueError(f"index names tensors that no shard holds: {sorted(missing)}")
    else:
        tensors = read_safetensors(os.path.join(path, "model.safetensors"))
    return cfg, tensors


def rope_inv_freq(cfg, head_dim):
    """inv_freq exactly as transformers' _compute_default_rope_parameters / _compute_llama3_parameters
    (float32 throughout)."""
    base = float(cfg.get("rope_theta", 10000.0))
    dim = head_dim
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=torch.int64).to(dtype=torch.float) / dim))
    rs = cfg.get("rope_scaling")
    rtype = None
    if isinstance(rs, dict):
        rtype = rs.get("rope_type", rs.get("type"))
    if rtype in (None, "default"):
        return inv_freq
    if rtype != "llama3":
        raise ValueError(f"rope_scaling type {rtype!r} not implemented in the reference")
    factor = rs["factor"]
    low = rs["low_freq_factor"]
    high = rs["high_freq_factor"]
    old = rs["original_max_position_embeddings"]
    low_wl = old / low
    high_wl = old / high
    wavelen = 2 * math.pi / inv_freq
    f = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * f / factor + smooth * f
    medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
    return torch.where(medium, smoothed, f)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Cache:
    """KV cache: one (K, V) slot per (recurrent step, layer), slot index t*L + l (HF
    UniversalTransformerCache); dense models use slots 0..L-1."""

    def __init__(self):
        self.k = {}
        self.v = {}

    def length(self):
        return 0 if 0 not in self.k else self.k[0].shape[1]

    def update(self, slot, k, v):
        if slot in self.k:
            self.k[slot] = torch.cat([self.k[slot], k], dim=1)
            self.v[slot] = torch.cat([self.v[slot], v], dim=1)
        else:
            self.k[slot], self.v[slot] = k, v
        return self.k[slot], self.v[slot]


class Model:
    def __init__(self, cfg, tensors, act=torch.float32, bf16_matmul_inputs=False):
        mt = cfg.get("model_type")
        if mt not in SUPPORTED:
            raise ValueError(f"model_type {mt!r}; supported: {', '.join(SUPPORTED)}")
        self.cfg = cfg
        self.arch = mt
        self.act = act
        # HF upcasts to float32 inside RMSNorm and the attention softmax; a float64 evaluation keeps
        # float64 there instead of downcasting.
        self.hi = torch.float64 if act == torch.float64 else torch.float32
        self.bf16_in = bf16_matmul_inputs
        self.H = cfg["hidden_size"]
        self.nh = cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads") or self.nh
        self.hd = cfg.get("head_dim") or self.H // self.nh
        self.L = cfg["num_hidden_layers"]
        self.eps = cfg["rms_norm_eps"]
        self.looped = mt == "ouro"
        self.T = cfg.get("total_ut_steps", 4) if self.looped else 1
        self.w = {k: v.to(act) for k, v in tensors.items()}
        if "lm_head.weight" not in self.w:
            if not cfg.get("tie_word_embeddings", False):
                raise ValueError("lm_head.weight missing and tie_word_embeddings is false")
            self.w["lm_head.weight"] = self.w["model.embed_tokens.weight"]
        self.inv_freq = rope_inv_freq(cfg, self.hd)

    # --- primitives (HF semantics) ---
    def linear(self, x, name, bias=False):
        # The exit gate is a single dot product; a VDPBF16PS engine keeps it in f32 (the Go engine
        # widens the gate weights to f32), so it is not rounded here.
        if self.bf16_in and not name.startswith("model.early_exit_gate"):
            x = x.to(torch.bfloat16).to(self.act)
        b = self.w[name[: -len("weight")] + "bias"] if bias else None
        return F.linear(x, self.w[name], b)

    def rmsnorm(self, x, name):
        dt = x.dtype
        xf = x.to(self.hi)
        var = xf.pow(2).mean(-1, keepdim=True)
        xf = xf * torch.rsqrt(var + self.eps)
        return self.w[name] * xf.to(dt)

    def rope(self, positions):
        freqs = positions.to(torch.float32)[:, None] * self.inv_freq[None, :].float()
        # HF: (inv_freq[None,:,None] @ position_ids[:,None,:]).transpose — an outer product, the
        # same float32 products as the broadcast above.
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(self.act), emb.sin().to(self.act)

    def attention(self, x, p, slot, cos, sin, cache, pos0):
        n = x.shape[0]
        bias = self.arch == "qwen2" or (self.arch == "llama" and self.cfg.get("attention_bias", False))
        q = self.linear(x, p + "self_attn.q_proj.weight", bias).view(n, self.nh, self.hd)
        k = self.linear(x, p + "self_attn.k_proj.weight", bias).view(n, self.nkv, self.hd)
        v = self.linear(x, p + "self_attn.v_proj.weight", bias).view(n, self.nkv, self.hd)
        if self.arch == "qwen3":
            q = self.rmsnorm(q, p + "self_attn.q_norm.weight")
            k = self.rmsnorm(k, p + "self_attn.k_norm.weight")
        q, k, v = q.transpose(0, 1), k.transpose(0, 1), v.transpose(0, 1)  # [heads, n, hd]
        c, s = cos[None], sin[None]
        q = (q * c) + (rotate_half(q) * s)
        k = (k * c) + (rotate_half(k) * s)
        k, v = cache.update(slot, k, v)
        S = k.shape[1]
        rep = self.nh // self.nkv
        k = k.repeat_interleave(rep, dim=0)
        v = v.repeat_interleave(rep, dim=0)
        scores = torch.matmul(q, k.transpose(1, 2)) * (self.hd ** -0.5)
        qpos = torch.arange(pos0, pos0 + n)[:, None]
        kpos = torch.arange(S)[None, :]
        mask = torch.zeros(n, S, dtype=self.act)
        mask = mask.masked_fill(kpos > qpos, torch.finfo(self.act).min)
        scores = scores + mask[None]
        probs = F.softmax(scores, dim=-1, dtype=self.hi).to(self.act)
        out = torch.matmul(probs, v).transpose(0, 1).reshape(n, self.nh * self.hd)
        o_bias = self.arch == "llama" and self.cfg.get("attention_bias", False)
        return self.linear(out, p + "self_attn.o_proj.weight", o_bias)

    def mlp(self, x, p):
        mb = self.arch == "llama" and self.cfg.get("mlp_bias", False)
        g = self.linear(x, p + "mlp.gate_proj.weight", mb)
        u = self.linear(x, p + "mlp.up_proj.weight", mb)
        return self.linear(F.silu(g) * u, p + "mlp.down_proj.weight", mb)

    def layer(self, x, l, slot, cos, sin, cache, pos0):
        p = f"model.layers.{l}."
        if self.looped:
            a = self.rmsnorm(x, p + "input_layernorm.weight")
            a = self.attention(a, p, slot, cos, sin, cache, pos0)
            a = self.rmsnorm(a, p + "input_layernorm_2.weight")
            x = x + a
            m = self.rmsnorm(x, p + "post_attention_layernorm.weight")
            m = self.mlp(m, p)
            m = self.rmsnorm(m, p + "post_attention_layernorm_2.weight")
            return x + m
        a = self.rmsnorm(x, p + "input_layernorm.weight")
        x = x + self.attention(a, p, slot, cos, sin, cache, pos0)
        m = self.rmsnorm(x, p + "post_attention_layernorm.weight")
        return x + self.mlp(m, p)

    # --- model ---
    def forward(self, ids, cache, R=None):
        """Run new tokens `ids` (positions cache.length() ..) through the model, appending to cache.
        Returns the list of normed hidden states h_1..h_R ([n, hidden] each); dense models: [h]."""
        R = (R or self.T) if self.looped else 1
        pos0 = cache.length()
        x = self.w["model.embed_tokens.weight"][torch.tensor(ids, dtype=torch.long)]
        cos, sin = self.rope(torch.arange(pos0, pos0 + len(ids)))
        states = []
        for t in range(R):
            for l in range(self.L):
                x = self.layer(x, l, t * self.L + l, cos, sin, cache, pos0)
            x = self.rmsnorm(x, "model.norm.weight")
            states.append(x)
        return states

    def logprobs(self, h):
        """log-softmax over the vocabulary of the LM head on h (float32, or float64 for act=float64)."""
        logits = self.linear(h, "lm_head.weight")
        return torch.log_softmax(logits.to(self.hi), dim=-1)

    def gate(self, h):
        """λ = sigmoid(early_exit_gate(h)) per position, in the activation dtype."""
        g = self.linear(h, "model.early_exit_gate.weight", bias=True).squeeze(-1)
        return torch.sigmoid(g)


def exit_pdf(lambdas):
    """HF OuroForCausalLM exit distribution from per-step λ tensors ([n] each), in their dtype:
    p_t = λ_t·remaining for t < R, remaining mass at R."""
    R = len(lambdas)
    remaining = torch.ones_like(lambdas[0])
    pdf = []
    for i, lam in enumerate(lambdas):
        if i < R - 1:
            pdf.append(lam * remaining)
            remaining = remaining * (1.0 - lam)
        else:
            pdf.append(remaining)
    return torch.stack(pdf, dim=-1)
