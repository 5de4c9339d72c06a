package engine_test

// Golden tests: the engine against the PyTorch reference in engine/reference
// (outputs in testdata/golden, format in testdata/golden/FORMAT.md). Every
// checkpoint is checked with every kernel path this machine can run
// (generic; avx512 and avx512-exact when the CPU has AVX-512 BF16), or only
// with the path named by $OUROEVAL_KERNELS when it is set.
//
// Tolerances (engine/reference/README.md explains them): max |Δ log-prob|
// 1e-4 with F32 weights and 2e-3 with BF16 weights; |Δ λ| and |Δ p_exit|
// 1e-5 for both; greedy continuations identical; cached decode equal to full
// recomputation.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/engine"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/tokenizer"
	"github.com/ouroeval/ouroeval/internal/shareddata"
)

const goldenDir = "testdata/golden"

type goldenFile struct {
	Format         int                `json:"format"`
	Checkpoint     string             `json:"checkpoint"`
	Arch           string             `json:"arch"`
	WeightsDType   string             `json:"weights_dtype"`
	Compute        string             `json:"compute"`
	VocabSize      int                `json:"vocab_size"`
	Looped         bool               `json:"looped"`
	TotalUTSteps   int                `json:"total_ut_steps"`
	FullVocab      bool               `json:"full_vocab"`
	TopK           int                `json:"top_k"`
	Prompts        []goldenPrompt     `json:"prompts"`
	Greedy         []goldenGreedy     `json:"greedy"`
	LogLikelihood  []goldenLL         `json:"loglikelihood"`
	Rolling        []goldenRolling    `json:"rolling"`
	GreedyQ        []goldenGreedyQ    `json:"greedy_q"`
	ToleranceStudy map[string]float64 `json:"tolerance_study"`
}

type goldenPrompt struct {
	Name     string       `json:"name"`
	Text     *string      `json:"text"`
	NextOnly bool         `json:"next_only"`
	IDs      []int        `json:"ids"`
	Steps    []goldenStep `json:"steps"`
	Exit     []goldenExit `json:"exit"`
	HFBF16   *struct {
		Steps []goldenStep `json:"steps"`
	} `json:"hf_bf16"`
	KernelSim *struct {
		Steps []goldenStep `json:"steps"`
	} `json:"kernel_sim"`
}

type goldenStep struct {
	Step        int           `json:"step"`
	LogProbs    [][]float64   `json:"logprobs"`
	Top         [][][]float64 `json:"top"`
	NextLogProb []*float64    `json:"next_logprob"`
	Lambda      []float64     `json:"lambda"`
}

type goldenExit struct {
	R     int         `json:"R"`
	PExit [][]float64 `json:"p_exit"`
}

type goldenGreedy struct {
	Prompt       string    `json:"prompt"`
	R            int       `json:"R"`
	MaxNewTokens int       `json:"max_new_tokens"`
	IDs          []int     `json:"ids"`
	LogProbs     []float64 `json:"logprobs"`
	Margin       []float64 `json:"margin"`
	Stopped      string    `json:"stopped"`
}

type goldenGreedyQ struct {
	Prompt       string    `json:"prompt"`
	R            int       `json:"R"`
	Q            float64   `json:"q"`
	MaxNewTokens int       `json:"max_new_tokens"`
	IDs          []int     `json:"ids"`
	Steps        []int     `json:"steps"`
	Margin       []float64 `json:"margin"`
	Stopped      string    `json:"stopped"`
}

type goldenLL struct {
	ContextText      *string       `json:"context_text"`
	ContinuationText *string       `json:"continuation_text"`
	Context          []int         `json:"context"`
	Continuation     []int         `json:"continuation"`
	R                int           `json:"R"`
	LogProb          float64       `json:"logprob"`
	IsGreedy         bool          `json:"is_greedy"`
	PerStep          []goldenDepth `json:"per_step"`
	QExit            []struct {
		Q        float64 `json:"q"`
		Steps    []int   `json:"steps"`
		LogProb  float64 `json:"logprob"`
		IsGreedy bool    `json:"is_greedy"`
	} `json:"q_exit"`
}

type goldenDepth struct {
	LogProb  float64 `json:"logprob"`
	IsGreedy bool    `json:"is_greedy"`
}

type goldenRolling struct {
	Prompt      string        `json:"prompt"`
	MaxLength   int           `json:"max_length"`
	R           int           `json:"R"`
	PrefixToken int           `json:"prefix_token"`
	Windows     [][2]int      `json:"windows"`
	LogProb     float64       `json:"logprob"`
	IsGreedy    bool          `json:"is_greedy"`
	PerStep     []goldenDepth `json:"per_step"`
}

// tolerances for one checkpoint.
type tolerances struct{ logprob, gate float64 }

func tolFor(g *goldenFile) tolerances {
	if g.WeightsDType == "BF16" {
		return tolerances{logprob: 2e-3, gate: 1e-5}
	}
	return tolerances{logprob: 1e-4, gate: 1e-5}
}

func loadGoldens(t *testing.T) []*goldenFile {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(goldenDir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no golden files in %s (regenerate with /usr/bin/python3 engine/reference/make_golden.py)", goldenDir)
	}
	var out []*goldenFile
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		g := new(goldenFile)
		if err := json.Unmarshal(data, g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if g.Format != 1 {
			t.Fatalf("%s: golden format %d, this test reads format 1", f, g.Format)
		}
		out = append(out, g)
	}
	return out
}

// kernelPaths returns the kernel paths to test: $OUROEVAL_KERNELS alone when
// set, else every path kernels.Open accepts on this machine, once per
// distinct implementation (an alias such as "avx512", which resolves to one
// of the AVX-512 methods, is not run twice). With -short: generic and the
// machine's default path only.
func kernelPaths(t *testing.T) []string {
	if p := os.Getenv(kernels.EnvVar); p != "" && p != "auto" {
		return []string{p}
	}
	candidates := kernels.Paths
	if testing.Short() {
		candidates = []string{"generic", "auto"}
	}
	var paths []string
	seen := map[string]bool{}
	for _, p := range candidates {
		if p == "auto" && !testing.Short() {
			continue
		}
		k, err := kernels.Open(p, 1)
		if err != nil {
			t.Logf("kernel path %s not available here: %v", p, err)
			continue
		}
		name := k.Name()
		k.Close()
		if seen[name] {
			continue
		}
		seen[name] = true
		if k2, err := kernels.Open(name, 1); err == nil {
			k2.Close()
			p = name // name the subtests by the implementation, not the alias
		}
		paths = append(paths, p)
	}
	return paths
}

// roundsActivations reports whether k rounds f32 activations to bf16 before
// multiplying them with bf16 weights (a VDPBF16PS method), which no
// f32-activation reference can match within 2e-3 (see
// engine/reference/README.md). It asks the kernels themselves: 64 × bf16(1)
// · (1 + 2⁻¹⁰) is 64.0625 exactly, and 64 when 1 + 2⁻¹⁰ is first rounded to
// bf16 (7 fraction bits).
func roundsActivations(k kernels.Kernels) bool {
	const n = 64
	w := &kernels.Matrix{DType: kernels.BF16, Rows: 1, Cols: n, U16: make([]uint16, n)}
	x := make([]float32, n)
	for i := range n {
		w.U16[i] = 0x3F80 // 1.0
		x[i] = 1 + 1.0/1024
	}
	out := make([]float32, 1)
	k.MatMul(out, x, 1, w)
	return out[0] < 64.03
}

// forEachModel runs fn for every golden checkpoint under every kernel path.
// The exact checks (strict) skip BF16 checkpoints on kernels that round
// activations to bf16: TestGoldenBF16ActivationRounding covers those.
func forEachModel(t *testing.T, strict bool, fn func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances)) {
	goldens := loadGoldens(t)
	for _, path := range kernelPaths(t) {
		for _, g := range goldens {
			t.Run(path+"/"+g.Checkpoint, func(t *testing.T) {
				k, err := kernels.Open(path, 2)
				if err != nil {
					t.Fatalf("kernels %s: %v", path, err)
				}
				defer k.Close()
				if strict && g.WeightsDType == "BF16" && roundsActivations(k) {
					t.Skipf("kernel path %s (%s) rounds activations to bf16 for bf16 weights; the reference's simulation of that "+
						"rounding is %.3g from the exact reference in log-prob on this checkpoint, far above the 2e-3 of "+
						"issue 3 point 12, so the exact checks skip it and TestGoldenBF16ActivationRounding covers it "+
						"(engine/reference/README.md)",
						path, k.Name(), g.ToleranceStudy["kernel_sim_max_logprob_diff"])
				}
				m, err := engine.Load(context.Background(), filepath.Join(goldenDir, g.Checkpoint), engine.LoadOptions{Kernels: k})
				if err != nil {
					t.Fatalf("load %s: %v", g.Checkpoint, err)
				}
				defer m.Close()
				if m.VocabSize() != g.VocabSize || m.Looped() != g.Looped {
					t.Fatalf("%s: engine sees vocab %d looped %v, golden says vocab %d looped %v",
						g.Checkpoint, m.VocabSize(), m.Looped(), g.VocabSize, g.Looped)
				}
				fn(t, g, m, tolFor(g))
			})
		}
	}
}

// worst tracks the largest deviation of one quantity and where it happened.
type worst struct {
	name  string
	limit float64
	d     float64
	where string
	got   float64
	want  float64
	n     int
}

func (w *worst) add(got, want float64, where func() string) {
	w.n++
	d := math.Abs(got - want)
	if math.IsNaN(got) || d > w.d {
		if math.IsNaN(got) {
			d = math.Inf(1)
		}
		w.d, w.got, w.want, w.where = d, got, want, where()
	}
}

func (w *worst) check(t *testing.T, prefix string) {
	t.Helper()
	if w.n == 0 {
		return
	}
	if w.d > w.limit {
		t.Errorf("%s: max |Δ %s| = %.3g > %.0e over %d values; worst at %s: engine %.7g, reference %.7g",
			prefix, w.name, w.d, w.limit, w.n, w.where, w.got, w.want)
	} else {
		t.Logf("%s: max |Δ %s| = %.3g (limit %.0e, %d values)", prefix, w.name, w.d, w.limit, w.n)
	}
}

// TestGoldenTrace compares Trace (per-step log-softmax, λ, p_exit) with the
// reference for every prompt and every R the golden file holds (R = 1, 2,
// total_ut_steps and total_ut_steps+2 for Ouro: extrapolation included).
func TestGoldenTrace(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		ctx := context.Background()
		lp := worst{name: "log-prob", limit: tol.logprob}
		lam := worst{name: "λ", limit: tol.gate}
		pex := worst{name: "p_exit", limit: tol.gate}
		for _, p := range g.Prompts {
			Rs := []int{1}
			if g.Looped {
				Rs = Rs[:0]
				for _, e := range p.Exit {
					Rs = append(Rs, e.R)
				}
			}
			for _, R := range Rs {
				tr, err := m.Trace(ctx, p.IDs, R)
				if err != nil {
					t.Fatalf("Trace(%s, R=%d): %v", p.Name, R, err)
				}
				if tr.R != R || len(tr.Steps) != R {
					t.Fatalf("Trace(%s, R=%d) returned R=%d with %d steps", p.Name, R, tr.R, len(tr.Steps))
				}
				for s := 0; s < R; s++ {
					compareStep(t, g, p, R, tr.Steps[s], p.Steps[s], &lp, &lam)
				}
				if g.Looped {
					compareExit(t, p, R, tr, &pex)
				}
			}
		}
		lp.check(t, g.Checkpoint)
		lam.check(t, g.Checkpoint)
		pex.check(t, g.Checkpoint)
	})
}

func compareStep(t *testing.T, g *goldenFile, p goldenPrompt, R int, got engine.TraceStep, want goldenStep, lp, lam *worst) {
	t.Helper()
	n := len(p.IDs)
	if len(got.LogProbs) != n {
		t.Fatalf("%s R=%d step %d: %d log-prob rows for %d positions", p.Name, R, want.Step, len(got.LogProbs), n)
	}
	for i := 0; i < n; i++ {
		row := got.LogProbs[i]
		if len(row) != g.VocabSize {
			t.Fatalf("%s R=%d step %d pos %d: %d log-probs, vocab is %d", p.Name, R, want.Step, i, len(row), g.VocabSize)
		}
		at := func(tok int) func() string {
			return func() string {
				return fmt.Sprintf("prompt %s R=%d step %d position %d token %d", p.Name, R, want.Step, i, tok)
			}
		}
		switch {
		case p.NextOnly:
			// long prompts: next-token log-probs only (below)
		case g.FullVocab:
			for v, w := range want.LogProbs[i] {
				lp.add(float64(row[v]), w, at(v))
			}
		default:
			in := map[int]bool{}
			for _, pair := range want.Top[i] {
				tok := int(pair[0])
				in[tok] = true
				lp.add(float64(row[tok]), pair[1], at(tok))
			}
			// No token outside the reference's top-k may beat its k-th
			// entry by more than the tolerance.
			kth := want.Top[i][len(want.Top[i])-1][1]
			for v, x := range row {
				if !in[v] && float64(x) > kth+lp.limit {
					t.Errorf("%s: prompt %s R=%d step %d position %d: token %d has log-prob %.6g, above the reference's top-%d cut %.6g",
						g.Checkpoint, p.Name, R, want.Step, i, v, x, g.TopK, kth)
				}
			}
		}
		if nl := want.NextLogProb[i]; nl != nil {
			lp.add(float64(row[p.IDs[i+1]]), *nl, at(p.IDs[i+1]))
		}
		if g.Looped {
			if len(got.Lambda) != n {
				t.Fatalf("%s R=%d step %d: %d λ values for %d positions", p.Name, R, want.Step, len(got.Lambda), n)
			}
			lam.add(float64(got.Lambda[i]), want.Lambda[i], func() string {
				return fmt.Sprintf("prompt %s R=%d step %d position %d", p.Name, R, want.Step, i)
			})
		}
	}
}

func compareExit(t *testing.T, p goldenPrompt, R int, tr *engine.Trace, pex *worst) {
	t.Helper()
	var want *goldenExit
	for i := range p.Exit {
		if p.Exit[i].R == R {
			want = &p.Exit[i]
		}
	}
	if want == nil {
		return
	}
	for i := range p.IDs {
		sum := 0.0
		for s := 0; s < R; s++ {
			if len(tr.Steps[s].PExit) != len(p.IDs) {
				t.Fatalf("%s R=%d step %d: %d p_exit values for %d positions", p.Name, R, s+1, len(tr.Steps[s].PExit), len(p.IDs))
			}
			got := float64(tr.Steps[s].PExit[i])
			sum += got
			pex.add(got, want.PExit[i][s], func() string {
				return fmt.Sprintf("prompt %s R=%d exit step %d position %d", p.Name, R, s+1, i)
			})
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("prompt %s R=%d position %d: exit distribution sums to %.8g", p.Name, R, i, sum)
		}
	}
}

// TestGoldenGreedy checks that greedy decoding with the KV cache reproduces
// the reference's continuations token for token (EOS stopping disabled;
// the reference records only choices with a top-1/top-2 gap ≥ 1e-2), and
// that a full recomputation over prompt+continuation gives the log-probs
// the reference's cached decode chose them with.
func TestGoldenGreedy(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		ctx := context.Background()
		prompts := map[string][]int{}
		for _, p := range g.Prompts {
			prompts[p.Name] = p.IDs
		}
		lp := worst{name: "log-prob of the chosen token (full recomputation vs reference cached decode)", limit: tol.logprob}
		for _, gr := range g.Greedy {
			ids := prompts[gr.Prompt]
			if len(gr.IDs) == 0 {
				t.Fatalf("golden greedy run (%s, R=%d) has no tokens", gr.Prompt, gr.R)
			}
			gen, err := m.Generate(ctx, ids, engine.GenerateOptions{MaxTokens: len(gr.IDs), StopIDs: []int{}, R: gr.R})
			if err != nil {
				t.Fatalf("Generate(%s, R=%d): %v", gr.Prompt, gr.R, err)
			}
			if !slices.Equal(gen.IDs, gr.IDs) {
				first := 0
				for first < len(gen.IDs) && first < len(gr.IDs) && gen.IDs[first] == gr.IDs[first] {
					first++
				}
				t.Errorf("%s: greedy continuation of %s at R=%d differs from token %d (reference margin there %.3g):\n engine    %v\n reference %v",
					g.Checkpoint, gr.Prompt, gr.R, first, marginAt(gr, first), gen.IDs, gr.IDs)
			}
			full := append(append([]int(nil), ids...), gr.IDs...)
			tr, err := m.Trace(ctx, full, gr.R)
			if err != nil {
				t.Fatalf("Trace(%s+continuation, R=%d): %v", gr.Prompt, gr.R, err)
			}
			last := tr.Steps[len(tr.Steps)-1]
			for i, tok := range gr.IDs {
				lp.add(float64(last.LogProbs[len(ids)-1+i][tok]), gr.LogProbs[i], func() string {
					return fmt.Sprintf("prompt %s R=%d generated token %d (id %d)", gr.Prompt, gr.R, i, tok)
				})
			}
		}
		lp.check(t, g.Checkpoint)
	})
}

func marginAt(gr goldenGreedy, i int) float64 {
	if i < len(gr.Margin) {
		return gr.Margin[i]
	}
	return math.NaN()
}

// TestGoldenCachedDecode checks on the engine alone that decoding token by
// token with the KV cache (one cache slot per (step, layer)) gives the same
// normed hidden states and λ at every step as one forward pass over the
// whole sequence.
func TestGoldenCachedDecode(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		ctx := context.Background()
		prompts := map[string][]int{}
		for _, p := range g.Prompts {
			prompts[p.Name] = p.IDs
		}
		hid := worst{name: "hidden state (cached vs full)", limit: 1e-4}
		lam := worst{name: "λ (cached vs full)", limit: tol.gate}
		for _, gr := range g.Greedy {
			ids := append(append([]int(nil), prompts[gr.Prompt]...), gr.IDs...)
			full, err := m.NewSequence(gr.R)
			if err != nil {
				t.Fatal(err)
			}
			all, err := full.Forward(ctx, ids, false)
			if err != nil {
				t.Fatal(err)
			}
			inc, err := m.NewSequence(gr.R)
			if err != nil {
				t.Fatal(err)
			}
			np := len(prompts[gr.Prompt])
			if _, err := inc.Forward(ctx, ids[:np], false); err != nil {
				t.Fatal(err)
			}
			D := len(all.Hidden[0]) / len(ids)
			for pos := np; pos < len(ids); pos++ {
				st, err := inc.Forward(ctx, ids[pos:pos+1], false)
				if err != nil {
					t.Fatal(err)
				}
				if st.Pos0 != pos || inc.Len() != pos+1 {
					t.Fatalf("cached decode at position %d: Pos0 %d, Len %d", pos, st.Pos0, inc.Len())
				}
				for s := range st.Hidden {
					for j := 0; j < D; j++ {
						hid.add(float64(st.Hidden[s][j]), float64(all.Hidden[s][pos*D+j]), func() string {
							return fmt.Sprintf("prompt %s R=%d step %d position %d dim %d", gr.Prompt, gr.R, s+1, pos, j)
						})
					}
					if g.Looped {
						lam.add(float64(st.Lambda[s][0]), float64(all.Lambda[s][pos]), func() string {
							return fmt.Sprintf("prompt %s R=%d step %d position %d", gr.Prompt, gr.R, s+1, pos)
						})
					}
				}
			}
		}
		hid.check(t, g.Checkpoint)
		lam.check(t, g.Checkpoint)
	})
}

// TestGoldenLogLikelihood compares LogLikelihoodIDs (sum, is_greedy, and
// for looped models every depth 1..R from the same pass) with the
// reference, and for the real-vocabulary Ouro checkpoint also the text
// entry point with lm-eval's context/continuation split when the Ouro
// tokenizer is available in ../shared.
func TestGoldenLogLikelihood(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		ctx := context.Background()
		var tok *tokenizer.Tokenizer
		if g.Checkpoint == "ouro-vocab49152-bf16" {
			tok = ouroTokenizer(t)
		}
		for k, ll := range g.LogLikelihood {
			lim := tol.logprob * float64(len(ll.Continuation))
			s, err := m.LogLikelihoodIDs(ctx, ll.Context, ll.Continuation, engine.ScoreOptions{R: ll.R})
			if err != nil {
				t.Fatalf("pair %d: %v", k, err)
			}
			checkScore(t, g, k, s, ll, lim)
			for _, qe := range ll.QExit {
				q := qe.Q
				sq, err := m.LogLikelihoodIDs(ctx, ll.Context, ll.Continuation, engine.ScoreOptions{R: ll.R, Q: &q})
				if err != nil {
					t.Fatalf("pair %d q=%g: %v", k, q, err)
				}
				if !slices.Equal(sq.Steps, qe.Steps) {
					t.Errorf("%s pair %d (R=%d) Q-exit q=%g: exit steps %v, reference %v", g.Checkpoint, k, ll.R, q, sq.Steps, qe.Steps)
				}
				if d := math.Abs(sq.LogProb - qe.LogProb); d > lim || sq.IsGreedy != qe.IsGreedy {
					t.Errorf("%s pair %d (R=%d) Q-exit q=%g: (%.7g, greedy %v), reference (%.7g, greedy %v)",
						g.Checkpoint, k, ll.R, q, sq.LogProb, sq.IsGreedy, qe.LogProb, qe.IsGreedy)
				}
			}
			if tok != nil && ll.ContextText != nil {
				c, x := *ll.ContextText, *ll.ContinuationText
				whole, ce := tok.Encode(c+x), tok.Encode(c)
				if !slices.Equal(ce, ll.Context) || !slices.Equal(whole[len(ce):], ll.Continuation) {
					t.Errorf("pair %d %q|%q: tokenizer gives context %v continuation %v, reference %v %v",
						k, c, x, ce, whole[len(ce):], ll.Context, ll.Continuation)
				}
			}
		}
	})
}

func checkScore(t *testing.T, g *goldenFile, k int, s *engine.Score, ll goldenLL, lim float64) {
	t.Helper()
	if d := math.Abs(s.LogProb - ll.LogProb); d > lim {
		t.Errorf("%s pair %d (R=%d, %d tokens): log-likelihood %.7g, reference %.7g (|Δ| %.3g > %.3g)",
			g.Checkpoint, k, ll.R, len(ll.Continuation), s.LogProb, ll.LogProb, d, lim)
	}
	if s.IsGreedy != ll.IsGreedy {
		t.Errorf("%s pair %d (R=%d): is_greedy %v, reference %v", g.Checkpoint, k, ll.R, s.IsGreedy, ll.IsGreedy)
	}
	if !g.Looped {
		return
	}
	if len(s.PerDepth) != len(ll.PerStep) {
		t.Fatalf("%s pair %d: %d per-depth scores, reference has %d", g.Checkpoint, k, len(s.PerDepth), len(ll.PerStep))
	}
	for r, want := range ll.PerStep {
		got := s.PerDepth[r]
		if got.R != r+1 || math.Abs(got.LogProb-want.LogProb) > lim || got.IsGreedy != want.IsGreedy {
			t.Errorf("%s pair %d depth %d: engine (R=%d, %.7g, greedy %v), reference (%.7g, greedy %v)",
				g.Checkpoint, k, r+1, got.R, got.LogProb, got.IsGreedy, want.LogProb, want.IsGreedy)
		}
	}
}

// TestGoldenTokenization checks that the prompts the reference tokenized
// (with the checkpoint's synthetic tokenizer.json, or the real Ouro
// tokenizer for the real-vocabulary checkpoint) get the same ids from the
// engine's tokenizer.
func TestGoldenTokenization(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.Checkpoint, func(t *testing.T) {
			var tok *tokenizer.Tokenizer
			if g.Checkpoint == "ouro-vocab49152-bf16" {
				tok = ouroTokenizer(t)
				if tok == nil {
					t.Skip("../shared/data/tokenizers/ouro-1.4B not present: real-tokenizer prompts not checked")
				}
			} else {
				var err error
				tok, err = tokenizer.Load(filepath.Join(goldenDir, g.Checkpoint, "tokenizer.json"))
				if err != nil {
					t.Fatal(err)
				}
			}
			n := 0
			for _, p := range g.Prompts {
				if p.Text == nil {
					continue
				}
				n++
				if got := tok.Encode(*p.Text); !slices.Equal(got, p.IDs) {
					t.Errorf("prompt %s %q: engine tokenizer %v, reference %v", p.Name, *p.Text, got, p.IDs)
				}
			}
			if n == 0 {
				t.Fatalf("%s has no text prompt", g.Checkpoint)
			}
		})
	}
}

// TestGoldenHFBF16Distance logs how far the engine (f32 activations) is from
// transformers run with bf16 activations on the bf16 checkpoints, next to
// the reference's own distance: informational, the tight check is
// TestGoldenTrace. It fails only if the engine is further from HF-bf16 than
// the exact reference is plus the bf16 tolerance (impossible unless
// TestGoldenTrace also fails) — kept as a readable summary with -v.
func TestGoldenHFBF16Distance(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		if g.WeightsDType != "BF16" {
			t.Skip("f32 checkpoint")
		}
		ctx := context.Background()
		d := worst{name: "next-token log-prob vs HF bf16", limit: g.ToleranceStudy["hf_bf16_max_next_logprob_diff"] + tol.logprob}
		for _, p := range g.Prompts {
			if p.HFBF16 == nil {
				continue
			}
			R := len(p.HFBF16.Steps)
			tr, err := m.Trace(ctx, p.IDs, R)
			if err != nil {
				t.Fatal(err)
			}
			for s, hs := range p.HFBF16.Steps {
				for i, nl := range hs.NextLogProb {
					if nl == nil {
						continue
					}
					d.add(float64(tr.Steps[s].LogProbs[i][p.IDs[i+1]]), *nl, func() string {
						return fmt.Sprintf("prompt %s step %d position %d", p.Name, s+1, i)
					})
				}
			}
		}
		d.check(t, g.Checkpoint)
		t.Logf("%s: reference (f64) vs HF bf16: %.3g; reference vs f32 PyTorch: %.3g; reference vs bf16-rounded matmul inputs (VDPBF16PS model): %.3g",
			g.Checkpoint, g.ToleranceStudy["hf_bf16_max_next_logprob_diff"], g.ToleranceStudy["f32_max_logprob_diff"],
			g.ToleranceStudy["kernel_sim_max_logprob_diff"])
	})
}

// ouroTokenizerPath returns ../shared/data/tokenizers/ouro-1.4B/tokenizer.json,
// or "" when the shared data is absent (a fresh clone).
func ouroTokenizerPath(t *testing.T) string {
	t.Helper()
	dir, err := shareddata.Dir()
	if err != nil {
		return ""
	}
	path := filepath.Join(dir, "tokenizers", "ouro-1.4B", "tokenizer.json")
	if _, err := os.Stat(path); err != nil {
		return ""
	}
	return path
}

// ouroTokenizer loads the real Ouro tokenizer, or returns nil when ../shared
// is absent.
func ouroTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	path := ouroTokenizerPath(t)
	if path == "" {
		return nil
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tok
}

// TestGoldenFilesComplete guards the golden set itself: the nine
// checkpoints FORMAT.md lists, all four architectures in both dtypes.
func TestGoldenFilesComplete(t *testing.T) {
	var names []string
	for _, g := range loadGoldens(t) {
		names = append(names, g.Checkpoint)
		if len(g.Prompts) == 0 || len(g.Greedy) == 0 || len(g.LogLikelihood) == 0 {
			t.Errorf("%s: empty section", g.Checkpoint)
		}
	}
	sort.Strings(names)
	want := "llama-bf16 llama-f32 ouro-bf16 ouro-f32 ouro-vocab49152-bf16 qwen2-bf16 qwen2-f32 qwen3-bf16 qwen3-f32"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("golden checkpoints %q, want %q", got, want)
	}
}

// TestGoldenBF16ActivationRounding checks kernel paths that round
// activations to bf16 at every bf16-weight matmul (VDPBF16PS) against the
// reference's simulation of exactly that rounding ("kernel_sim" in the
// golden files). Such a path is ill-conditioned: an f32 rounding difference
// that flips one bf16 rounding moves later log-probs by up to ~0.1 on these
// checkpoints (measured in the reference by evaluating the simulation with
// f32 and with f64 activations), and on the 150-token "long" prompts such
// flips cascade through attention until about half of the values move by
// more than 1e-4 (the simulation against itself: 74 of 149 next-token
// log-probs on llama-bf16). So the check is statistical and on the short
// prompts only: at least 90% of their next-token log-probs and λ values
// within 1e-4 of the simulation; and every next-token log-prob, long prompts
// included, within twice the simulation's own distance from the exact
// reference.
func TestGoldenBF16ActivationRounding(t *testing.T) {
	forEachModel(t, false, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		if g.WeightsDType != "BF16" || !roundsActivations(m.Kernels()) {
			t.Skip("only bf16 checkpoints on a path that rounds activations to bf16")
		}
		ctx := context.Background()
		simDist := g.ToleranceStudy["kernel_sim_max_logprob_diff"]
		exact := worst{name: "next-token log-prob vs exact reference", limit: 2 * simDist}
		var n, off int
		maxSim := 0.0
		near := func(got, want float64) {
			n++
			d := math.Abs(got - want)
			maxSim = math.Max(maxSim, d)
			if !(d <= 1e-4) {
				off++
			}
		}
		for _, p := range g.Prompts {
			R := len(p.KernelSim.Steps)
			tr, err := m.Trace(ctx, p.IDs, R)
			if err != nil {
				t.Fatal(err)
			}
			for s, ks := range p.KernelSim.Steps {
				for i, nl := range ks.NextLogProb {
					got := tr.Steps[s].LogProbs[i]
					if nl != nil {
						if !p.NextOnly {
							near(float64(got[p.IDs[i+1]]), *nl)
						}
						exact.add(float64(got[p.IDs[i+1]]), *p.Steps[s].NextLogProb[i], func() string {
							return fmt.Sprintf("prompt %s step %d position %d", p.Name, s+1, i)
						})
					}
					if g.Looped && !p.NextOnly {
						near(float64(tr.Steps[s].Lambda[i]), ks.Lambda[i])
					}
				}
			}
		}
		if off*10 > n {
			t.Errorf("%s: %d of %d next-token log-probs and λ values differ from the simulated bf16-rounding reference by more than 1e-4 (max %.3g)",
				g.Checkpoint, off, n, maxSim)
		} else {
			t.Logf("%s: %d of %d values within 1e-4 of the simulated bf16-rounding reference (max |Δ| %.3g)", g.Checkpoint, n-off, n, maxSim)
		}
		exact.check(t, g.Checkpoint)
	})
}

// TestGoldenLogLikelihoodText scores the real-vocabulary Ouro pairs through
// the text entry point (LogLikelihood: lm-eval's context/continuation split
// with the real Ouro tokenizer) and compares with the reference. The
// checkpoint is assembled in a temporary directory from the golden weights
// and the tokenizer files in ../shared, which are never copied into the
// repository.
func TestGoldenLogLikelihoodText(t *testing.T) {
	tokPath := ouroTokenizerPath(t)
	if tokPath == "" {
		t.Skip("../shared/data/tokenizers/ouro-1.4B not present")
	}
	var g *goldenFile
	for _, x := range loadGoldens(t) {
		if x.Checkpoint == "ouro-vocab49152-bf16" {
			g = x
		}
	}
	if g == nil {
		t.Fatal("ouro-vocab49152-bf16 golden missing")
	}
	dir := t.TempDir()
	src, err := filepath.Abs(filepath.Join(goldenDir, g.Checkpoint))
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Symlink(filepath.Join(src, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	tokDir := filepath.Dir(tokPath)
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		if err := os.Symlink(filepath.Join(tokDir, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	m, err := engine.Load(context.Background(), dir, engine.LoadOptions{KernelPath: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tol := tolFor(g)
	n := 0
	for k, ll := range g.LogLikelihood {
		if ll.ContextText == nil {
			continue
		}
		n++
		s, err := m.LogLikelihood(context.Background(), *ll.ContextText, *ll.ContinuationText, engine.ScoreOptions{R: ll.R})
		if err != nil {
			t.Fatalf("pair %d: %v", k, err)
		}
		if s.Tokens != len(ll.Continuation) || s.InputTokens != len(ll.Context)+len(ll.Continuation)-1 {
			t.Errorf("pair %d %q|%q: engine scored %d tokens from %d inputs, reference split is %d+%d",
				k, *ll.ContextText, *ll.ContinuationText, s.Tokens, s.InputTokens, len(ll.Context), len(ll.Continuation))
		}
		checkScore(t, g, k, s, ll, tol.logprob*float64(len(ll.Continuation)))
	}
	if n == 0 {
		t.Fatal("no text pairs in the golden file")
	}
}

// TestGoldenRolling compares RollingIDs (lm-eval's loglikelihood_rolling:
// disjoint windows of max_length predicted tokens, the first predicted
// from the prefix token) with the reference, including every depth for
// looped models.
func TestGoldenRolling(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		ctx := context.Background()
		prompts := map[string][]int{}
		for _, p := range g.Prompts {
			prompts[p.Name] = p.IDs
		}
		for _, r := range g.Rolling {
			ids := prompts[r.Prompt]
			s, err := m.RollingIDs(ctx, ids, engine.ScoreOptions{R: r.R, MaxLength: r.MaxLength})
			if err != nil {
				t.Fatalf("RollingIDs(%s, max_length %d): %v", r.Prompt, r.MaxLength, err)
			}
			inputs := 0
			for _, w := range r.Windows {
				inputs += w[0] + w[1] - 1
			}
			if s.Tokens != len(ids) || s.InputTokens != inputs {
				t.Errorf("%s rolling %s/%d: %d tokens scored from %d inputs, reference windows %v (%d tokens, %d inputs)",
					g.Checkpoint, r.Prompt, r.MaxLength, s.Tokens, s.InputTokens, r.Windows, len(ids), inputs)
			}
			lim := tol.logprob * float64(len(ids))
			if d := math.Abs(s.LogProb - r.LogProb); d > lim || s.IsGreedy != r.IsGreedy {
				t.Errorf("%s rolling %s/%d: (%.7g, greedy %v), reference (%.7g, greedy %v)",
					g.Checkpoint, r.Prompt, r.MaxLength, s.LogProb, s.IsGreedy, r.LogProb, r.IsGreedy)
			}
			if !g.Looped {
				continue
			}
			if len(s.PerDepth) != len(r.PerStep) {
				t.Fatalf("%s rolling %s/%d: %d depths, reference %d", g.Checkpoint, r.Prompt, r.MaxLength, len(s.PerDepth), len(r.PerStep))
			}
			for d, want := range r.PerStep {
				got := s.PerDepth[d]
				if math.Abs(got.LogProb-want.LogProb) > lim || got.IsGreedy != want.IsGreedy {
					t.Errorf("%s rolling %s/%d depth %d: (%.7g, greedy %v), reference (%.7g, greedy %v)",
						g.Checkpoint, r.Prompt, r.MaxLength, d+1, got.LogProb, got.IsGreedy, want.LogProb, want.IsGreedy)
				}
			}
		}
	})
}

// TestGoldenGreedyQExit checks greedy generation under adaptive exit by
// selection (GenerateOptions.Q): the same tokens as the reference, each
// chosen from the same recurrent step (Generation.Steps).
func TestGoldenGreedyQExit(t *testing.T) {
	forEachModel(t, true, func(t *testing.T, g *goldenFile, m *engine.Model, tol tolerances) {
		if !g.Looped {
			t.Skip("dense model")
		}
		prompts := map[string][]int{}
		for _, p := range g.Prompts {
			prompts[p.Name] = p.IDs
		}
		for _, gq := range g.GreedyQ {
			q := gq.Q
			gen, err := m.Generate(context.Background(), prompts[gq.Prompt], engine.GenerateOptions{
				MaxTokens: len(gq.IDs), StopIDs: []int{}, R: gq.R, Q: &q})
			if err != nil {
				t.Fatalf("Generate(%s, R=%d, q=%g): %v", gq.Prompt, gq.R, q, err)
			}
			if !slices.Equal(gen.IDs, gq.IDs) || !slices.Equal(gen.Steps, gq.Steps) {
				t.Errorf("%s: greedy Q-exit continuation of %s (R=%d, q=%g):\n engine    %v steps %v\n reference %v steps %v",
					g.Checkpoint, gq.Prompt, gq.R, q, gen.IDs, gen.Steps, gq.IDs, gq.Steps)
			}
		}
	})
}
