#!/usr/bin/python3
"""Write the tiny random checkpoints and golden outputs under engine/testdata/golden/.

Run from anywhere:  /usr/bin/python3 engine/reference/make_golden.py
Deterministic: numpy PCG64 streams with fixed seeds, single-threaded torch, fixed JSON formatting;
re-running gives byte-identical files. The real-vocabulary Ouro checkpoint's prompts are tokenized
with ../shared/data/tokenizers/ouro-1.4B/tokenizer.json (read in place, never copied).
See FORMAT.md (output schema) and README.md (coverage, tolerances).
"""

import json
import os
import shutil
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bpe  # noqa: E402
import ref  # noqa: E402
import safetensors_io  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "engine", "testdata", "golden")
OURO_TOK = os.path.join(os.path.dirname(REPO), "shared", "data", "tokenizers", "ouro-1.4B", "tokenizer.json")

GREEDY_TOKENS = 20
LONG = 150  # "long" prompt: more rows than the AVX-512 GEMM's 96-row block; next-token log-probs only
NEXT_ONLY = {"long"}
Q_VALUES = (0.5, 0.9)  # exit thresholds for the Q-exit log-likelihood goldens
MIN_MARGIN = 1e-2  # greedy choices closer than this are cut off (never happens with these seeds)
TOP_K = 20

# Text for the synthetic tokenizers' BPE training and the small-vocab text prompt.
TRAIN_TEXT = (
    "The quick brown fox jumps over the lazy dog. A looped language model applies the same stack of "
    "layers again and again, and a small gate decides when the thinking is done. "
    "Llamas, quokkas and owls sat together; they counted 12 apples, 345 pears and 6789 plums. "
    "def step(x):\n    return norm(x + attn(x))\n\nwhile not done:\n    x = step(x)\n"
    "Is it the same? It is the same, the same, the same. She said: \"we'll see what they've done.\" "
) * 3
SMALL_TEXT = "The quick fox counted 12 apples, and the gate said: done."

OURO_TEXTS = [
    ("chat", "<|im_start|>user\nHello world 12345<|im_end|>"),
    ("capital", "The capital of France is Paris. The capital of Italy is"),
    ("code", "def add(a, b):\n    return a + b\n"),
]
OURO_LL = [("The capital of France is", " Paris."), ("2 + 2 =", " 4"), ("Hello", " world")]


def ouro_config(hidden, inter, heads, kv, head_dim, layers, vocab, dtype, max_pos):
    """Field set of ../shared/data/tokenizers/ouro-1.4B/config.json with tiny sizes."""
    return {
        "architectures": ["OuroForCausalLM"],
        "attention_dropout": 0.0,
        "auto_map": {
            "AutoConfig": "configuration_ouro.OuroConfig",
            "AutoModel": "modeling_ouro.OuroModel",
            "AutoModelForCausalLM": "modeling_ouro.OuroForCausalLM",
        },
        "pad_token_id": 0,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "head_dim": head_dim,
        "hidden_act": "silu",
        "hidden_size": hidden,
        "initializer_range": 0.02,
        "intermediate_size": inter,
        "layer_types": ["full_attention"] * layers,
        "max_position_embeddings": max_pos,
        "max_window_layers": layers,
        "model_type": "ouro",
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "num_key_value_heads": kv,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": None,
        "tie_word_embeddings": False,
        "torch_dtype": dtype,
        "total_ut_steps": 4,
        "early_exit_threshold": 1.0,
        "transformers_version": "4.55.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": vocab,
    }


def llama_config(dtype):
    """Llama 3.1 field set: GQA 4/2, llama3 rope scaling chosen so that, with head_dim 8 and theta
    5e5 (wavelengths 6.3, 167, 4.4e3, 1.2e5), the high band (unchanged), the smooth band and the low
    band (divided by factor) all occur: w_high = 256/4 = 64, w_low = 256/1."""
    return {
        "architectures": ["LlamaForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "head_dim": 8,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": 1024,
        "mlp_bias": False,
        "model_type": "llama",
        "num_attention_heads": 4,
        "num_hidden_layers": 3,
        "num_key_value_heads": 2,
        "pretraining_tp": 1,
        "rms_norm_eps": 1e-05,
        "rope_scaling": {
            "factor": 8.0,
            "high_freq_factor": 4.0,
            "low_freq_factor": 1.0,
            "original_max_position_embeddings": 256,
            "rope_type": "llama3",
        },
        "rope_theta": 500000.0,
        "tie_word_embeddings": False,
        "torch_dtype": dtype,
        "transformers_version": "4.55.0",
        "use_cache": True,
        "vocab_size": 512,
    }


def qwen2_config(dtype):
    """Qwen2.5 field set (no head_dim field: 32/4 = 8), tied embeddings, GQA 4/2."""
    return {
        "architectures": ["Qwen2ForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": 1024,
        "max_window_layers": 2,
        "model_type": "qwen2",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000.0,
        "sliding_window": 1024,
        "tie_word_embeddings": True,
        "torch_dtype": dtype,
        "transformers_version": "4.55.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": 512,
    }


def qwen3_config(dtype):
    """Qwen3 field set: explicit head_dim 16 != 32/4, q/k norm, GQA 4/2, tied embeddings."""
    return {
        "architectures": ["Qwen3ForCausalLM"],
        "attention_bias": False,
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "eos_token_id": 0,
        "head_dim": 16,
        "hidden_act": "silu",
        "hidden_size": 32,
        "initializer_range": 0.02,
        "intermediate_size": 64,
        "max_position_embeddings": 1024,
        "max_window_layers": 2,
        "model_type": "qwen3",
        "num_attention_heads": 4,
        "num_hidden_layers": 2,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-06,
        "rope_scaling": None,
        "rope_theta": 1000000,
        "sliding_window": None,
        "tie_word_embeddings": True,
        "torch_dtype": dtype,
        "transformers_version": "4.55.0",
        "use_cache": True,
        "use_sliding_window": False,
        "vocab_size": 512,
    }


def make_weights(cfg, seed):
    """Random float32 weights with meaningful scales (see README): linear weights N(0, gain²/fan_in)
    (gain 1.5 for q/k, 4 for the LM head so logits have std ≈ 4 and greedy choices are not near-ties),
    norm weights 1 + N(0, 0.1²), embeddings N(0, 1) (N(0, 0.7²) when tied, so the tied head also
    gives logits of std ≈ 4), q/k/v biases N(0, 0.3²), exit gate N(0, 1/fan_in) with bias ≈ -0.3."""
    rng = np.random.Generator(np.random.PCG64(seed))
    arch = cfg["model_type"]
    H, V, L, I = cfg["hidden_size"], cfg["vocab_size"], cfg["num_hidden_layers"], cfg["intermediate_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    tied = cfg.get("tie_word_embeddings", False)
    w = {}

    def lin(name, out, inp, gain):
        w[name] = (rng.standard_normal((out, inp)) * (gain / np.sqrt(inp))).astype(np.float32)

    def norm(name, n):
        w[name] = (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    def vec(name, n, std, mean=0.0):
        w[name] = (mean + std * rng.standard_normal(n)).astype(np.float32)

    w["model.embed_tokens.weight"] = (rng.standard_normal((V, H)) * (0.7 if tied else 1.0)).astype(np.float32)
    for l in range(L):
        p = f"model.layers.{l}."
        norm(p + "input_layernorm.weight", H)
        lin(p + "self_attn.q_proj.weight", nh * hd, H, 1.5)
        lin(p + "self_attn.k_proj.weight", nkv * hd, H, 1.5)
        lin(p + "self_attn.v_proj.weight", nkv * hd, H, 1.0)
        lin(p + "self_attn.o_proj.weight", H, nh * hd, 1.0)
        if arch == "qwen2":
            vec(p + "self_attn.q_proj.bias", nh * hd, 0.3)
            vec(p + "self_attn.k_proj.bias", nkv * hd, 0.3)
            vec(p + "self_attn.v_proj.bias", nkv * hd, 0.3)
        if arch == "qwen3":
            norm(p + "self_attn.q_norm.weight", hd)
            norm(p + "self_attn.k_norm.weight", hd)
        norm(p + "post_attention_layernorm.weight", H)
        lin(p + "mlp.gate_proj.weight", I, H, 1.0)
        lin(p + "mlp.up_proj.weight", I, H, 1.0)
        lin(p + "mlp.down_proj.weight", H, I, 1.0)
        if arch == "ouro":
            norm(p + "input_layernorm_2.weight", H)
            norm(p + "post_attention_layernorm_2.weight", H)
    norm("model.norm.weight", H)
    if arch == "ouro":
        lin("model.early_exit_gate.weight", 1, H, 1.0)
        vec("model.early_exit_gate.bias", 1, 0.1, mean=-0.3)
    if not tied:
        lin("lm_head.weight", V, H, 4.0)
    return {k: torch.from_numpy(v) for k, v in w.items()}


def write_tokenizer(d, vocab, merges):
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tj = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, s in enumerate(specials)
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
            "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
            "vocab": vocab,
            "merges": [a + " " + b for a, b in merges],
        },
    }
    with open(os.path.join(d, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    tc = {
        "add_prefix_space": False,
        "bos_token": "<|endoftext|>",
        "eos_token": "<|endoftext|>",
        "unk_token": "<|endoftext|>",
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1024,
        "tokenizer_class": "GPT2Tokenizer",
        "chat_template": (
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
            " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
        ),
    }
    write_json(os.path.join(d, "tokenizer_config.json"), tc, indent=2)


def write_json(path, obj, indent=None):
    with open(path, "w", encoding="utf-8") as f:
        if indent:
            json.dump(obj, f, indent=indent)
        else:
            json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


def write_checkpoint(d, cfg, weights, dtype, shards):
    os.makedirs(d)
    write_json(os.path.join(d, "config.json"), cfg, indent=2)
    write_json(os.path.join(d, "generation_config.json"),
               {"bos_token_id": 0, "eos_token_id": [0, 2] if cfg["model_type"] == "ouro" else 0,
                "transformers_version": "4.55.0"}, indent=2)
    t = {k: v.to(dtype) for k, v in weights.items()}
    meta = {"format": "pt"}
    if shards == 1:
        safetensors_io.write(os.path.join(d, "model.safetensors"), t, meta)
        return
    names = sorted(t)
    # shard 1: embeddings and the first layer; the rest in the last shard (HF fills shards in order)
    first = [n for n in names if n.startswith("model.embed_tokens") or n.startswith("model.layers.0.")]
    groups = [first, [n for n in names if n not in first]]
    wm, total = {}, 0
    for i, g in enumerate(groups):
        fn = f"model-{i + 1:05d}-of-{len(groups):05d}.safetensors"
        total += safetensors_io.write(os.path.join(d, fn), {n: t[n] for n in g}, meta)
        for n in g:
            wm[n] = fn
    write_json(os.path.join(d, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(wm.items()))}, indent=2)


# ---------------------------------------------------------------- golden computation


def r7(x):
    """float32 value printed with 7 significant digits (deterministic JSON)."""
    return float(f"{float(x):.7g}")


def trace(model, ids, R):
    cache = ref.Cache()
    states = model.forward(ids, cache, R)
    lps = [model.logprobs(h) for h in states]
    lams = [model.gate(h) for h in states] if model.looped else None
    return lps, lams


def greedy(model, ids, R, n):
    """Greedy decoding with the KV cache; returns (tokens, logprobs, margins, eos_hit)."""
    cache = ref.Cache()
    h = model.forward(ids, cache, R)[-1]
    toks, lps, margins = [], [], []
    eos = {0, 2}
    for _ in range(n):
        lp = model.logprobs(h[-1:])[0]
        top = torch.topk(lp, 2)
        tok = int(top.indices[0])
        margin = float(top.values[0] - top.values[1])
        if margin < MIN_MARGIN or tok in eos:
            return toks, lps, margins, tok in eos
        toks.append(tok)
        lps.append(float(lp[tok]))
        margins.append(margin)
        h = model.forward([tok], cache, R)[-1]
    return toks, lps, margins, False


def greedy_q(model, ids, R, q, n):
    """Greedy decoding under adaptive exit by selection (HF exit_threshold q): each token is the
    argmax of the first step whose exit CDF at the last position reaches q (else step R). Stops
    before a near-tie (top-2 gap < MIN_MARGIN), a CDF within 1e-4 of q, or an EOS id.
    Returns (tokens, steps, margins, stopped)."""
    cache = ref.Cache()
    states = model.forward(ids, cache, R)
    toks, steps, margins = [], [], []
    for _ in range(n):
        lams = [model.gate(h[-1:]) for h in states]
        cdf = torch.cumsum(ref.exit_pdf(lams), dim=-1)[0]
        step = R
        for t in range(R - 1):
            if abs(float(cdf[t]) - q) < 1e-4:
                return toks, steps, margins, "q-margin"
            if float(cdf[t]) >= q:
                step = t + 1
                break
        lp = model.logprobs(states[step - 1][-1:])[0]
        top = torch.topk(lp, 2)
        tok = int(top.indices[0])
        margin = float(top.values[0] - top.values[1])
        if margin < MIN_MARGIN:
            return toks, steps, margins, "margin"
        if tok in (0, 2):
            return toks, steps, margins, "eos"
        toks.append(tok)
        steps.append(step)
        margins.append(margin)
        states = model.forward([tok], cache, R)
    return toks, steps, margins, None


def check_cached_equals_full(model, ids, gen, gen_lps, R, name):
    """The cached decode must agree with a full recomputation of prompt + continuation."""
    if not gen:
        return 0.0
    full = ids + gen
    lp = model.logprobs(model.forward(full, ref.Cache(), R)[-1])
    worst = 0.0
    for i, tok in enumerate(gen):
        d = abs(float(lp[len(ids) - 1 + i, tok]) - gen_lps[i])
        worst = max(worst, d)
    if worst > 1e-9:
        raise SystemExit(f"{name}: cached decode differs from full recomputation by {worst}")
    return worst


def loglikelihood(model, ctx, cont, R):
    full = ctx + cont
    cache = ref.Cache()
    states = model.forward(full[:-1], cache, R)
    out = []
    for h in states:
        lp = model.logprobs(h)
        s, greedy_ok = 0.0, True
        for i, tok in enumerate(cont):
            row = lp[len(ctx) - 1 + i]
            s += float(row[tok])
            greedy_ok = greedy_ok and int(torch.argmax(row)) == tok
        out.append((s, greedy_ok))
    return out


def loglikelihood_q(model, ctx, cont, R, q):
    """Q-exit by selection, as HF's exit_threshold: token i is scored with the first step whose exit
    CDF at its position reaches q (the last step if none). Returns (steps, sum, is_greedy, margin),
    margin = min |CDF - q| over the CDF values the rule compared."""
    full = ctx + cont
    states = model.forward(full[:-1], ref.Cache(), R)
    pos = torch.arange(len(ctx) - 1, len(full) - 1)
    cdf = torch.cumsum(ref.exit_pdf([model.gate(h)[pos] for h in states]), dim=-1)
    lps = [model.logprobs(h)[pos] for h in states]
    steps, total, greedy_ok, margin = [], 0.0, True, float("inf")
    for i, tok in enumerate(cont):
        step = R
        for t in range(R - 1):
            margin = min(margin, abs(float(cdf[i, t]) - q))
            if float(cdf[i, t]) >= q:
                step = t + 1
                break
        steps.append(step)
        total += float(lps[step - 1][i, tok])
        greedy_ok = greedy_ok and int(torch.argmax(lps[step - 1][i])) == tok
    return steps, total, greedy_ok, margin


def rolling_windows(tokens, prefix, max_len):
    """lm-eval's get_rolling_token_windows(context_len=1) followed by make_disjoint_window."""
    pred_len = max_len  # max_seq_len - context_len + 1
    first = min(max_len, len(tokens))
    wins = [([prefix] + tokens[: first - 1], tokens[:first])]
    predicted = first
    while predicted < len(tokens):
        wlen = min(len(tokens) - predicted, pred_len)
        end = predicted + wlen
        wins.append((tokens[end - max_len - 1 : end - 1], tokens[end - wlen : end]))
        predicted += wlen
    return [(a[: len(a) - (len(b) - 1)], b) for a, b in wins]


def exit_rows(lams, R):
    pdf = ref.exit_pdf(lams[:R])  # [n, R]
    return [[r7(v) for v in row] for row in pdf.tolist()]


def golden_for(name, cfg, tensors_dtype, prompts, greedy_runs, ll_pairs, full_vocab, rolling_runs, greedy_q_runs):
    d = os.path.join(OUT, name)
    cfg_read, tensors = ref.load_checkpoint(d)
    assert cfg_read == cfg
    model = ref.Model(cfg, tensors, act=torch.float64)
    f32 = ref.Model(cfg, tensors, act=torch.float32)
    looped = model.looped
    T = model.T if looped else 0
    Rs = [1, 2, T, T + 2] if looped else [1]
    Rmax = max(Rs)
    out = {
        "format": 1,
        "checkpoint": name,
        "arch": cfg["model_type"],
        "weights_dtype": tensors_dtype,
        "compute": "f64",
        "vocab_size": cfg["vocab_size"],
        "looped": looped,
        "total_ut_steps": T,
        "full_vocab": full_vocab,
        "top_k": 0 if full_vocab else TOP_K,
        "prompts": [],
        "greedy": [],
        "loglikelihood": [],
        "rolling": [],
    }
    hf = ref.Model(cfg, tensors, act=torch.bfloat16) if tensors_dtype == "BF16" else None
    sim = ref.Model(cfg, tensors, act=torch.float32, bf16_matmul_inputs=True) if tensors_dtype == "BF16" else None
    study = {"f32_max_logprob_diff": 0.0, "f32_max_lambda_diff": 0.0, "f32_max_pdf_diff": 0.0}
    if hf is not None:
        study.update({"kernel_sim_max_logprob_diff": 0.0, "kernel_sim_max_lambda_diff": 0.0,
                      "kernel_sim_max_pdf_diff": 0.0, "hf_bf16_max_next_logprob_diff": 0.0,
                      "hf_bf16_max_lambda_diff": 0.0})

    def compare(prefix, other_lps, other_lams):
        # over the values the Go tests compare: whole rows, or the next-token entries of NEXT_ONLY prompts
        for t in range(len(lps)):
            d = (other_lps[t].double() - lps[t]).abs()
            if pname in NEXT_ONLY:
                d = d[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
            study[prefix + "_max_logprob_diff"] = max(study[prefix + "_max_logprob_diff"], float(d.max()))
            if looped:
                study[prefix + "_max_lambda_diff"] = max(study[prefix + "_max_lambda_diff"],
                                                         float((other_lams[t].double() - lams[t]).abs().max()))
        if looped:
            for R in Rs:
                d = ref.exit_pdf([x.double() for x in other_lams[:R]]) - ref.exit_pdf(lams[:R])
                study[prefix + "_max_pdf_diff"] = max(study[prefix + "_max_pdf_diff"], float(d.abs().max()))

    for pname, text, ids in prompts:
        lps, lams = trace(model, ids, Rmax)
        p = {"name": pname}
        if text is not None:
            p["text"] = text
        p["ids"] = ids
        if pname in NEXT_ONLY:
            p["next_only"] = True
        steps = []
        for t, lp in enumerate(lps):
            s = {"step": t + 1}
            if pname in NEXT_ONLY:
                pass
            elif full_vocab:
                s["logprobs"] = [[r7(v) for v in row] for row in lp.tolist()]
            else:
                rows = []
                for row in lp:
                    # best first, ties by lower id: sort by (-lp, id) over the whole row
                    order = sorted(range(row.shape[0]), key=lambda j, r=row.tolist(): (-r[j], j))[:TOP_K]
                    rows.append([[j, r7(row[j])] for j in order])
                s["top"] = rows
            s["next_logprob"] = [r7(lp[i, ids[i + 1]]) if i + 1 < len(ids) else None for i in range(len(ids))]
            if looped:
                s["lambda"] = [r7(v) for v in lams[t].tolist()]
            steps.append(s)
        p["steps"] = steps
        if looped:
            p["exit"] = [{"R": R, "p_exit": exit_rows(lams, R)} for R in Rs]
        if hf is not None:
            hlps, hlams = trace(hf, ids, Rmax)
            hs = []
            for t, lp in enumerate(hlps):
                s = {"step": t + 1,
                     "next_logprob": [r7(lp[i, ids[i + 1]]) if i + 1 < len(ids) else None for i in range(len(ids))]}
                if looped:
                    s["lambda"] = [r7(v) for v in hlams[t].float().tolist()]
                    study["hf_bf16_max_lambda_diff"] = max(study["hf_bf16_max_lambda_diff"],
                                                           float((hlams[t].double() - lams[t]).abs().max()))
                if len(ids) > 1:
                    idx = torch.arange(len(ids) - 1)
                    nxt = torch.tensor(ids[1:])
                    study["hf_bf16_max_next_logprob_diff"] = max(
                        study["hf_bf16_max_next_logprob_diff"],
                        float((lp[idx, nxt].double() - lps[t][idx, nxt]).abs().max()))
                hs.append(s)
            p["hf_bf16"] = {"steps": hs}
            slps, slams = trace(sim, ids, Rmax)
            compare("kernel_sim", slps, slams)
            ks = []
            for t, lp in enumerate(slps):
                s = {"step": t + 1,
                     "next_logprob": [r7(lp[i, ids[i + 1]]) if i + 1 < len(ids) else None for i in range(len(ids))]}
                if looped:
                    s["lambda"] = [r7(v) for v in slams[t].tolist()]
                ks.append(s)
            p["kernel_sim"] = {"steps": ks}
        compare("f32", *trace(f32, ids, Rmax))
        out["prompts"].append(p)
    byname = {pn: ids for pn, _, ids in prompts}
    worst_cache = 0.0
    for pname, R in greedy_runs:
        ids = byname[pname]
        toks, glps, margins, eos = greedy(model, ids, R, GREEDY_TOKENS)
        if len(toks) < 4:
            print(f"{name}: greedy run ({pname}, R={R}) dropped: near-tie after {len(toks)} tokens")
            continue
        worst_cache = max(worst_cache, check_cached_equals_full(model, ids, toks, glps, R, name))
        g = {"prompt": pname, "R": R, "max_new_tokens": GREEDY_TOKENS, "ids": toks,
             "logprobs": [r7(v) for v in glps], "margin": [r7(v) for v in margins]}
        if len(toks) < GREEDY_TOKENS:
            g["stopped"] = "eos" if eos else "margin"
        out["greedy"].append(g)
    if looped:
        out["greedy_q"] = []
        for pname, R, q in greedy_q_runs:
            toks, steps, margins, stopped = greedy_q(model, byname[pname], R, q, GREEDY_TOKENS)
            if len(toks) < 4:
                print(f"{name}: greedy Q-exit run ({pname}, R={R}, q={q}) dropped after {len(toks)} tokens ({stopped})")
                continue
            g = {"prompt": pname, "R": R, "q": q, "max_new_tokens": GREEDY_TOKENS, "ids": toks,
                 "steps": steps, "margin": [r7(v) for v in margins]}
            if stopped:
                g["stopped"] = stopped
            out["greedy_q"].append(g)
        if not out["greedy_q"]:
            raise SystemExit(f"{name}: no usable greedy Q-exit run")
    missing = {R for _, R in greedy_runs} - {g["R"] for g in out["greedy"]}
    if missing:
        raise SystemExit(f"{name}: no usable greedy run at R={sorted(missing)}")
    for ctx, cont, R, text in ll_pairs:
        res = loglikelihood(model, ctx, cont, R)
        e = {}
        if text is not None:
            e["context_text"], e["continuation_text"] = text
        e.update({"context": ctx, "continuation": cont, "R": R,
                  "logprob": r7(res[-1][0]), "is_greedy": res[-1][1]})
        if looped:
            e["per_step"] = [{"logprob": r7(s), "is_greedy": g} for s, g in res]
            qs = []
            for q in Q_VALUES:
                steps, total, g, margin = loglikelihood_q(model, ctx, cont, R, q)
                if margin < 1e-4:
                    print(f"{name}: q={q} skipped for a pair: exit CDF within {margin:.1e} of q")
                    continue
                qs.append({"q": q, "steps": steps, "logprob": r7(total), "is_greedy": g})
            e["q_exit"] = qs
        out["loglikelihood"].append(e)
    byname_ids = {pn: ids for pn, _, ids in prompts}
    for pname, max_len, R in rolling_runs:
        wins = rolling_windows(byname_ids[pname], cfg["bos_token_id"], max_len)
        per = None
        total, greedy_ok = 0.0, True
        for c, x in wins:
            res = loglikelihood(model, c, x, R)
            total += res[-1][0]
            greedy_ok = greedy_ok and res[-1][1]
            if looped:
                per = [(a[0] + b[0], a[1] and b[1]) for a, b in zip(per, res)] if per else list(res)
        e = {"prompt": pname, "max_length": max_len, "R": R, "prefix_token": cfg["bos_token_id"],
             "windows": [[len(c), len(x)] for c, x in wins], "logprob": r7(total), "is_greedy": greedy_ok}
        if looped:
            e["per_step"] = [{"logprob": r7(s), "is_greedy": g} for s, g in per]
        out["rolling"].append(e)
    out["tolerance_study"] = {k: r7(v) for k, v in study.items()}
    write_json(os.path.join(OUT, name + ".json"), out)
    return worst_cache, study


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)

    vocab, merges = bpe.train(TRAIN_TEXT, 512, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    specs = [
        # name, config builder, seed, storage dtype, shards
        ("ouro", lambda dt: ouro_config(64, 128, 4, 4, 16, 2, 512, dt, 1024), 1001),
        ("llama", llama_config, 1002),
        ("qwen2", qwen2_config, 1003),
        ("qwen3", qwen3_config, 1004),
    ]
    jobs = []
    for base, mk, seed in specs:
        for dname, dt, tdt in (("f32", "float32", torch.float32), ("bf16", "bfloat16", torch.bfloat16)):
            shards = 2 if (base, dname) == ("llama", "f32") else 1
            jobs.append((f"{base}-{dname}", mk(dt), seed, tdt, "F32" if dname == "f32" else "BF16", shards, True))
    jobs.append(("ouro-vocab49152-bf16", ouro_config(8, 32, 2, 2, 16, 2, 49152, "bfloat16", 1024), 1005,
                 torch.bfloat16, "BF16", 1, False))

    if not os.path.exists(OURO_TOK):
        raise SystemExit(f"{OURO_TOK} not found: the real-vocabulary prompts need the Ouro tokenizer")
    otok = bpe.Tokenizer(OURO_TOK)
    check = otok.encode("<|im_start|>user\nHello world 12345<|im_end|>")
    assert check == [1, 4093, 198, 19556, 905, 216, 33, 34, 35, 36, 37, 2], check

    for name, cfg, seed, tdt, dts, shards, small in jobs:
        d = os.path.join(OUT, name)
        if os.path.exists(d):
            shutil.rmtree(d)
        write_checkpoint(d, cfg, make_weights(cfg, seed), tdt, shards)
        if small:
            write_tokenizer(d, vocab, merges)
            stok = bpe.Tokenizer(os.path.join(d, "tokenizer.json"))
            rng = np.random.Generator(np.random.PCG64(seed + 7))
            p1 = [int(x) for x in rng.integers(3, 512, size=9)]
            plong = [int(x) for x in rng.integers(3, 512, size=LONG)]
            T = cfg.get("total_ut_steps", 0)
            Rs = [T, T + 2] if cfg["model_type"] == "ouro" else [1]
            Rll = T if T else 1
            # single-token prompt: the first id >= 7 whose greedy continuations (at every R used)
            # start with at least 4 clear (margin >= MIN_MARGIN) choices; its R=Rll continuation is
            # the is_greedy=true log-likelihood pair.
            model = ref.Model(cfg, ref.load_checkpoint(d)[1], act=torch.float64)
            single = 7
            while not all(len(greedy(model, [single], R, 4)[0]) == 4 for R in Rs):
                single += 1
            g = greedy(model, [single], Rll, 4)[0]
            prompts = [("text", SMALL_TEXT, stok.encode(SMALL_TEXT)), ("random", None, p1), ("single", None, [single]),
                       ("long", None, plong)]
            greedy_runs = [(pn, R) for pn in ("text", "random", "single") for R in Rs]
            greedy_q_runs = [(pn, T, q) for pn in ("text", "random") for q in Q_VALUES] if T else []
            ll = [(p1[:5], p1[5:], Rll, None), ([single], g, Rll, None), (p1[:1], p1[1:], Rll, None),
                  (plong[:100], plong[100:], Rll, None)]
            if T:
                ll.append((p1[:5], p1[5:], T + 2, None))
            full = True
            rolling_runs = [("long", 64, Rll), ("text", 5, Rll)]
        else:
            prompts = [(pn, t, otok.encode(t)) for pn, t in OURO_TEXTS]
            greedy_runs = [("capital", 4), ("chat", 4), ("capital", 6), ("code", 6)]
            greedy_q_runs = [(pn, 4, q) for pn in ("capital", "chat") for q in Q_VALUES]
            ll = []
            for c, x in OURO_LL:
                whole = otok.encode(c + x)
                ce = otok.encode(c)
                assert whole[: len(ce)] == ce
                ll.append((ce, whole[len(ce):], 4, (c, x)))
            full = False
            rolling_runs = [("code", 8, 4)]
        worst, study = golden_for(name, cfg, dts, prompts, greedy_runs, ll, full, rolling_runs, greedy_q_runs)
        msg = f"{name}: written; cached-vs-full max |Δ| {worst:.2e}"
        if study:
            msg += "; " + ", ".join(f"{k}={v:.2e}" for k, v in study.items())
        print(msg)


if __name__ == "__main__":
    main()
