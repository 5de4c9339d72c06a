package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ouroeval/ouroeval/engine/checkpoint"
)

// archLoader builds the network of one model_type from a checkpoint's
// tensors. Each architecture lives in its own file (ouro.go, llama.go,
// qwen2.go, qwen3.go).
type archLoader func(w *weights, c *checkpoint.Config) *network

// architectures returns the registry keyed by config.json's model_type.
// It is a function, not a package variable, so there is no global mutable
// state.
func architectures() map[string]archLoader {
	return map[string]archLoader{
		"ouro":  loadOuro,
		"llama": loadLlama,
		"qwen2": loadQwen2,
		"qwen3": loadQwen3,
	}
}

// SupportedModelTypes lists the model_type values the engine loads.
func SupportedModelTypes() []string {
	var out []string
	for k := range architectures() {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookupArch(modelType string) (archLoader, error) {
	a, ok := architectures()[modelType]
	if !ok {
		return nil, fmt.Errorf("model_type %q is not supported (supported: %s)", modelType, strings.Join(SupportedModelTypes(), ", "))
	}
	return a, nil
}
