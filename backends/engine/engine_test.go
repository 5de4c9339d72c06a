package engine

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

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
