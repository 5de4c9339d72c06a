package engine

import "github.com/ouroeval/ouroeval/engine/checkpoint"

// loadQwen3 loads Qwen3ForCausalLM (model_type "qwen3"): Llama's layout
// plus per-head RMSNorms q_norm and k_norm ([head_dim]) applied to each
// head's q and k after the projection and before RoPE (and before K enters
// the cache). attention_bias adds biases to q, k, v and o.
func loadQwen3(w *weights, c *checkpoint.Config) *network {
	return loadDecoder(w, c, layerSpec{qkNorm: true, qkvBias: c.AttentionBias, oBias: c.AttentionBias})
}
