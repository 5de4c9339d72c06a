// Package checkpoint opens a Hugging Face model directory as published on
// the hub: config.json, model.safetensors or shards listed in
// model.safetensors.index.json, generation_config.json when present, and
// the raw tokenizer files. Tensors are validated, zero-copy views (memory
// mapped when read from disk).
package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// Options controls loading.
type Options struct {
	// SkipNonFiniteCheck disables the NaN/Inf scan of every weight.
	SkipNonFiniteCheck bool
	// NoMmap reads weight files into memory instead of mapping them.
	NoMmap bool
}

// Checkpoint is an opened model directory.
type Checkpoint struct {
	// Dir is the directory as given.
	Dir string
	// Config is the parsed config.json.
	Config *Config
	// ConfigJSON is config.json verbatim.
	ConfigJSON []byte
	// Generation is generation_config.json, or nil when absent.
	Generation *GenerationConfig
	// TokenizerJSON and TokenizerConfigJSON are the tokenizer files
	// verbatim (nil when absent).
	TokenizerJSON       []byte
	TokenizerConfigJSON []byte
	// Files lists the weight files read, relative to Dir, sorted.
	Files []string

	tensors map[string]*safetensors.Tensor
	files   []*safetensors.File
}

// Tensor returns the named tensor.
func (c *Checkpoint) Tensor(name string) (*safetensors.Tensor, bool) {
	t, ok := c.tensors[name]
	return t, ok
}

// TensorNames returns every tensor name, sorted.
func (c *Checkpoint) TensorNames() []string {
	out := make([]string, 0, len(c.tensors))
	for k := range c.tensors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Close releases the weight files' memory maps.
func (c *Checkpoint) Close() error {
	var errs []error
	for _, f := range c.files {
		errs = append(errs, f.Close())
	}
	c.files = nil
	return errors.Join(errs...)
}

// source abstracts the OS filesystem (memory-mapped weights) and an fs.FS
// (weights read into memory, e.g. an embed.FS).
type source interface {
	read(name string) ([]byte, error)
	openWeights(name string, opts safetensors.Options) (*safetensors.File, error)
	display(name string) string
}

type osSource struct{ dir string }

func (s osSource) read(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(name)))
}
func (s osSource) openWeights(name string, opts safetensors.Options) (*safetensors.File, error) {
	return safetensors.Open(filepath.Join(s.dir, filepath.FromSlash(name)), opts)
}
func (s osSource) display(name string) string { return filepath.Join(s.dir, filepath.FromSlash(name)) }

type fsSource struct {
	fsys fs.FS
	dir  string
}

func (s fsSource) read(name string) ([]byte, error) {
	return fs.ReadFile(s.fsys, path.Join(s.dir, name))
}
func (s fsSource) openWeights(name string, opts safetensors.Options) (*safetensors.File, error) {
	data, err := s.read(name)
	if err != nil {
		return nil, err
	}
	return safetensors.OpenBytes(s.display(name), data, opts)
}
func (s fsSource) display(name string) string { return path.Join(s.dir, name) }

// Open opens the checkpoint in directory dir.
func Open(ctx context.Context, dir string, opts Options) (*Checkpoint, error) {
	return open(ctx, dir, osSource{dir}, opts)
}

// OpenFS opens the checkpoint in directory dir of fsys (for example an
// embed.FS holding a micro model). Weights are read into memory.
func OpenFS(ctx context.Context, fsys fs.FS, dir string, opts Options) (*Checkpoint, error) {
	return open(ctx, dir, fsSource{fsys, dir}, opts)
}

func open(ctx context.Context, dir string, src source, opts Options) (_ *Checkpoint, err error) {
	c := &Checkpoint{Dir: dir, tensors: map[string]*safetensors.Tensor{}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	c.ConfigJSON, err = src.read("config.json")
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	if c.Config, err = ParseConfig(src.display("config.json"), c.ConfigJSON); err != nil {
		return nil, err
	}
	if b, err := src.read("generation_config.json"); err == nil {
		if c.Generation, err = ParseGenerationConfig(src.display("generation_config.json"), b); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{"tokenizer.json", &c.TokenizerJSON}, {"tokenizer_config.json", &c.TokenizerConfigJSON}} {
		b, err := src.read(f.name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checkpoint %s: %w", dir, err)
		}
		*f.dst = b
	}

	// Weights: a single model.safetensors, or the shards of the index.
	sopts := safetensors.Options{SkipNonFiniteCheck: opts.SkipNonFiniteCheck, NoMmap: opts.NoMmap}
	var wantShard map[string]string // tensor → shard, when indexed
	idx, ierr := src.read("model.safetensors.index.json")
	switch {
	case ierr == nil:
		var index struct {
			WeightMap map[string]string `json:"weight_map"`
		}
		if err := json.Unmarshal(idx, &index); err != nil {
			return nil, fmt.Errorf("%s: %v", src.display("model.safetensors.index.json"), err)
		}
		if len(index.WeightMap) == 0 {
			return nil, fmt.Errorf("%s: weight_map is empty", src.display("model.safetensors.index.json"))
		}
		wantShard = index.WeightMap
		set := map[string]bool{}
		for t, f := range index.WeightMap {
			if f == "" || path.IsAbs(f) || path.Clean(f) != f || f == ".." || len(f) > 2 && f[:3] == "../" {
				return nil, fmt.Errorf("%s: tensor %q maps to an invalid file name %q", src.display("model.safetensors.index.json"), t, f)
			}
			set[f] = true
		}
		for f := range set {
			c.Files = append(c.Files, f)
		}
		sort.Strings(c.Files)
	case errors.Is(ierr, fs.ErrNotExist):
		c.Files = []string{"model.safetensors"}
	default:
		return nil, fmt.Errorf("checkpoint %s: %w", dir, ierr)
	}
	for _, name := range c.Files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := src.openWeights(name, sopts)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("checkpoint %s: no weights: %w", dir, err)
			}
			return nil, err
		}
		c.files = append(c.files, f)
		for _, tn := range f.Names() {
			t, _ := f.Tensor(tn)
			if prev, dup := c.tensors[tn]; dup {
				return nil, fmt.Errorf("checkpoint %s: tensor %q is in both %s and %s", dir, tn, prev.File, t.File)
			}
			if wantShard != nil {
				if ws, ok := wantShard[tn]; !ok {
					return nil, fmt.Errorf("checkpoint %s: tensor %q in %s is not listed in model.safetensors.index.json", dir, tn, name)
				} else if ws != name {
					return nil, fmt.Errorf("checkpoint %s: tensor %q is in %s but the index says %s", dir, tn, name, ws)
				}
			}
			c.tensors[tn] = t
		}
	}
	for tn, f := range wantShard {
		if _, ok := c.tensors[tn]; !ok {
			return nil, fmt.Errorf("checkpoint %s: tensor %q listed in the index for %s is missing from that file", dir, tn, f)
		}
	}
	return c, nil
}
