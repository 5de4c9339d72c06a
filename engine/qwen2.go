package engine

import "github.com/ouroeval/ouroeval/engine/checkpoint"

// loadQwen2 loads Qwen2ForCausalLM (model_type "qwen2", Qwen2 and
// Qwen2.5): Llama's layout plus biases on q, k and v (always present, not
// controlled by the config; no o or MLP bias).
func loadQwen2(w *weights, c *checkpoint.Config) *network {
	return loadDecoder(w, c, layerSpec{qkvBias: true})
}
