package engine

import "github.com/ouroeval/ouroeval/engine/checkpoint"

// loadOuro loads OuroForCausalLM (model_type "ouro"): a stack of
// num_hidden_layers sandwich-norm layers applied R times with shared
// weights, model.norm after every recurrent step (its output is the next
// step's input), the exit gate model.early_exit_gate on each step's normed
// state, and an untied lm_head. See docs in ../shared/design/ouro-model.md.
//
// Layer order (sandwich norm):
//
//	x = x + input_layernorm_2(attn(input_layernorm(x)))
//	x = x + post_attention_layernorm_2(mlp(post_attention_layernorm(x)))
func loadOuro(w *weights, c *checkpoint.Config) *network {
	n := loadDecoder(w, c, layerSpec{sandwich: true})
	n.looped = true
	g := w.linear("model.early_exit_gate", 1, c.HiddenSize, true)
	n.gate = &g
	if g.w.Rows == 1 {
		n.gateW = make([]float32, g.w.Cols)
		rowOf(&g.w, 0, n.gateW)
	}
	return n
}
