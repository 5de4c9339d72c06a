// Package engine adapts the built-in inference engine (package
// github.com/ouroeval/ouroeval/engine) to the backends vocabulary.
//
// Model spec: engine:PATH[?R=4&q=0.9&kv=full&kernels=auto&workers=2&name=NAME&nan_check=false]
//
//   - PATH: a Hugging Face checkpoint directory, or embedded:NAME for a
//     checkpoint embedded in the binary (see Opener).
//   - R: default recurrent steps for requests that do not set Options.R
//     (looped models; default total_ut_steps).
//   - q: default adaptive exit threshold for requests that do not set
//     Options.Q (selection: all steps are computed; the Q-exit step is
//     reported in Usage.Steps).
//   - kv: KV strategy; only "full" is implemented.
//   - kernels: kernel path (see kernels.Paths); workers: pool size.
//   - name: the model's display name (default: the directory's base name).
//   - nan_check=false skips the load-time NaN/Inf scan.
//
// OpenFS serves checkpoints from an fs.FS (micro models embedded in the
// binary) with the same parameters, and Opener routes the spec
// engine:embedded:NAME (EmbeddedPrefix) to directory NAME of such a file
// system, so this package need not know which models a binary embeds.
//
// An ouro checkpoint whose total_ut_steps is 1 (a dense baseline exported
// with the looped architecture) is served as a non-looped model: it
// reports Capabilities().Looped false and rejects R > 1, so a sweep's R
// and q do not loop it.
package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/engine"
	"github.com/ouroeval/ouroeval/engine/chat"
)

// ChatRenderer renders chat messages into a prompt with the model's chat
// template (implemented by the engine's chat package).
type ChatRenderer interface {
	Render(messages []backends.Message, addGenerationPrompt bool) (string, error)
}

// Backend serves requests from one loaded engine.Model. It is safe for
// concurrent use.
type Backend struct {
	m    *engine.Model
	id   backends.Identity
	R    int
	Q    *float64
	chat ChatRenderer
}

// New wraps a loaded model. name and fingerprint form the identity; R and
// q are the defaults for requests that leave them unset (0 / nil: the
// model's). chat may be nil (no chat requests).
func New(m *engine.Model, name, fingerprint string, R int, q *float64, chat ChatRenderer) *Backend {
	return &Backend{m: m, R: R, Q: q, chat: chat, id: backends.Identity{
		Kind: "engine", Name: name, Fingerprint: fingerprint, Params: m.NumParams(),
	}}
}

// EmbeddedPrefix starts the target of a spec served from the file system
// given to Opener: engine:embedded:NAME.
const EmbeddedPrefix = "embedded:"

// Opener returns the backends.Opener for "engine:" specs: targets
// "embedded:NAME" open directory NAME of embedded (e.g. the micro models
// of package models), every other target is a checkpoint directory on
// disk (Open). embedded may be nil (no embedded models).
func Opener(embedded fs.FS) backends.Opener {
	return func(ctx context.Context, spec backends.Spec) (backends.Backend, error) {
		name, ok := strings.CutPrefix(spec.Target, EmbeddedPrefix)
		if !ok {
			return Open(ctx, spec)
		}
		names, err := EmbeddedNames(embedded)
		if err != nil {
			return nil, fmt.Errorf("engine: model spec %q: %v", spec.Raw, err)
		}
		if !slices.Contains(names, name) {
			if len(names) == 0 {
				return nil, fmt.Errorf("engine: model spec %q: this binary embeds no models", spec.Raw)
			}
			return nil, fmt.Errorf("engine: model spec %q: no embedded model %q (embedded: %s)", spec.Raw, name, strings.Join(names, ", "))
		}
		return OpenFS(ctx, embedded, name, spec)
	}
}

// EmbeddedNames lists the checkpoints at the top of fsys: the directories
// holding a config.json, sorted. A nil fsys has none.
func EmbeddedNames(fsys fs.FS) ([]string, error) {
	if fsys == nil {
		return nil, nil
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("listing embedded models: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := fs.Stat(fsys, path.Join(e.Name(), "config.json")); err == nil {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Open is the backends.Opener for "engine:" specs naming a checkpoint
// directory on disk.
func Open(ctx context.Context, spec backends.Spec) (backends.Backend, error) {
	if spec.Target == "" {
		return nil, fmt.Errorf("engine: model spec %q: missing checkpoint path (engine:path/to/checkpoint)", spec.Raw)
	}
	p, err := parseParams(spec, filepath.Base(filepath.Clean(spec.Target)))
	if err != nil {
		return nil, err
	}
	m, err := engine.Load(ctx, spec.Target, p.opts)
	if err != nil {
		return nil, err
	}
	return finish(ctx, m, spec, p, func() (string, error) { return Fingerprint(ctx, m) })
}

// OpenFS opens the checkpoint in directory dir of fsys (e.g. a micro
// model embedded with go:embed) with the parameters of spec (R, q, kv,
// kernels, workers, name, nan_check; spec.Target is ignored). The default
// name is dir's base name; the fingerprint hashes the checkpoint's files in
// fsys.
func OpenFS(ctx context.Context, fsys fs.FS, dir string, spec backends.Spec) (*Backend, error) {
	p, err := parseParams(spec, path.Base(dir))
	if err != nil {
		return nil, err
	}
	m, err := engine.LoadFS(ctx, fsys, dir, p.opts)
	if err != nil {
		return nil, err
	}
	return finish(ctx, m, spec, p, func() (string, error) { return FingerprintFS(ctx, fsys, dir, m.Files()) })
}

type params struct {
	opts engine.LoadOptions
	R    int
	q    *float64
	name string
}

func parseParams(spec backends.Spec, name string) (params, error) {
	p := params{name: name}
	for k, vs := range spec.Params {
		v := vs[len(vs)-1]
		bad := func(err error) error {
			return fmt.Errorf("engine: model spec %q: parameter %s=%q: %v", spec.Raw, k, v, err)
		}
		switch k {
		case "R":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return p, bad(errors.New("must be a positive integer"))
			}
			p.R = n
		case "q":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				return p, bad(errors.New("must be a number in [0, 1]"))
			}
			p.q = &f
		case "kv":
			if err := checkKV(v); err != nil {
				return p, bad(err)
			}
		case "kernels":
			p.opts.KernelPath = v
		case "workers":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return p, bad(errors.New("must be a positive integer"))
			}
			p.opts.Workers = n
		case "name":
			p.name = v
		case "nan_check":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return p, bad(err)
			}
			p.opts.SkipNonFiniteCheck = !b
		default:
			return p, fmt.Errorf("engine: model spec %q: unknown parameter %q (known: R, q, kv, kernels, workers, name, nan_check)", spec.Raw, k)
		}
	}
	return p, nil
}

func finish(ctx context.Context, m *engine.Model, spec backends.Spec, p params, fingerprint func() (string, error)) (*Backend, error) {
	if p.R > 1 && !looped(m) {
		m.Close()
		return nil, fmt.Errorf("engine: model spec %q: R=%d but %s is not a looped model", spec.Raw, p.R, m.Dir())
	}
	fp, err := fingerprint()
	if err != nil {
		m.Close()
		return nil, err
	}
	return NewModel(m, p.name, fp, p.R, p.q), nil
}

// NewModel is New with the model's own chat template (when it has one).
func NewModel(m *engine.Model, name, fingerprint string, R int, q *float64) *Backend {
	var cr ChatRenderer
	if c, err := m.Chat(); err == nil {
		cr = chatRenderer{c}
	}
	return New(m, name, fingerprint, R, q, cr)
}

// chatRenderer renders with the checkpoint's chat template.
type chatRenderer struct{ c *chat.Config }

func (r chatRenderer) Render(messages []backends.Message, addGenerationPrompt bool) (string, error) {
	ms := make([]chat.Message, len(messages))
	for i, m := range messages {
		ms[i] = chat.Message{Role: m.Role, Content: m.Content}
	}
	return r.c.Render(ms, chat.RenderOptions{AddGenerationPrompt: addGenerationPrompt})
}

func checkKV(kv string) error {
	if kv == "" || kv == "full" {
		return nil
	}
	return fmt.Errorf("KV strategy %q is not implemented (implemented: full)", kv)
}

// Fingerprint hashes the checkpoint of a model loaded from a directory:
// SHA-256 over the name and contents of config.json,
// generation_config.json, the tokenizer files, the shard index and every
// weight file, in a fixed order.
func Fingerprint(ctx context.Context, m *engine.Model) (string, error) {
	return FingerprintFS(ctx, os.DirFS(m.Dir()), ".", m.Files())
}

// FingerprintFS is Fingerprint for the checkpoint in directory dir of fsys
// with the given weight files.
func FingerprintFS(ctx context.Context, fsys fs.FS, dir string, weightFiles []string) (string, error) {
	h := sha256.New()
	files := []string{"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json"}
	files = append(files, weightFiles...)
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fh, err := fsys.Open(path.Join(dir, f))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("engine: fingerprint: %w", err)
		}
		fmt.Fprintf(h, "%s\x00", f)
		_, err = io.Copy(h, fh)
		fh.Close()
		if err != nil {
			return "", fmt.Errorf("engine: fingerprint %s: %w", f, err)
		}
		h.Write([]byte{0})
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// looped reports whether m is served as a looped model: a looped
// architecture trained with more than one recurrent step. An ouro
// checkpoint with total_ut_steps 1 is a dense baseline.
func looped(m *engine.Model) bool { return m.Looped() && m.DefaultSteps() > 1 }

// Model returns the wrapped model.
func (b *Backend) Model() *engine.Model { return b.m }

// Identity implements backends.Backend.
func (b *Backend) Identity() backends.Identity { return b.id }

// Capabilities implements backends.Backend.
func (b *Backend) Capabilities() backends.Capabilities {
	lp := looped(b.m)
	hasTok := b.m.Tokenizer() != nil
	return backends.Capabilities{
		Generate: hasTok, LogLikelihood: hasTok, Rolling: hasTok, Chat: hasTok && b.chat != nil,
		Looped: lp, PerDepth: lp, StepsReported: lp,
		// The kernels already use every core for one request.
		MaxConcurrency: 1,
	}
}

// resolve applies the backend defaults to request options.
func (b *Backend) resolve(o backends.Options) (int, *float64, error) {
	if err := checkKV(o.KV); err != nil {
		return 0, nil, fmt.Errorf("engine: %v", err)
	}
	R, q := o.R, o.Q
	if R == 0 {
		R = b.R
	}
	if q == nil {
		q = b.Q
	}
	if !looped(b.m) {
		if R > 1 {
			return 0, nil, fmt.Errorf("engine: R=%d requested but %s is not a looped model", R, b.id.Name)
		}
		R, q = 1, nil
	}
	if q != nil && (*q < 0 || *q > 1) {
		return 0, nil, fmt.Errorf("engine: exit threshold q=%v outside [0, 1]", *q)
	}
	return R, q, nil
}

func (b *Backend) needTokenizer(kind backends.Kind) error {
	if b.m.Tokenizer() == nil {
		return fmt.Errorf("engine: %s: %s has no tokenizer.json: %w", kind, b.id.Name, backends.ErrUnsupported)
	}
	return nil
}

// DefaultMaxTokens bounds generation when a request leaves MaxTokens at 0
// (lm-eval's default max_gen_toks).
const DefaultMaxTokens = 256

// Generate implements backends.Backend. Sample i of N uses seed Seed+i;
// MaxTokens 0 means DefaultMaxTokens.
func (b *Backend) Generate(ctx context.Context, req *backends.GenerateRequest) (*backends.GenerateResponse, error) {
	start := time.Now()
	if err := b.needTokenizer(backends.KindGenerate); err != nil {
		return nil, err
	}
	R, q, err := b.resolve(req.Options)
	if err != nil {
		return nil, err
	}
	prompt := req.Prompt
	if len(req.Messages) > 0 {
		if b.chat == nil {
			why := "no chat template renderer"
			if _, err := b.m.Chat(); err != nil {
				why = err.Error()
			}
			return nil, fmt.Errorf("engine: chat request but %s cannot render chat (%s): %w", b.id.Name, why, backends.ErrUnsupported)
		}
		if prompt, err = b.chat.Render(req.Messages, true); err != nil {
			return nil, fmt.Errorf("engine: chat template: %w", err)
		}
	}
	ids := b.m.Tokenizer().Encode(prompt)
	n := max(1, req.N)
	maxTokens := req.MaxTokens
	if maxTokens <= 0 {
		maxTokens = DefaultMaxTokens
	}
	resp := &backends.GenerateResponse{Usage: backends.Usage{PromptTokens: len(ids)}}
	var greedy *engine.Generation // temperature 0: every sample is the same
	for i := range n {
		if greedy != nil {
			c := resp.Completions[0]
			resp.Completions = append(resp.Completions, c)
			resp.Usage.CompletionTokens += c.Tokens
			resp.Usage.Steps = append(resp.Usage.Steps, c.Steps...)
			continue
		}
		g, err := b.m.Generate(ctx, ids, engine.GenerateOptions{
			Sampling:  engine.Sampling{Temperature: req.Temperature, TopK: req.TopK, TopP: req.TopP, MinP: req.MinP},
			MaxTokens: maxTokens, Seed: req.Seed + int64(i), Stop: req.Stop, R: R, Q: q,
		})
		if err != nil {
			return nil, err
		}
		c := backends.Completion{Text: g.Text, FinishReason: g.FinishReason, Tokens: len(g.IDs)}
		if looped(b.m) {
			c.Steps = g.Steps
			resp.Usage.Steps = append(resp.Usage.Steps, g.Steps...)
		}
		resp.Completions = append(resp.Completions, c)
		resp.Usage.CompletionTokens += len(g.IDs)
		if req.Temperature <= 0 {
			greedy = g
		}
	}
	resp.Usage.Latency = time.Since(start)
	return resp, nil
}

func perDepth(ds []engine.DepthScore) []backends.DepthScore {
	if ds == nil {
		return nil
	}
	out := make([]backends.DepthScore, len(ds))
	for i, d := range ds {
		out[i] = backends.DepthScore{R: d.R, LogProb: d.LogProb, IsGreedy: d.IsGreedy}
	}
	return out
}

// LogLikelihood implements backends.Backend with lm-eval's tokenization
// convention; looped models also return every depth 1..R (PerDepth).
func (b *Backend) LogLikelihood(ctx context.Context, req *backends.LogLikelihoodRequest) (*backends.LogLikelihoodResponse, error) {
	start := time.Now()
	if err := b.needTokenizer(backends.KindLogLikelihood); err != nil {
		return nil, err
	}
	R, q, err := b.resolve(req.Options)
	if err != nil {
		return nil, err
	}
	s, err := b.m.LogLikelihood(ctx, req.Context, req.Continuation, engine.ScoreOptions{R: R, Q: q})
	if err != nil {
		return nil, err
	}
	resp := &backends.LogLikelihoodResponse{LogProb: s.LogProb, IsGreedy: s.IsGreedy, Tokens: s.Tokens,
		PerDepth: perDepth(s.PerDepth),
		Usage:    backends.Usage{PromptTokens: s.InputTokens, Latency: time.Since(start)}}
	if looped(b.m) {
		resp.Usage.Steps = s.Steps
	}
	return resp, nil
}

// Rolling implements backends.Backend.
func (b *Backend) Rolling(ctx context.Context, req *backends.RollingRequest) (*backends.RollingResponse, error) {
	start := time.Now()
	if err := b.needTokenizer(backends.KindRolling); err != nil {
		return nil, err
	}
	R, q, err := b.resolve(req.Options)
	if err != nil {
		return nil, err
	}
	s, err := b.m.Rolling(ctx, req.Text, engine.ScoreOptions{R: R, Q: q})
	if err != nil {
		return nil, err
	}
	resp := &backends.RollingResponse{LogProb: s.LogProb, Tokens: s.Tokens, Bytes: len(req.Text),
		PerDepth: perDepth(s.PerDepth),
		Usage:    backends.Usage{PromptTokens: s.InputTokens, Latency: time.Since(start)}}
	if looped(b.m) {
		resp.Usage.Steps = s.Steps
	}
	return resp, nil
}

// Close releases the model.
func (b *Backend) Close() error { return b.m.Close() }
