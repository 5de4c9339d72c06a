package engine

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouroeval/ouroeval/backends"
)

// golden returns a tiny checkpoint (with a small tokenizer) committed by the
// reference engineer.
func golden(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "engine", "testdata", "golden", name)
}

func open(t *testing.T, spec string) backends.Backend {
	t.Helper()
	var r backends.Registry
	r.Register("engine", Open)
	b, err := r.Open(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestLooped(t *testing.T) {
	ctx := context.Background()
	b := open(t, "engine:"+golden(t, "ouro-f32")+"?R=3&kernels=generic&name=tiny-ouro")
	id := b.Identity()
	if id.Kind != "engine" || id.Name != "tiny-ouro" || !strings.HasPrefix(id.Fingerprint, "sha256:") || id.Params == 0 {
		t.Errorf("identity %+v", id)
	}
	if c := b.Capabilities(); !c.Looped || !c.PerDepth || !c.StepsReported || !c.LogLikelihood || !c.Generate {
		t.Errorf("capabilities %+v", c)
	}
	ll, err := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "The cat sat on the ", Continuation: "mat"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ll.PerDepth) != 3 || ll.PerDepth[2].LogProb != ll.LogProb || ll.Tokens == 0 || len(ll.Usage.Steps) != ll.Tokens || ll.Usage.Steps[0] != 3 {
		t.Errorf("loglikelihood %+v", ll)
	}
	// Request options override the spec's R.
	ll5, err := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "The cat sat on the ", Continuation: "mat", Options: backends.Options{R: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ll5.PerDepth) != 5 || math.Abs(ll5.PerDepth[2].LogProb-ll.LogProb) > 1e-9 {
		t.Errorf("R=5 per-depth %+v vs R=3 %v", ll5.PerDepth, ll.LogProb)
	}
	g, err := b.Generate(ctx, &backends.GenerateRequest{Prompt: "Once upon a time", MaxTokens: 5, Temperature: 0.8, Seed: 3, N: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Completions) != 2 || g.Usage.PromptTokens == 0 {
		t.Fatalf("generate %+v", g)
	}
	for _, c := range g.Completions {
		if c.Tokens > 5 || len(c.Steps) != c.Tokens {
			t.Errorf("completion %+v", c)
		}
	}
	again, _ := b.Generate(ctx, &backends.GenerateRequest{Prompt: "Once upon a time", MaxTokens: 5, Temperature: 0.8, Seed: 3, N: 2})
	if again.Completions[1].Text != g.Completions[1].Text {
		t.Error("same seed, different text")
	}
	gg, err := b.Generate(ctx, &backends.GenerateRequest{Prompt: "Once upon a time", MaxTokens: 4, N: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(gg.Completions) != 3 || gg.Completions[2].Text != gg.Completions[0].Text || gg.Usage.CompletionTokens != 3*gg.Completions[0].Tokens || len(gg.Usage.Steps) != gg.Usage.CompletionTokens {
		t.Errorf("greedy N=3: %+v", gg)
	}
	r, err := b.Rolling(ctx, &backends.RollingRequest{Text: "hello world, hello"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Bytes != 18 || r.Tokens == 0 || len(r.PerDepth) != 3 || r.LogProb >= 0 {
		t.Errorf("rolling %+v", r)
	}
	q := 0.0
	lq, _ := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "The cat sat on the ", Continuation: "mat", Options: backends.Options{Q: &q}})
	if lq.Usage.Steps[0] != 1 || lq.LogProb != lq.PerDepth[0].LogProb {
		t.Errorf("q=0: %+v", lq)
	}
	if _, err := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "a", Continuation: "b", Options: backends.Options{KV: "last"}}); err == nil {
		t.Error("kv=last accepted")
	}
	if !b.Capabilities().Chat {
		t.Error("ouro-f32 has a ChatML template but Chat is false")
	}
	// Chat: the rendered ChatML prompt is what gets tokenized.
	msgs := []backends.Message{{Role: "user", Content: "hi"}}
	gc, err := b.Generate(ctx, &backends.GenerateRequest{Messages: msgs, MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	m := b.(*Backend).Model()
	want := len(m.Tokenizer().Encode("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"))
	if gc.Usage.PromptTokens != want {
		t.Errorf("chat prompt tokens %d, want %d", gc.Usage.PromptTokens, want)
	}
	nb := New(m, "x", "y", 0, nil, nil)
	if _, err := nb.Generate(ctx, &backends.GenerateRequest{Messages: msgs}); !errors.Is(err, backends.ErrUnsupported) {
		t.Errorf("chat without renderer: %v", err)
	}
}

func TestOpenFS(t *testing.T) {
	dir := golden(t, "ouro-f32")
	spec, _ := backends.ParseSpec("micro?R=2&kernels=generic")
	b, err := OpenFS(context.Background(), os.DirFS(filepath.Dir(dir)), "ouro-f32", spec)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	d := open(t, "engine:"+dir+"?kernels=generic")
	if b.Identity().Fingerprint != d.Identity().Fingerprint || b.Identity().Name != "ouro-f32" {
		t.Errorf("OpenFS identity %+v vs Open %+v", b.Identity(), d.Identity())
	}
	if !b.Capabilities().Chat || b.R != 2 {
		t.Errorf("OpenFS backend: chat %v R %d", b.Capabilities().Chat, b.R)
	}
}

func TestDense(t *testing.T) {
	b := open(t, "engine:"+golden(t, "qwen2-f32")+"?kernels=generic")
	if c := b.Capabilities(); c.Looped || c.PerDepth {
		t.Errorf("capabilities %+v", c)
	}
	ll, err := b.LogLikelihood(context.Background(), &backends.LogLikelihoodRequest{Context: "x", Continuation: " y"})
	if err != nil || ll.PerDepth != nil || ll.Usage.Steps != nil {
		t.Errorf("%+v %v", ll, err)
	}
	if _, err := b.LogLikelihood(context.Background(), &backends.LogLikelihoodRequest{Context: "x", Continuation: " y", Options: backends.Options{R: 2}}); err == nil {
		t.Error("R=2 on a dense model accepted")
	}
}

func TestSpecErrors(t *testing.T) {
	var r backends.Registry
	r.Register("engine", Open)
	for spec, want := range map[string]string{
		"engine": "missing checkpoint path",
		"engine:" + golden(t, "ouro-f32") + "?R=0":    "positive integer",
		"engine:" + golden(t, "ouro-f32") + "?q=2":    "[0, 1]",
		"engine:" + golden(t, "ouro-f32") + "?kv=avg": "not implemented",
		"engine:" + golden(t, "ouro-f32") + "?foo=1":  "unknown parameter",
		"engine:" + golden(t, "qwen2-f32") + "?R=2":   "not a looped model",
		"engine:/nonexistent/dir":                     "config.json",
	} {
		if _, err := r.Open(context.Background(), spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
}

// goldenFS returns the golden ouro checkpoint as directory "tiny" of an
// in-memory file system, its config.json edited by edit (nil: as is).
func goldenFS(t *testing.T, edit func(cfg map[string]any)) fstest.MapFS {
	t.Helper()
	dir := golden(t, "ouro-f32")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "config.json" && edit != nil {
			var cfg map[string]any
			if err := json.Unmarshal(data, &cfg); err != nil {
				t.Fatal(err)
			}
			edit(cfg)
			if data, err = json.Marshal(cfg); err != nil {
				t.Fatal(err)
			}
		}
		fsys["tiny/"+e.Name()] = &fstest.MapFile{Data: data}
	}
	fsys["notes/README"] = &fstest.MapFile{Data: []byte("not a checkpoint")}
	return fsys
}

func TestOpenerEmbedded(t *testing.T) {
	fsys := goldenFS(t, nil)
	tests := []struct {
		name     string
		embedded fs.FS
		spec     string
		want     string // error substring; "" = opens
		wantName string
	}{
		{"embedded", fsys, "engine:embedded:tiny?kernels=generic", "", "tiny"},
		{"embedded with name", fsys, "engine:embedded:tiny?kernels=generic&name=t2", "", "t2"},
		{"disk path still works", fsys, "engine:" + golden(t, "ouro-f32") + "?kernels=generic", "", "ouro-f32"},
		{"unknown name lists the embedded ones", fsys, "engine:embedded:huge", `no embedded model "huge" (embedded: tiny)`, ""},
		{"directory without config.json", fsys, "engine:embedded:notes", `no embedded model "notes" (embedded: tiny)`, ""},
		{"nothing embedded", nil, "engine:embedded:tiny", "this binary embeds no models", ""},
		{"bad parameter", fsys, "engine:embedded:tiny?R=0", "positive integer", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r backends.Registry
			r.Register("engine", Opener(tt.embedded))
			b, err := r.Open(context.Background(), tt.spec)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("Open(%q) error = %v, want %q", tt.spec, err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if got := b.Identity().Name; got != tt.wantName {
				t.Errorf("name %q, want %q", got, tt.wantName)
			}
		})
	}
}

// TestOneStepOuroIsDense: an ouro checkpoint exported with
// total_ut_steps 1 (a dense baseline) is not looped, so a sweep's R and q
// do not loop it; the same weights with total_ut_steps 4 are.
func TestOneStepOuroIsDense(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		steps  float64
		looped bool
	}{{1, false}, {2, true}, {4, true}}
	for _, tt := range tests {
		fsys := goldenFS(t, func(cfg map[string]any) { cfg["total_ut_steps"] = tt.steps })
		spec, _ := backends.ParseSpec("engine:embedded:tiny?kernels=generic")
		b, err := OpenFS(ctx, fsys, "tiny", spec)
		if err != nil {
			t.Fatal(err)
		}
		c := b.Capabilities()
		if c.Looped != tt.looped || c.PerDepth != tt.looped || c.StepsReported != tt.looped {
			t.Errorf("total_ut_steps %v: capabilities %+v, want looped %v", tt.steps, c, tt.looped)
		}
		ll, err := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "x", Continuation: " y"})
		if err != nil {
			t.Fatal(err)
		}
		if got := ll.Usage.Steps != nil; got != tt.looped {
			t.Errorf("total_ut_steps %v: steps reported %v, want %v", tt.steps, got, tt.looped)
		}
		_, err = b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{Context: "x", Continuation: " y", Options: backends.Options{R: 2}})
		if (err == nil) != tt.looped {
			t.Errorf("total_ut_steps %v: R=2 error %v, want error %v", tt.steps, err, !tt.looped)
		}
		if !tt.looped {
			spec, _ := backends.ParseSpec("engine:embedded:tiny?R=2")
			if _, err := OpenFS(ctx, fsys, "tiny", spec); err == nil || !strings.Contains(err.Error(), "not a looped model") {
				t.Errorf("total_ut_steps 1 with R=2 in the spec: %v", err)
			}
		}
		b.Close()
	}
}
