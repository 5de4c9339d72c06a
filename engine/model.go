package engine

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"

	"github.com/ouroeval/ouroeval/engine/chat"
	"github.com/ouroeval/ouroeval/engine/checkpoint"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/tokenizer"
)

// LoadOptions controls Load and LoadFS. The zero value is the default.
type LoadOptions struct {
	// Kernels is the compute implementation to use; the Model does not
	// close it. nil means the path named by KernelPath with Workers
	// workers, owned (and closed) by the Model.
	Kernels kernels.Kernels
	// KernelPath selects the kernels when Kernels is nil: one of
	// kernels.Paths; "" means $OUROEVAL_KERNELS, else "auto" (AVX-512 when
	// the CPU has it, generic otherwise).
	KernelPath string
	// Workers sizes the default kernels' pool (0 = GOMAXPROCS).
	Workers int
	// SkipNonFiniteCheck disables the load-time NaN/Inf scan of weights.
	SkipNonFiniteCheck bool
	// NoMmap reads weight files into memory instead of mapping them.
	NoMmap bool
	// PrefixCacheBytes bounds the KV memory kept for recently scored
	// contexts (0: DefaultPrefixCacheBytes; negative: no prefix cache).
	// Results are identical with and without it.
	PrefixCacheBytes int64
}

// Config is the checkpoint's config.json as the engine understands it.
type Config = checkpoint.Config

// Model is a loaded checkpoint ready to compute. It is safe for concurrent
// use: every call builds its own Sequence (KV cache and buffers).
type Model struct {
	ck       *checkpoint.Checkpoint
	net      *network
	k        kernels.Kernels
	ownK     bool
	tok      *tokenizer.Tokenizer
	chat     *chat.Config
	chatErr  error
	params   int64
	eos      []int
	vocab    int
	maxPos   int
	defaultR int
	prefix   *prefixCache
}

// Load loads the Hugging Face checkpoint in directory dir (weights memory
// mapped).
func Load(ctx context.Context, dir string, opts LoadOptions) (*Model, error) {
	ck, err := checkpoint.Open(ctx, dir, checkpoint.Options{SkipNonFiniteCheck: opts.SkipNonFiniteCheck, NoMmap: opts.NoMmap})
	if err != nil {
		return nil, err
	}
	m, err := newModel(ck, opts)
	if err != nil {
		return nil, err
	}
	if ck.TokenizerConfigJSON != nil {
		// LoadConfig also finds chat_template.jinja / chat_template.json
		// next to tokenizer_config.json.
		m.chat, m.chatErr = chat.LoadConfig(filepath.Join(dir, "tokenizer_config.json"))
	}
	return m, nil
}

// LoadFS loads the checkpoint in directory dir of fsys, e.g. a micro model
// embedded in the binary with go:embed.
func LoadFS(ctx context.Context, fsys fs.FS, dir string, opts LoadOptions) (*Model, error) {
	ck, err := checkpoint.OpenFS(ctx, fsys, dir, checkpoint.Options{SkipNonFiniteCheck: opts.SkipNonFiniteCheck})
	if err != nil {
		return nil, err
	}
	m, err := newModel(ck, opts)
	if err != nil {
		return nil, err
	}
	if ck.TokenizerConfigJSON != nil {
		m.chat, m.chatErr = chat.ParseConfig(ck.TokenizerConfigJSON, path.Join(dir, "tokenizer_config.json"))
	}
	return m, nil
}

func newModel(ck *checkpoint.Checkpoint, opts LoadOptions) (_ *Model, err error) {
	defer func() {
		if err != nil {
			ck.Close()
		}
	}()
	c := ck.Config
	arch, err := lookupArch(c.ModelType)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %w", ck.Dir, err)
	}
	w := newWeights(ck)
	net := arch(w, c)
	if err := w.finish(); err != nil {
		return nil, err
	}
	m := &Model{ck: ck, net: net, params: w.params, vocab: c.VocabSize, maxPos: c.MaxPositionEmbeddings, defaultR: 1}
	if net.looped {
		m.defaultR = max(1, c.TotalUTSteps)
	}
	if ck.TokenizerJSON != nil {
		if m.tok, err = tokenizer.Parse(ck.TokenizerJSON, ck.Dir+"/tokenizer.json"); err != nil {
			return nil, err
		}
	}
	m.eos = eosIDs(ck, m.tok)
	if b := opts.PrefixCacheBytes; b >= 0 {
		if b == 0 {
			b = DefaultPrefixCacheBytes
		}
		m.prefix = &prefixCache{budget: b}
	}
	m.k = opts.Kernels
	if m.k == nil {
		workers := opts.Workers
		if workers <= 0 {
			workers = runtime.GOMAXPROCS(0)
		}
		path := opts.KernelPath
		if path == "" {
			path = os.Getenv(kernels.EnvVar)
		}
		if m.k, err = kernels.Open(path, workers); err != nil {
			return nil, err
		}
		m.ownK = true
	}
	return m, nil
}

// eosIDs collects the end-of-sequence ids: generation_config.json's
// eos_token_id (int or list) and config.json's, plus, for ChatML
// tokenizers (Ouro, Qwen), the end-of-turn token <|im_end|>.
func eosIDs(ck *checkpoint.Checkpoint, tok *tokenizer.Tokenizer) []int {
	seen := map[int]bool{}
	var out []int
	add := func(ids []int) {
		for _, id := range ids {
			if id >= 0 && !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	if ck.Generation != nil {
		add(ck.Generation.EOSTokenID)
	}
	add(ck.Config.EOSTokenID)
	if tok != nil {
		if id, ok := tok.TokenID("<|im_end|>"); ok {
			add([]int{id})
		}
	}
	return out
}

// Close releases the weights (memory maps) and the kernels the Model owns.
func (m *Model) Close() error {
	if m.ownK {
		m.k.Close()
	}
	return m.ck.Close()
}

// Config returns the checkpoint's configuration (do not modify it).
func (m *Model) Config() *Config { return m.ck.Config }

// Dir returns the directory the model was loaded from.
func (m *Model) Dir() string { return m.ck.Dir }

// Files lists the weight files, relative to Dir.
func (m *Model) Files() []string { return append([]string(nil), m.ck.Files...) }

// Tokenizer returns the checkpoint's tokenizer, or nil when the directory
// has no tokenizer.json (the id-based APIs still work).
func (m *Model) Tokenizer() *tokenizer.Tokenizer { return m.tok }

// Chat returns the chat template configuration from tokenizer_config.json.
// It returns an error when the directory has no tokenizer_config.json, when
// it has no chat template, or when the template cannot be compiled (the
// error names the construct); loading the model does not fail for that.
func (m *Model) Chat() (*chat.Config, error) {
	switch {
	case m.chatErr != nil:
		return nil, m.chatErr
	case m.chat == nil:
		return nil, fmt.Errorf("engine: %s has no tokenizer_config.json", m.ck.Dir)
	case !m.chat.HasTemplate():
		return nil, fmt.Errorf("engine: %s: tokenizer_config.json has no chat_template", m.ck.Dir)
	}
	return m.chat, nil
}

// TokenizerConfigJSON returns tokenizer_config.json verbatim (nil when
// absent), for the chat template.
func (m *Model) TokenizerConfigJSON() []byte { return m.ck.TokenizerConfigJSON }

// NumParams returns the number of weights loaded (a tied head counted once).
func (m *Model) NumParams() int64 { return m.params }

// Looped reports whether the model applies its stack recurrently (Ouro).
func (m *Model) Looped() bool { return m.net.looped }

// DefaultSteps returns the default number of recurrent steps: the config's
// total_ut_steps for looped models, 1 for dense ones.
func (m *Model) DefaultSteps() int { return m.defaultR }

// EOS returns the ids that end generation by default.
func (m *Model) EOS() []int { return append([]int(nil), m.eos...) }

// VocabSize returns the number of logits per position.
func (m *Model) VocabSize() int { return m.vocab }

// Kernels returns the compute implementation in use.
func (m *Model) Kernels() kernels.Kernels { return m.k }

// steps resolves a requested R: ≤ 0 means the default; dense models accept
// only 1.
func (m *Model) steps(R int) (int, error) {
	if R <= 0 {
		return m.defaultR, nil
	}
	if R > checkpoint.MaxSteps {
		return 0, fmt.Errorf("engine: R=%d exceeds the limit of %d recurrent steps", R, checkpoint.MaxSteps)
	}
	if !m.net.looped && R != 1 {
		return 0, fmt.Errorf("engine: %s model has no recurrent steps; R must be 1 (got %d)", m.ck.Config.ModelType, R)
	}
	return R, nil
}

// checkIDs validates token ids against the vocabulary and the context
// length.
func (m *Model) checkIDs(ids []int, total int) error {
	for i, id := range ids {
		if id < 0 || id >= m.vocab {
			return fmt.Errorf("engine: token id %d at position %d is outside the vocabulary [0, %d)", id, i, m.vocab)
		}
	}
	if m.maxPos > 0 && total > m.maxPos {
		return fmt.Errorf("engine: %d tokens exceed max_position_embeddings %d", total, m.maxPos)
	}
	return nil
}
