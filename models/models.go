// Package models embeds the micro checkpoints trained by training/ (see
// training/README.md): tiny looped (Ouro) and dense models for the khop
// task (k-hop lookup over an in-context function table), small enough to
// ship inside the binary so that the default `ouroeval` run shows the
// looped models' parameter efficiency with no download, from any working
// directory, and so that CI has real trained models to gate on.
//
// Every model is a directory in the Hugging Face layout (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json,
// generation_config.json) that engine.LoadFS reads:
//
//	m, err := engine.LoadFS(ctx, models.FS(), "khop-looped-l2r4", engine.LoadOptions{})
package models

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// files holds the checkpoints. Embedding (rather than loading from
// models/ on disk) is what lets `go run ./cmd/ouroeval` and an installed
// binary evaluate them from any directory.
//
//go:embed khop-looped-l2r4 khop-dense-l2 khop-dense-l8
var files embed.FS

// Info describes one shipped model.
type Info struct {
	// Name is the directory of the checkpoint in FS.
	Name string
	// Layers is the number of distinct layers, Steps the recurrent steps
	// it was trained with (1 for dense models).
	Layers, Steps int
	// Role is the model's place in the parameter-efficiency comparison:
	// "looped", "iso-parameter" (same layers, one step) or "iso-compute"
	// (Layers×Steps distinct layers, one step).
	Role string
}

// shipped lists the models in the comparison order.
var shipped = []Info{
	{Name: "khop-looped-l2r4", Layers: 2, Steps: 4, Role: "looped"},
	{Name: "khop-dense-l2", Layers: 2, Steps: 1, Role: "iso-parameter"},
	{Name: "khop-dense-l8", Layers: 8, Steps: 1, Role: "iso-compute"},
}

// FS returns the embedded checkpoints, one directory per model.
func FS() fs.FS { return files }

// List returns the shipped models: the looped model first, then its
// iso-parameter and iso-compute dense baselines.
func List() []Info { return slices.Clone(shipped) }

// Lookup returns the shipped model called name.
func Lookup(name string) (Info, error) {
	for _, m := range shipped {
		if m.Name == name {
			return m, nil
		}
	}
	names := make([]string, len(shipped))
	for i, m := range shipped {
		names[i] = m.Name
	}
	return Info{}, fmt.Errorf("models: no shipped model %q (shipped: %v)", name, names)
}
