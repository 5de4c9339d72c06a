// Package procedural generates benchmark documents from code instead of
// downloads: seeded, deterministic, with train and test splits that are
// disjoint by construction. The same generators produce the micro models'
// training data (`ouroeval tasks dump`) and their evaluation sets, so the
// two distributions cannot drift apart.
package procedural

import (
	"fmt"
	"sort"
	"strings"
)

// Doc is one generated document: the fields templates refer to.
type Doc = map[string]any

// Generator produces the documents of one procedural dataset.
type Generator interface {
	// Name is the dataset name used in task specs
	// (dataset_path: procedural, dataset_name: NAME).
	Name() string
	// Description is one line for `ouroeval tasks list`.
	Description() string
	// Splits lists the split names ("train", "test", ...).
	Splits() []string
	// Doc returns document i of split. The same (split, seed, i) always
	// gives the same document, independent of how many are requested;
	// no test document can occur in train.
	Doc(split string, seed uint64, i int) (Doc, error)
}

// All returns a fresh list of every built-in generator, sorted by name.
func All() []Generator {
	gs := builtins()
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name() < gs[j].Name() })
	return gs
}

// Lookup returns the built-in generator called name.
func Lookup(name string) (Generator, error) {
	var names []string
	for _, g := range All() {
		if g.Name() == name {
			return g, nil
		}
		names = append(names, g.Name())
	}
	return nil, fmt.Errorf("procedural: unknown dataset %q (known: %s)", name, strings.Join(names, ", "))
}

// Configurable is implemented by generators that take options from a task's
// dataset_kwargs (all keys except seed and <split>_size, which the tasks
// package handles). Configure returns a configured copy and must reject
// unknown keys, listing the valid ones.
type Configurable interface {
	Configure(kwargs map[string]any) (Generator, error)
}
