package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// TestGreedyMatchesRecompute: greedy decoding with the cache picks, at
// every step, the argmax of a full recomputation over prompt+generated.
func TestGreedyMatchesRecompute(t *testing.T) {
	for _, a := range []string{"ouro", "qwen2"} {
		t.Run(a, func(t *testing.T) {
			m := load(t, writeSpec(t, enginetest.Tiny(a, safetensors.F32)))
			ctx := context.Background()
			prompt := testIDs[:5]
			g, err := m.Generate(ctx, prompt, GenerateOptions{MaxTokens: 8, StopIDs: []int{}})
			if err != nil {
				t.Fatal(err)
			}
			if len(g.IDs) != 8 || g.FinishReason != "length" {
				t.Fatalf("got %d tokens (%s)", len(g.IDs), g.FinishReason)
			}
			all := append(append([]int(nil), prompt...), g.IDs...)
			tr, err := m.Trace(ctx, all[:len(all)-1], 0)
			if err != nil {
				t.Fatal(err)
			}
			last := tr.Steps[len(tr.Steps)-1]
			for i, id := range g.IDs {
				lp := last.LogProbs[len(prompt)-1+i]
				if best := argmax(lp); best != id {
					t.Fatalf("token %d: generated %d, recompute argmax %d", i, id, best)
				}
				if g.Steps[i] != tr.R {
					t.Errorf("steps %d, want %d", g.Steps[i], tr.R)
				}
			}
		})
	}
}

func TestSamplingDeterministic(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16)))
	ctx := context.Background()
	o := GenerateOptions{Sampling: Sampling{Temperature: 1.5, TopK: 20, TopP: 0.95, MinP: 0.01}, MaxTokens: 12, Seed: 7, StopIDs: []int{}, R: 3}
	a, err := m.Generate(ctx, testIDs[:3], o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Generate(ctx, testIDs[:3], o)
	if len(a.IDs) != 12 || !equalInts(a.IDs, b.IDs) {
		t.Fatalf("same seed: %v vs %v", a.IDs, b.IDs)
	}
	differ := false
	for seed := int64(8); seed < 12 && !differ; seed++ {
		o.Seed = seed
		c, _ := m.Generate(ctx, testIDs[:3], o)
		differ = !equalInts(a.IDs, c.IDs)
	}
	if !differ {
		t.Error("different seeds never changed the sample")
	}
	// Stop on the EOS ids (config eos_token_id 2): force it as the only
	// allowed token with top-k 1 on a logit vector where 2 wins is hard to
	// arrange, so check the stop path with the sampled first token instead.
	first := a.IDs[0]
	o.Seed = 7
	o.StopIDs = []int{first}
	c, _ := m.Generate(ctx, testIDs[:3], o)
	if len(c.IDs) != 0 || c.FinishReason != "stop" || c.StopToken != first {
		t.Errorf("stop id: %+v", c)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSampleFilters(t *testing.T) {
	logits := []float32{0, 1, 2, 3, 4}
	r := rand.New(rand.NewPCG(1, 1))
	buf := make([]cand, 0, 5)
	count := func(s Sampling) map[int]int {
		c := map[int]int{}
		for range 2000 {
			c[s.sample(logits, r, buf)]++
		}
		return c
	}
	if c := count(Sampling{}); c[4] != 2000 {
		t.Errorf("greedy: %v", c)
	}
	if c := count(Sampling{Temperature: 1, TopK: 2}); len(c) != 2 || c[3] == 0 || c[4] == 0 {
		t.Errorf("top-k 2: %v", c)
	}
	// p(4) ≈ 0.636, p(3) ≈ 0.234: top-p 0.8 keeps exactly {4, 3}.
	if c := count(Sampling{Temperature: 1, TopP: 0.8}); len(c) != 2 {
		t.Errorf("top-p 0.8: %v", c)
	}
	// min-p 0.3: keeps tokens with p ≥ 0.3·0.636 = 0.19: {4, 3}.
	if c := count(Sampling{Temperature: 1, MinP: 0.3}); len(c) != 2 {
		t.Errorf("min-p 0.3: %v", c)
	}
	if c := count(Sampling{Temperature: 1}); len(c) != 5 {
		t.Errorf("plain sampling: %v", c)
	}
}

func TestLogLikelihoodPerDepth(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.F32)))
	ctx := context.Background()
	c, cont := testIDs[:4], testIDs[4:8]
	s, err := m.LogLikelihoodIDs(ctx, c, cont, ScoreOptions{R: 4})
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]int(nil), c...), cont...)
	for R := 1; R <= 4; R++ {
		tr, _ := m.Trace(ctx, all, R)
		var want float64
		greedy := true
		for i := range cont {
			lp := tr.Steps[R-1].LogProbs[len(c)-1+i]
			want += float64(lp[cont[i]])
			greedy = greedy && argmax(lp) == cont[i]
		}
		d := s.PerDepth[R-1]
		if d.R != R || math.Abs(d.LogProb-want) > 1e-5 || d.IsGreedy != greedy {
			t.Errorf("depth %d: %+v, want logprob %v greedy %v", R, d, want, greedy)
		}
		if R == 4 && math.Abs(s.LogProb-want) > 1e-5 {
			t.Errorf("LogProb %v, want %v", s.LogProb, want)
		}
	}
	// Adaptive exit: q = 0 exits at step 1 everywhere (CDF(1) = λ_1 ≥ 0),
	// q > 1 never exits early.
	zero, big := 0.0, 2.0
	s0, _ := m.LogLikelihoodIDs(ctx, c, cont, ScoreOptions{R: 4, Q: &zero})
	s2, _ := m.LogLikelihoodIDs(ctx, c, cont, ScoreOptions{R: 4, Q: &big})
	if math.Abs(s0.LogProb-s.PerDepth[0].LogProb) > 1e-9 || s0.Steps[0] != 1 {
		t.Errorf("q=0: %v steps %v, want depth-1 score %v", s0.LogProb, s0.Steps, s.PerDepth[0].LogProb)
	}
	if s2.LogProb != s.LogProb || s2.Steps[0] != 4 {
		t.Errorf("q=2: %v steps %v", s2.LogProb, s2.Steps)
	}
}

func TestExitRule(t *testing.T) {
	p := ExitDistribution([]float64{0.5, 0.5, 0.5, 0.9})
	want := []float64{0.5, 0.25, 0.125, 0.125}
	for i := range p {
		if math.Abs(p[i]-want[i]) > 1e-12 {
			t.Fatalf("pdf %v, want %v", p, want)
		}
	}
	for _, c := range []struct {
		q    float64
		want int
	}{{0, 1}, {0.5, 1}, {0.6, 2}, {0.75, 2}, {0.8, 3}, {0.875, 3}, {0.9, 4}, {1, 4}} {
		if got := ExitStep(p, c.q); got != c.want {
			t.Errorf("q=%v: step %d, want %d", c.q, got, c.want)
		}
	}
}

func TestSplitContextAndWindows(t *testing.T) {
	for _, c := range []struct{ ctx, cont, wc, wk string }{
		{"Question: 2+2?\nAnswer: ", "4", "Question: 2+2?\nAnswer:", " 4"},
		{"a\n\n", "b", "a", "\n\nb"},
		{"x", " y", "x", " y"},
		{"x\x1f\u00a0", "y", "x", "\x1f\u00a0y"},
	} {
		a, b := SplitContext(c.ctx, c.cont)
		if a != c.wc || b != c.wk {
			t.Errorf("SplitContext(%q, %q) = %q, %q", c.ctx, c.cont, a, b)
		}
	}
	ids := []int{10, 11, 12, 13, 14, 15, 16}
	ws := rollingWindows(ids, 0, 3)
	var pred []int
	for _, w := range ws {
		if len(w.context)+len(w.continuation)-1 > 3 {
			t.Errorf("window %+v needs more than 3 inputs", w)
		}
		pred = append(pred, w.continuation...)
	}
	if !equalInts(pred, ids) || ws[0].context[0] != 0 || !equalInts(ws[1].context, []int{12}) {
		t.Errorf("windows %+v", ws)
	}
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.F32)))
	ctx := context.Background()
	// Rolling over one window equals the log-likelihood given the prefix.
	r1, err := m.RollingIDs(ctx, testIDs, ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	l1, _ := m.LogLikelihoodIDs(ctx, []int{1}, testIDs, ScoreOptions{})
	if math.Abs(r1.LogProb-l1.LogProb) > 1e-9 || r1.Tokens != len(testIDs) || len(r1.PerDepth) != 4 {
		t.Errorf("rolling %+v vs %+v", r1, l1)
	}
	r3, _ := m.RollingIDs(ctx, testIDs, ScoreOptions{MaxLength: 3})
	if r3.Tokens != len(testIDs) || r3.LogProb >= 0 {
		t.Errorf("rolling windows of 3: %+v", r3)
	}
	if _, err := m.LogLikelihood(ctx, "a", "b", ScoreOptions{}); err == nil || !strings.Contains(err.Error(), "no tokenizer") {
		t.Errorf("no tokenizer: %v", err)
	}
}
