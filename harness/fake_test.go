package harness

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/backends/chance"
)

// Fakes standing in for packages tasks and scoring, so the runner is tested
// on its own. bind_test.go tests the real adapters.

type fakeDataset struct {
	name  string
	n     int
	kind  string // generate_until | multiple_choice
	ndocs func(seed uint64) int
}

func (d *fakeDataset) Len() int        { return d.n }
func (d *fakeDataset) DocHash() string { return "fake-" + d.name }
func (d *fakeDataset) Build(i int, seed uint64) (*Sample, error) {
	a, b := i%17, (i*7+int(seed))%23
	doc := map[string]any{"a": a, "b": b, "difficulty": i % 3}
	s := &Sample{DocID: i, Doc: doc, Breakdown: map[string]string{"difficulty": fmt.Sprint(i % 3)}}
	s.Prompt = fmt.Sprintf("Q: %d + %d = ? Candidates: %d %d %d\nA:", a, b, a+b, a+b+1, a)
	switch d.kind {
	case "generate_until":
		s.Target = fmt.Sprint(a + b)
		s.GoldIndex = -1
		s.Requests = []Request{{Kind: backends.KindGenerate, Generate: &backends.GenerateRequest{Prompt: s.Prompt, Stop: []string{"\n"}, MaxTokens: 16, N: 2}}}
	case "multiple_choice":
		s.Choices = []string{fmt.Sprint(a + b), fmt.Sprint(a + b + 1), fmt.Sprint(a + b + 2), "none"}
		s.GoldIndex = 0
		s.Target = s.Choices[0]
		for _, c := range s.Choices {
			s.Requests = append(s.Requests, Request{Kind: backends.KindLogLikelihood, LogLikelihood: &backends.LogLikelihoodRequest{Context: s.Prompt, Continuation: " " + c}})
		}
	}
	return s, nil
}

type takeFirst struct{}

func (takeFirst) IsFailure(f []string) bool { return len(f) == 0 || f[0] == "" }

func (takeFirst) Name() string { return "none" }
func (takeFirst) Apply(r []string) []string {
	if len(r) == 0 {
		return nil
	}
	return r[:1]
}

// numberFilter keeps the first all-digit response, else "[invalid]".
type numberFilter struct{}

func (numberFilter) IsFailure(f []string) bool { return len(f) == 0 || f[0] == "[invalid]" }

func (numberFilter) Name() string { return "strict-match" }
func (numberFilter) Apply(r []string) []string {
	for _, x := range r {
		if x != "" && strings.Trim(x, "0123456789") == "" {
			return []string{x}
		}
	}
	return []string{"[invalid]"}
}

type exactMatch struct{}

func (exactMatch) Name() string         { return "exact_match" }
func (exactMatch) Aggregation() string  { return "mean" }
func (exactMatch) HigherIsBetter() bool { return true }
func (exactMatch) Score(in *ScoreInput) (float64, error) {
	if len(in.Filtered) > 0 && in.Filtered[0] == in.Gold {
		return 1, nil
	}
	return 0, nil
}

type accMetric struct{}

func (accMetric) Name() string         { return "acc" }
func (accMetric) Aggregation() string  { return "mean" }
func (accMetric) HigherIsBetter() bool { return true }
func (accMetric) Score(in *ScoreInput) (float64, error) {
	if len(in.LogLikelihoods) != len(in.Choices) {
		return 0, errors.New("choices/loglikelihoods mismatch")
	}
	best := 0
	for i, v := range in.LogLikelihoods {
		if v > in.LogLikelihoods[best] {
			best = i
		}
	}
	if best == in.GoldIndex {
		return 1, nil
	}
	return 0, nil
}

func fakeTask(name, kind string, n int) *Task {
	t := &Task{Name: name, Version: "1.0", Hash: "h-" + name, Source: "fake", OutputType: kind, Breakdown: []string{"difficulty"},
		Config: map[string]any{"task": name, "output_type": kind}}
	if kind == "generate_until" {
		t.Filters = []Filter{numberFilter{}, takeFirst{}}
		t.Metrics = []Metric{exactMatch{}}
	} else {
		t.Filters = []Filter{takeFirst{}}
		t.Metrics = []Metric{accMetric{}}
	}
	t.Load = func(ctx context.Context, o LoadOptions) (Dataset, error) {
		return &fakeDataset{name: name, n: n, kind: kind}, nil
	}
	return t
}

type fakeCatalog struct {
	tasks  map[string]*Task
	groups map[string][]string
	// aggs holds a group's aggregate_metric_list (none: a suite).
	aggs map[string][]GroupAggregate
}

func newFakeCatalog(n int) *fakeCatalog {
	return &fakeCatalog{
		tasks: map[string]*Task{
			"add_gen": fakeTask("add_gen", "generate_until", n),
			"add_mc":  fakeTask("add_mc", "multiple_choice", n),
		},
		groups: map[string][]string{"add": {"add_gen", "add_mc"}},
	}
}

func (c *fakeCatalog) Resolve(names []string) ([]*Task, []Group, error) {
	var out []*Task
	var groups []Group
	seen := map[string]bool{}
	for _, n := range names {
		if m, ok := c.groups[n]; ok {
			groups = append(groups, Group{Name: n, Members: m, Aggregates: c.aggs[n]})
			for _, t := range m {
				if !seen[t] {
					seen[t] = true
					out = append(out, c.tasks[t])
				}
			}
			continue
		}
		t, ok := c.tasks[n]
		if !ok {
			return nil, nil, fmt.Errorf("unknown task %q", n)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, t)
		}
	}
	return out, groups, nil
}

// fakeStats implements Stats with textbook formulas.
type fakeStats struct{}

func (fakeStats) Aggregate(name string, xs []float64) (float64, error) {
	if name != "mean" {
		return 0, fmt.Errorf("unknown aggregation %q", name)
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs)), nil
}

func (fakeStats) StdErr(xs []float64) float64 {
	n := float64(len(xs))
	m, _ := fakeStats{}.Aggregate("mean", xs)
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return math.Sqrt(v/(n-1)) / math.Sqrt(n)
}

func (fakeStats) Bootstrap(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int) (lo, hi, se float64, err error) {
	rng := rand.New(rand.NewPCG(seed, 1))
	reps := make([]float64, resamples)
	buf := make([]float64, len(xs))
	for i := range reps {
		for j := range buf {
			buf[j] = xs[rng.IntN(len(xs))]
		}
		reps[i] = stat(buf)
	}
	sort.Float64s(reps)
	m, _ := fakeStats{}.Aggregate("mean", reps)
	v := 0.0
	for _, r := range reps {
		v += (r - m) * (r - m)
	}
	return reps[int(0.025*float64(resamples))], reps[int(0.975*float64(resamples))-1], math.Sqrt(v / float64(resamples-1)), nil
}

func (fakeStats) IsWeighted(name string) bool { return name == "bits_per_byte" }

func (fakeStats) AggregateWeighted(name string, xs, ws []float64) (float64, error) {
	if name != "bits_per_byte" {
		return fakeStats{}.Aggregate(name, xs)
	}
	var s, w float64
	for i := range xs {
		s += xs[i]
		w += ws[i]
	}
	return -s / w / math.Ln2, nil
}

// slowBackend wraps chance with a delay derived from the request, so
// concurrent requests finish out of order, and counts calls. failEvery
// makes every request whose hash is divisible by it fail.
type slowBackend struct {
	*chance.Backend
	name      string
	maxDelay  time.Duration
	failEvery uint64
	calls     atomic.Int64
}

func newSlow(name string, maxDelay time.Duration) *slowBackend {
	return &slowBackend{Backend: chance.New(7), name: name, maxDelay: maxDelay}
}

func (b *slowBackend) Identity() backends.Identity {
	return backends.Identity{Kind: "slow", Name: b.name, Fingerprint: "slow-v1"}
}

func (b *slowBackend) Capabilities() backends.Capabilities {
	return backends.Capabilities{Generate: true, LogLikelihood: true, Rolling: true, Looped: true}
}

func (b *slowBackend) wait(ctx context.Context, key string) error {
	b.calls.Add(1)
	h := sha256.Sum256([]byte(key))
	x := binary.LittleEndian.Uint64(h[:])
	if b.failEvery > 0 && x%b.failEvery == 0 {
		return errors.New("injected backend failure")
	}
	if b.maxDelay > 0 {
		d := time.Duration(x % uint64(b.maxDelay))
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (b *slowBackend) Generate(ctx context.Context, r *backends.GenerateRequest) (*backends.GenerateResponse, error) {
	if err := b.wait(ctx, r.Prompt+fmt.Sprint(r.Options)); err != nil {
		return nil, err
	}
	return b.Backend.Generate(ctx, r)
}

func (b *slowBackend) LogLikelihood(ctx context.Context, r *backends.LogLikelihoodRequest) (*backends.LogLikelihoodResponse, error) {
	if err := b.wait(ctx, r.Context+r.Continuation+fmt.Sprint(r.Options)); err != nil {
		return nil, err
	}
	resp, err := b.Backend.LogLikelihood(ctx, r)
	if err == nil && r.Options.R > 0 {
		resp.Usage.Steps = make([]int, resp.Tokens)
		for i := range resp.Usage.Steps {
			resp.Usage.Steps[i] = r.Options.R
		}
	}
	return resp, err
}

// fakeEnv returns an Env whose opener knows "chance" and "slow:NAME".
func fakeEnv(n int, slow map[string]*slowBackend) Env {
	return Env{
		Catalog: newFakeCatalog(n),
		Stats:   fakeStats{},
		Open: func(ctx context.Context, spec string) (backends.Backend, error) {
			sp, err := backends.ParseSpec(spec)
			if err != nil {
				return nil, err
			}
			switch sp.Scheme {
			case "chance":
				return chance.Open(ctx, sp)
			case "slow":
				if b, ok := slow[sp.Target]; ok {
					return b, nil
				}
			}
			return nil, fmt.Errorf("unknown backend %q", spec)
		},
	}
}

// rollingDataset has loglikelihood_rolling documents.
type rollingDataset struct{ n int }

func (d rollingDataset) Len() int        { return d.n }
func (d rollingDataset) DocHash() string { return "rolling" }
func (d rollingDataset) Build(i int, seed uint64) (*Sample, error) {
	text := strings.Repeat(fmt.Sprintf("word%d ", i), i%5+1)
	return &Sample{DocID: i, Doc: map[string]any{"text": text}, Prompt: text, GoldIndex: -1,
		Requests: []Request{{Kind: backends.KindRolling, Rolling: &backends.RollingRequest{Text: text}}}}, nil
}

// bitsPerByte is a weighted metric: Σ loglik / Σ bytes.
type bitsPerByte struct{}

func (bitsPerByte) Name() string         { return "bits_per_byte" }
func (bitsPerByte) Aggregation() string  { return "bits_per_byte" }
func (bitsPerByte) HigherIsBetter() bool { return false }
func (bitsPerByte) Score(in *ScoreInput) (float64, error) {
	return in.LogLikelihoods[0], nil
}
func (bitsPerByte) Weight(in *ScoreInput) (float64, error) { return float64(in.RollingBytes), nil }

func rollingTask(n int) *Task {
	return &Task{Name: "text", Version: "1", OutputType: "loglikelihood_rolling",
		Filters: []Filter{takeFirst{}}, Metrics: []Metric{bitsPerByte{}},
		Load: func(context.Context, LoadOptions) (Dataset, error) { return rollingDataset{n}, nil }}
}
