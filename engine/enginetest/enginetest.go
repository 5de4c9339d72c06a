// Package enginetest writes small random checkpoints in the Hugging Face
// layout for tests and benchmarks of the engine: config.json and
// model.safetensors (or shards with model.safetensors.index.json) for the
// ouro, llama, qwen2 and qwen3 architectures.
package enginetest

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"

	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// Spec describes a random checkpoint.
type Spec struct {
	ModelType string // "ouro", "llama", "qwen2", "qwen3"
	Hidden    int
	Inter     int
	Layers    int
	Heads     int
	KVHeads   int
	HeadDim   int // 0: Hidden/Heads (head_dim is then omitted from config.json)
	Vocab     int
	MaxPos    int
	UTSteps   int // ouro total_ut_steps
	Tied      bool
	DType     safetensors.DType // weight dtype of matrices (vectors too)
	Seed      uint64
	// Config holds extra or overriding config.json fields.
	Config map[string]any
	// Shards > 1 splits the weights over that many files with an index.
	Shards int
	// Fast fills matrices with a cheap hash-based generator (uniform in
	// the same range) instead of math/rand: for benchmark-sized models.
	Fast bool
}

// Tiny returns a small spec of the architecture.
func Tiny(modelType string, dt safetensors.DType) Spec {
	s := Spec{ModelType: modelType, Hidden: 32, Inter: 48, Layers: 2, Heads: 4, KVHeads: 2, Vocab: 97,
		MaxPos: 64, DType: dt, Seed: 1}
	switch modelType {
	case "ouro":
		s.KVHeads, s.UTSteps = 4, 4
	case "qwen2":
		s.Tied = true
	case "qwen3":
		s.HeadDim = 16 // ≠ hidden/heads, as in real Qwen3 configs
		s.Tied = true
	}
	return s
}

// ConfigJSON returns the config.json object of the spec.
func (s Spec) ConfigJSON() map[string]any {
	c := map[string]any{
		"model_type":              s.ModelType,
		"hidden_size":             s.Hidden,
		"intermediate_size":       s.Inter,
		"num_hidden_layers":       s.Layers,
		"num_attention_heads":     s.Heads,
		"num_key_value_heads":     s.KVHeads,
		"vocab_size":              s.Vocab,
		"max_position_embeddings": s.MaxPos,
		"rms_norm_eps":            1e-6,
		"rope_theta":              10000.0,
		"tie_word_embeddings":     s.Tied,
		"hidden_act":              "silu",
		"bos_token_id":            1,
		"eos_token_id":            2,
	}
	if s.HeadDim != 0 {
		c["head_dim"] = s.HeadDim
	}
	if s.ModelType == "ouro" {
		c["total_ut_steps"] = s.UTSteps
		c["early_exit_threshold"] = 1.0
	}
	for k, v := range s.Config {
		c[k] = v
	}
	return c
}

func (s Spec) headDim() int {
	if s.HeadDim != 0 {
		return s.HeadDim
	}
	return s.Hidden / s.Heads
}

func (s Spec) flag(name string) bool {
	v, _ := s.Config[name].(bool)
	return v
}

// Shapes returns every tensor name of the spec with its shape.
func (s Spec) Shapes() map[string][]int {
	D, I, hd := s.Hidden, s.Inter, s.headDim()
	q, kv := s.Heads*hd, s.KVHeads*hd
	out := map[string][]int{
		"model.embed_tokens.weight": {s.Vocab, D},
		"model.norm.weight":         {D},
	}
	if !s.Tied {
		out["lm_head.weight"] = []int{s.Vocab, D}
	}
	attnBias := s.flag("attention_bias")
	mlpBias := s.flag("mlp_bias")
	for l := range s.Layers {
		p := fmt.Sprintf("model.layers.%d.", l)
		lin := func(name string, o, i int, bias bool) {
			out[p+name+".weight"] = []int{o, i}
			if bias {
				out[p+name+".bias"] = []int{o}
			}
		}
		out[p+"input_layernorm.weight"] = []int{D}
		out[p+"post_attention_layernorm.weight"] = []int{D}
		qkvBias := attnBias || s.ModelType == "qwen2"
		lin("self_attn.q_proj", q, D, qkvBias)
		lin("self_attn.k_proj", kv, D, qkvBias)
		lin("self_attn.v_proj", kv, D, qkvBias)
		lin("self_attn.o_proj", D, q, attnBias && s.ModelType != "qwen2")
		lin("mlp.gate_proj", I, D, mlpBias)
		lin("mlp.up_proj", I, D, mlpBias)
		lin("mlp.down_proj", D, I, mlpBias)
		switch s.ModelType {
		case "ouro":
			out[p+"input_layernorm_2.weight"] = []int{D}
			out[p+"post_attention_layernorm_2.weight"] = []int{D}
		case "qwen3":
			out[p+"self_attn.q_norm.weight"] = []int{hd}
			out[p+"self_attn.k_norm.weight"] = []int{hd}
		}
	}
	if s.ModelType == "ouro" {
		out["model.early_exit_gate.weight"] = []int{1, D}
		out["model.early_exit_gate.bias"] = []int{1}
	}
	return out
}

// Tensors returns random weights for the spec: matrices uniform in
// ±1.5/sqrt(fan_in), norm weights near 1, biases small.
func (s Spec) Tensors() []safetensors.WriteTensor {
	shapes := s.Shapes()
	names := make([]string, 0, len(shapes))
	for n := range shapes {
		names = append(names, n)
	}
	sort.Strings(names)
	r := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	var out []safetensors.WriteTensor
	for _, n := range names {
		sh := shapes[n]
		cnt := 1
		for _, d := range sh {
			cnt *= d
		}
		vals := make([]float32, cnt)
		switch {
		case len(sh) == 2 && n == "model.embed_tokens.weight":
			for i := range vals {
				vals[i] = float32(r.NormFloat64())
			}
		case len(sh) == 2 && s.Fast:
			a := float32(1.5 / math.Sqrt(float64(sh[1])))
			x := r.Uint64() | 1
			for i := range vals {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				vals[i] = (float32(x>>40)*(1.0/(1<<23)) - 1) * a
			}
		case len(sh) == 2:
			a := 1.5 / math.Sqrt(float64(sh[1]))
			for i := range vals {
				vals[i] = float32((2*r.Float64() - 1) * a)
			}
		case filepath.Ext(n) == ".bias":
			for i := range vals {
				vals[i] = float32(0.1 * r.NormFloat64())
			}
		default: // norm weights
			for i := range vals {
				vals[i] = float32(1 + 0.2*r.NormFloat64())
			}
		}
		out = append(out, safetensors.WriteTensor{Name: n, DType: s.DType, Shape: sh, Data: encode(vals, s.DType)})
	}
	return out
}

func encode(v []float32, dt safetensors.DType) []byte {
	switch dt {
	case safetensors.BF16, safetensors.F16:
		b := make([]byte, 2*len(v))
		for i, x := range v {
			u := kernels.F32ToBF16(x)
			if dt == safetensors.F16 {
				u = kernels.F32ToF16(x)
			}
			binary.LittleEndian.PutUint16(b[2*i:], u)
		}
		return b
	default:
		b := make([]byte, 4*len(v))
		for i, x := range v {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
		}
		return b
	}
}

// Write writes the checkpoint into dir (created if needed).
func Write(dir string, s Spec) error {
	return WriteTensors(dir, s, s.Tensors())
}

// WriteTensors writes config.json for s and the given tensors (possibly
// edited by a test) into dir.
func WriteTensors(dir string, s Spec, tensors []safetensors.WriteTensor) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cfg, err := json.MarshalIndent(s.ConfigJSON(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
		return err
	}
	if s.Shards <= 1 {
		return writeFile(filepath.Join(dir, "model.safetensors"), tensors)
	}
	weightMap := map[string]string{}
	for i := range s.Shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, s.Shards)
		var part []safetensors.WriteTensor
		for j, t := range tensors {
			if j%s.Shards == i {
				part = append(part, t)
				weightMap[t.Name] = name
			}
		}
		if err := writeFile(filepath.Join(dir, name), part); err != nil {
			return err
		}
	}
	idx, _ := json.Marshal(map[string]any{"metadata": map[string]any{}, "weight_map": weightMap})
	return os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), idx, 0o644)
}

func writeFile(path string, ts []safetensors.WriteTensor) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := safetensors.Write(f, ts, map[string]string{"format": "pt"}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
