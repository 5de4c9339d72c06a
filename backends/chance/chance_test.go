package chance

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ouroeval/ouroeval/backends"
)

func TestOpen(t *testing.T) {
	var r backends.Registry
	r.Register("chance", Open)
	tests := []struct {
		spec    string
		fp      string
		wantErr string
	}{
		{"chance", "chance-v1/seed=0", ""},
		{"chance?seed=7", "chance-v1/seed=7", ""},
		{"chance?seed=x", "", "seed must be"},
		{"chance?temp=1", "", "unknown parameter"},
		{"chance:foo", "", "takes no target"},
	}
	for _, tt := range tests {
		b, err := r.Open(context.Background(), tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Open(%q) error = %v, want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Open(%q): %v", tt.spec, err)
		}
		if id := b.Identity(); id.Kind != "chance" || id.Fingerprint != tt.fp {
			t.Errorf("Open(%q).Identity() = %+v, want fingerprint %q", tt.spec, id, tt.fp)
		}
	}
}

// TestArgmaxUniform checks that, over many 4-choice documents, each choice
// position wins about a quarter of the time (a chi-square test at a
// generous threshold).
func TestArgmaxUniform(t *testing.T) {
	b := New(1)
	ctx := context.Background()
	const docs, k = 8000, 4
	var wins [k]int
	for d := 0; d < docs; d++ {
		best, bi := math.Inf(-1), -1
		for c := 0; c < k; c++ {
			r, err := b.LogLikelihood(ctx, &backends.LogLikelihoodRequest{
				Context:      fmt.Sprintf("Question %d: which?\nAnswer:", d),
				Continuation: fmt.Sprintf(" choice %c", 'A'+c),
			})
			if err != nil {
				t.Fatal(err)
			}
			if r.LogProb > 0 || math.IsInf(r.LogProb, 0) || math.IsNaN(r.LogProb) {
				t.Fatalf("logprob %v out of range", r.LogProb)
			}
			if r.LogProb > best {
				best, bi = r.LogProb, c
			}
		}
		wins[bi]++
	}
	exp := float64(docs) / k
	chi := 0.0
	for _, w := range wins {
		chi += (float64(w) - exp) * (float64(w) - exp) / exp
	}
	// 3 degrees of freedom: P(chi2 > 16.27) = 0.001.
	if chi > 16.27 {
		t.Errorf("argmax positions %v are not uniform (chi2 = %.2f)", wins, chi)
	}
}

// TestDeterministicUnderConcurrency checks that answers depend only on the
// seed and the request, not on order or concurrency.
func TestDeterministicUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	reqs := make([]*backends.GenerateRequest, 200)
	for i := range reqs {
		reqs[i] = &backends.GenerateRequest{Prompt: fmt.Sprintf("What is %d plus %d? Options: 3, 5, 8.", i, i+1), N: 3, Seed: int64(i % 3)}
	}
	seq := make([]*backends.GenerateResponse, len(reqs))
	b := New(42)
	for i := len(reqs) - 1; i >= 0; i-- {
		r, err := b.Generate(ctx, reqs[i])
		if err != nil {
			t.Fatal(err)
		}
		seq[i] = r
	}
	par := make([]*backends.GenerateResponse, len(reqs))
	var wg sync.WaitGroup
	b2 := New(42)
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := b2.Generate(ctx, reqs[i])
			if err != nil {
				t.Error(err)
				return
			}
			par[i] = r
		}()
	}
	wg.Wait()
	for i := range reqs {
		if !reflect.DeepEqual(seq[i].Completions, par[i].Completions) {
			t.Fatalf("request %d: sequential %v != concurrent %v", i, seq[i].Completions, par[i].Completions)
		}
		words := Words(reqs[i].Prompt)
		for _, c := range seq[i].Completions {
			found := false
			for _, w := range words {
				found = found || w == c.Text
			}
			if !found {
				t.Errorf("request %d: completion %q is not a word of the prompt", i, c.Text)
			}
		}
	}
	other, _ := New(43).Generate(ctx, reqs[0])
	same := true
	for i := range reqs {
		o, _ := New(43).Generate(ctx, reqs[i])
		same = same && reflect.DeepEqual(o.Completions, seq[i].Completions)
	}
	if same {
		t.Errorf("seed 43 gave the same answers as seed 42 on all %d requests (first: %v)", len(reqs), other.Completions)
	}
}

func TestGenerateEdges(t *testing.T) {
	ctx := context.Background()
	b := New(0)
	tests := []struct {
		name string
		req  backends.GenerateRequest
		want func(backends.Completion) bool
	}{
		{"empty prompt", backends.GenerateRequest{}, func(c backends.Completion) bool { return c.Text == "" }},
		{"stop", backends.GenerateRequest{Prompt: "abcXdef", Stop: []string{"X"}}, func(c backends.Completion) bool { return c.Text == "abc" }},
		{"max tokens", backends.GenerateRequest{Prompt: "abcdef", MaxTokens: 2}, func(c backends.Completion) bool { return c.Text == "ab" && c.FinishReason == "length" }},
		{"chat", backends.GenerateRequest{Messages: []backends.Message{{Role: "user", Content: "only"}}}, func(c backends.Completion) bool { return c.Text == "only" }},
	}
	for _, tt := range tests {
		r, err := b.Generate(ctx, &tt.req)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(r.Completions) != 1 || !tt.want(r.Completions[0]) {
			t.Errorf("%s: got %+v", tt.name, r.Completions)
		}
	}
}

func TestRollingIsEightBitsPerByte(t *testing.T) {
	r, err := New(0).Rolling(context.Background(), &backends.RollingRequest{Text: "héllo"})
	if err != nil {
		t.Fatal(err)
	}
	bpb := -r.LogProb / math.Ln2 / float64(r.Bytes)
	if r.Bytes != 6 || math.Abs(bpb-8) > 1e-12 {
		t.Errorf("bytes=%d bits/byte=%v, want 6 and 8", r.Bytes, bpb)
	}
}

func TestWords(t *testing.T) {
	got := Words("Is it -3, (x) or 'y'?  ... 4.")
	want := []string{"Is", "it", "-3", "x", "or", "y", "4"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Words = %q, want %q", got, want)
	}
	for _, s := range []string{"", "  ", "a", "... , ;", "x -- -y -", "+ 7 + - 21 11 7 =", "Q: (a) b? c!\n\td"} {
		ws := Words(s)
		if countWords(s) != len(ws) {
			t.Errorf("countWords(%q) = %d, want %d", s, countWords(s), len(ws))
		}
		for k, w := range ws {
			if got := nthWord(s, k); got != w {
				t.Errorf("nthWord(%q, %d) = %q, want %q", s, k, got, w)
			}
		}
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := New(0).LogLikelihood(ctx, &backends.LogLikelihoodRequest{}); err == nil {
		t.Error("LogLikelihood on a canceled context succeeded")
	}
}
