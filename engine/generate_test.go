package engine

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
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

// cutAtStop is the quadratic reference for stopScanner: text cut before
// the earliest occurrence of any stop string in the whole text.
func cutAtStop(text string, stops []string) (string, bool) {
	best := -1
	for _, s := range stops {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return text, false
	}
	return text[:best], true
}

// TestStopScanner: feeding a text piece by piece to stopScanner gives, at
// every piece, what cutAtStop over the whole text so far gives, including
// stop strings that span pieces and multi-byte characters split between
// tokens (byte-level BPE emits "é" as two tokens).
func TestStopScanner(t *testing.T) {
	split := func(s string, sizes ...int) [][]byte {
		var out [][]byte
		for i := 0; len(s) > 0; i++ {
			n := min(sizes[i%len(sizes)], len(s))
			out = append(out, []byte(s[:n]))
			s = s[n:]
		}
		return out
	}
	for _, c := range []struct {
		name   string
		pieces [][]byte
		stops  []string
		want   string // cut text, or "-" when no stop occurs
	}{
		{"none", split("hello world", 3), []string{"xyz"}, "-"},
		{"within a piece", split("hello world", 20), []string{"o w"}, "hell"},
		{"across pieces", split("hello world", 1), []string{"lo wo"}, "hel"},
		{"earliest of several", split("a stop then STOP", 2), []string{"STOP", "stop"}, "a "},
		{"later stop ends first", split("abcdef", 1), []string{"bcdef", "cd"}, "ab"},
		{"empty stop ignored", split("abc", 1), []string{"", "c"}, "ab"},
		{"multi-byte char split across tokens", split("naïve café", 1), []string{"é"}, "naïve caf"},
		{"3-byte stop char split across pieces", split("日本語", 2), []string{"本"}, "日"},
		{"multi-byte stop spanning pieces", split("x日本語y", 2, 3), []string{"本語"}, "x日"},
		{"prefix of a char does not match another", split("é", 1), []string{"è"}, "-"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newStopScanner(c.stops)
			var text []byte
			got := "-"
			for _, p := range c.pieces {
				text = append(text, p...)
				ref, refOK := cutAtStop(string(text), c.stops)
				cut, ok := s.add(p)
				if ok != refOK || (ok && cut != ref) {
					t.Fatalf("after %q: scanner (%q, %v), reference (%q, %v)", text, cut, ok, ref, refOK)
				}
				if ok {
					got = cut
					break
				}
			}
			if got != c.want {
				t.Errorf("cut %q, want %q", got, c.want)
			}
		})
	}
	if newStopScanner([]string{"", ""}) != nil {
		t.Error("all-empty stops: want no scanner")
	}
}

// TestGenerateStopString: with a stop string taken from the middle of an
// unstopped greedy generation (spanning a token boundary when possible),
// Generate stops at the token that completes its first occurrence and
// cuts the text before it.
func TestGenerateStopString(t *testing.T) {
	m := load(t, filepath.Join("testdata", "golden", "ouro-f32"))
	ctx := context.Background()
	prompt := m.Tokenizer().Encode("Once upon a time")
	full, err := m.Generate(ctx, prompt, GenerateOptions{MaxTokens: 12, StopIDs: []int{}})
	if err != nil {
		t.Fatal(err)
	}
	tok := m.Tokenizer()
	// Pick the bytes around the boundary between tokens 2 and 3.
	if len(full.IDs) < 4 {
		t.Skipf("generation too short: %v", full.IDs)
	}
	b := len(tok.Decode(full.IDs[:3]))
	text := full.Text
	stop := text[max(0, b-2):min(len(text), b+2)]
	cut, ok := cutAtStop(text, []string{stop})
	if !ok {
		t.Fatalf("stop %q not in %q", stop, text)
	}
	g, err := m.Generate(ctx, prompt, GenerateOptions{MaxTokens: 12, StopIDs: []int{}, Stop: []string{"\x00never", stop}})
	if err != nil {
		t.Fatal(err)
	}
	// The first prefix of the ids whose text contains the stop.
	n := 1
	for !strings.Contains(tok.Decode(full.IDs[:n]), stop) {
		n++
	}
	t.Logf("text %q, stop %q, stopped after %d of %d tokens", text, stop, n, len(full.IDs))
	if g.FinishReason != "stop" || g.Text != cut || !slices.Equal(g.IDs, full.IDs[:n]) {
		t.Errorf("stop %q: got %+v, want text %q ids %v", stop, g, cut, full.IDs[:n])
	}
}
