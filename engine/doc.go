// Package engine is ouroeval's built-in inference engine: it loads Hugging
// Face checkpoints of looped (Ouro) and dense (Llama, Qwen2, Qwen3) decoder
// models and computes them in pure Go over the kernels.Kernels interface.
//
// # Public API
//
//	m, err := engine.Load(ctx, "path/to/checkpoint", engine.LoadOptions{})
//	m, err := engine.LoadFS(ctx, embeddedFS, "micro", engine.LoadOptions{})
//	defer m.Close()
//
//	tr, err := m.Trace(ctx, ids, R)         // per-step log-softmax, λ, p_exit
//	g, err := m.Generate(ctx, ids, opts)     // sampling / greedy with stops
//	s, err := m.LogLikelihood(ctx, context, continuation, sopts)
//	s, err := m.Rolling(ctx, text, sopts)    // whole-text log-likelihood
//	m.Tokenizer(); m.Config(); m.NumParams()
//
// Trace is the correctness probe used by golden tests and `ouroeval
// inspect`: for ids of length T it runs R recurrent steps (R = 1 for dense
// models; R ≤ 0 means the config's total_ut_steps) and returns, for every
// step t = 1..R and every position i, the log-softmax over the vocabulary
// of the LM head applied to the step's normed hidden state, the exit gate
// λ_t and the exit probability p(t) = λ_t·∏_{j<t}(1−λ_j) (t < R; the
// remaining mass ∏_{j<R}(1−λ_j) at t = R). Positions are 0-based; row i
// predicts token i+1.
//
// # Layering
//
// safetensors (files → validated, zero-copy tensors) → checkpoint (a Hugging
// Face directory or fs.FS: config.json, shards, tokenizer, generation
// config) → architectures (ouro.go, llama.go, qwen2.go, qwen3.go: one small
// file each over the shared layer code in decoder.go, registered by
// model_type in arch.go) → runtime (Sequence: KV cache, recurrent steps,
// exit distribution; generate.go, score.go) → kernels (generic Go, AVX-512).
//
// Weights stay in their file dtype (bf16 stays bf16, borrowed zero-copy from
// the memory map); only small vectors (norm weights, biases, the exit gate)
// are widened to float32. Activations, the residual stream, RMSNorm, RoPE,
// softmax and the exit CDF are float32; matmuls accumulate in float32. The
// KV cache is float32. Kernels come from kernels.Open (LoadOptions.KernelPath,
// else $OUROEVAL_KERNELS, else "auto").
//
// Numerics against Hugging Face: the engine computes what transformers
// computes with the weights widened to float32 (the golden tests' reference).
// transformers running a bf16 checkpoint in bf16 also rounds activations,
// RoPE tables and the exit gate/CDF to bf16, so its log-probs differ by
// O(1e-2) and its Q-exit rule can pick an earlier step when a bf16 CDF rounds
// up to the threshold; the engine's exit CDF is float64 (the math as written
// in the paper).
//
// # Runtime design
//
// A Sequence owns one KV cache slot per (recurrent step t, layer l), slot
// index t·L + l, exactly as the Hugging Face UniversalTransformerCache; a
// dense model is the special case R = 1. Sequence.Forward appends T new
// tokens: it embeds them, then for t = 0..R−1 runs the layer stack (writing
// slot t·L+l at the new positions, attending over that slot's keys),
// applies model.norm (the normed state is the next step's input) and the
// exit gate. Prefill is Forward with the whole prompt, decode is Forward with
// one token; both use the same code, and decode-with-cache equals full
// recomputation (tested). Decode allocates nothing per token: the
// activation buffers and the returned Steps belong to the Sequence and are
// reused (Steps is valid until the next Forward), the kernels' pool
// dispatch recycles its per-call state, and Sequence.Reserve gives the KV
// cache its final capacity up front. On Unix the reservation is a private
// anonymous mapping committed page by page as positions are written
// (kvMem), so Generate reserves the whole prompt + MaxTokens: the cache
// never moves and resident memory is what has been written (elsewhere it
// reserves at most 1,024 tokens ahead on the Go heap; past a reservation
// the cache grows by appending). TestDecodeNoAllocs proves 0
// allocations per decoded token with testing.AllocsPerRun for looped and
// dense models on every kernel path. The state after step r is exactly the output of
// the R = r model, so one Forward with R steps yields log-likelihoods at
// every depth 1..R (Score.PerDepth).
//
// Log-likelihood requests are computed in two chunks, always: the context
// without its last token, then the rest. The first chunk's KV cache is kept
// in a small byte-bounded prefix cache (LoadOptions.PrefixCacheBytes), so
// the choices of a multiple-choice question prefill their shared context
// once; because the split does not depend on the cache, a hit is
// bit-identical to a miss and results do not depend on request order.
//
// Adaptive exit (threshold q, the Q-exit rule: the first step whose exit
// CDF reaches q) is implemented as SELECTION: every step is computed, the
// step chosen per token supplies the logits, and the chosen step is
// reported as the number of steps that would be executed. No compute is
// saved yet. The runtime is shaped so that real skipping can be added
// without changing the public API:
//
//   - The unit of work is a row (sequence, position, token, depth): the step
//     loop in Sequence.Forward already runs rows in lock-step per recurrent
//     step, so a per-row depth only needs the rows that exited to be dropped
//     from the batch at later steps.
//   - Skipped (step, layer) slots of exited tokens must still hold K/V for
//     later tokens to attend to. The cache stores K/V per slot per position,
//     so a fill policy (propagate the exited state through the remaining
//     steps' K/V projections only, as CALM/Miao et al. do, or read the last
//     computed step, as Huginn's latest-m4) plugs in where Forward writes
//     the slots; Options.KV ("full", "last", "first", "average") selects
//     the decode-time sharing policy and today only "full" is accepted.
//   - Batching several sequences is a matter of concatenating their rows
//     for the matmuls (weights stream once per step for the whole batch)
//     while attention stays per sequence; Forward's buffers are already
//     row-major [rows][hidden].
package engine
