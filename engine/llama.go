package engine

import "github.com/ouroeval/ouroeval/engine/checkpoint"

// loadLlama loads LlamaForCausalLM (model_type "llama", Llama 3.x):
// pre-norm layers, optional biases (attention_bias adds them to q, k, v
// and o; mlp_bias to gate, up and down), rope_scaling "llama3" handled by
// newRope, lm_head tied to the embedding when tie_word_embeddings is set.
func loadLlama(w *weights, c *checkpoint.Config) *network {
	return loadDecoder(w, c, layerSpec{qkvBias: c.AttentionBias, oBias: c.AttentionBias, mlpBias: c.MLPBias})
}
