package harness

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/backends"
)

// readRecords reads a samples file, zeroing the timing fields.
func readRecords(t *testing.T, path string) []Record {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var r Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r.Timing = Timing{}
		out = append(out, r)
	}
	return out
}

func sweep(models []string, tasks []string, conc int) *Config {
	c := &Config{Tasks: tasks, Concurrency: conc, Bootstrap: 200, Seeds: []uint64{3}}
	for _, m := range models {
		c.Models = append(c.Models, ModelConfig{Spec: m})
	}
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

// TestDeterministicAcrossConcurrency proves the core promise: the same
// config and seed give the same per-sample records and byte-identical
// metrics.json at concurrency 1 and 64, with a backend that finishes out
// of order.
func TestDeterministicAcrossConcurrency(t *testing.T) {
	const n = 60
	var metrics [][]byte
	var samples [][][]Record
	for _, conc := range []int{1, 64} {
		slow := map[string]*slowBackend{"a": newSlow("a", 3*time.Millisecond)}
		cfg := sweep([]string{"chance", "slow:a"}, []string{"add"}, conc)
		cfg.R = []int{1, 2}
		out := t.TempDir()
		_, err := Run(context.Background(), cfg, fakeEnv(n, slow), Options{Out: out, CacheDir: filepath.Join(out, "cache")})
		if err != nil {
			t.Fatal(err)
		}
		m, err := os.ReadFile(filepath.Join(out, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
		metrics = append(metrics, m)
		var recs [][]Record
		for _, model := range []string{"chance", "slow_a"} {
			for _, task := range []string{"add_gen", "add_mc"} {
				rs := readRecords(t, filepath.Join(out, "samples", model, task+".jsonl"))
				settings := 1
				if model == "slow_a" {
					settings = 2
				}
				if len(rs) != n*settings {
					t.Fatalf("%s/%s: %d records, want %d", model, task, len(rs), n*settings)
				}
				for i, r := range rs {
					if r.DocID != i%n {
						t.Fatalf("%s/%s: record %d has doc %d: not in doc order", model, task, i, r.DocID)
					}
				}
				recs = append(recs, rs)
			}
		}
		samples = append(samples, recs)
	}
	if !bytes.Equal(metrics[0], metrics[1]) {
		t.Errorf("metrics.json differs between concurrency 1 and 64:\n%s\n---\n%s", metrics[0], metrics[1])
	}
	if !reflect.DeepEqual(samples[0], samples[1]) {
		t.Error("per-sample records differ between concurrency 1 and 64")
	}
	var mf MetricsFile
	if err := json.Unmarshal(metrics[0], &mf); err != nil {
		t.Fatal(err)
	}
	// 2 tasks × (chance: 1 setting + slow: 2 settings); group "add" for each.
	if len(mf.Results) != 6 || len(mf.Groups) != 3 {
		t.Fatalf("%d results, %d groups; want 6 and 3", len(mf.Results), len(mf.Groups))
	}
	for _, tr := range mf.Results {
		for _, mr := range tr.Metrics {
			if mr.Value == nil || mr.CILo == nil || mr.CIHi == nil || mr.Stderr == nil || mr.N != n {
				t.Errorf("%s/%s %s %s,%s: incomplete %+v", tr.Model, tr.Task, tr.SettingKey, mr.Metric, mr.Filter, mr)
				continue
			}
			if !(*mr.CILo <= *mr.Value && *mr.Value <= *mr.CIHi) {
				t.Errorf("%s: value %v outside CI [%v, %v]", tr.Task, *mr.Value, *mr.CILo, *mr.CIHi)
			}
			if len(mr.Breakdown["difficulty"]) != 3 {
				t.Errorf("%s: breakdown %v, want 3 difficulty cells", tr.Task, mr.Breakdown)
			}
		}
	}
}

// TestFailedRequestsExcluded checks that failed requests are recorded as
// errors, counted, and excluded from the score rather than scored wrong.
func TestFailedRequestsExcluded(t *testing.T) {
	const n = 80
	b := newSlow("f", 0)
	b.failEvery = 5
	cfg := sweep([]string{"slow:f"}, []string{"add_mc"}, 8)
	out := t.TempDir()
	if _, err := Run(context.Background(), cfg, fakeEnv(n, map[string]*slowBackend{"f": b}), Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	recs := readRecords(t, filepath.Join(out, "samples", "slow_f", "add_mc.jsonl"))
	failed, correct := 0, 0
	for _, r := range recs {
		if r.Error != "" {
			failed++
			if r.Scores != nil {
				t.Errorf("doc %d failed but was scored: %v", r.DocID, r.Scores)
			}
			continue
		}
		correct += int(r.Scores["none"]["acc"])
	}
	if failed == 0 || failed == n {
		t.Fatalf("%d of %d failed; the test needs some failures and some successes", failed, n)
	}
	var mf MetricsFile
	data, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
	json.Unmarshal(data, &mf)
	mr := mf.Results[0].Metrics[0]
	if mr.NErrors != failed || mr.N != n-failed || mf.Results[0].NErrors != failed {
		t.Errorf("n=%d n_errors=%d (task %d), want n=%d n_errors=%d", mr.N, mr.NErrors, mf.Results[0].NErrors, n-failed, failed)
	}
	if want := float64(correct) / float64(n-failed); *mr.Value != want {
		t.Errorf("acc = %v, want %v (errors excluded)", *mr.Value, want)
	}
}

// TestBadInputFailsBeforeFirstRequest checks unknown tasks and models and
// unsupported output types.
func TestBadInputFailsBeforeFirstRequest(t *testing.T) {
	tests := []struct {
		name    string
		cfg     *Config
		wantErr string
	}{
		{"unknown task", sweep([]string{"slow:a"}, []string{"add_mc", "nope"}, 4), `unknown task "nope"`},
		{"unknown model", sweep([]string{"slow:a", "gpt9"}, []string{"add_mc"}, 4), `unknown backend "gpt9"`},
	}
	for _, tt := range tests {
		b := newSlow("a", 0)
		out := t.TempDir()
		_, err := Run(context.Background(), tt.cfg, fakeEnv(10, map[string]*slowBackend{"a": b}), Options{Out: out})
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.wantErr)
		}
		if b.calls.Load() != 0 {
			t.Errorf("%s: %d backend calls before failing", tt.name, b.calls.Load())
		}
	}
}

// TestInterruptAndResume cancels a run midway: in-flight requests finish,
// the run reports ErrInterrupted with status "interrupted", and a re-run
// answers the finished requests from the cache.
func TestInterruptAndResume(t *testing.T) {
	const n = 200
	b := newSlow("s", 4*time.Millisecond)
	env := fakeEnv(n, map[string]*slowBackend{"s": b})
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	cfg := sweep([]string{"slow:s"}, []string{"add_mc"}, 4)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for b.calls.Load() < 100 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res, err := Run(ctx, cfg, env, Options{Out: filepath.Join(dir, "r1"), CacheDir: cacheDir})
	if !errors.Is(err, ErrInterrupted) {
		t.Fatalf("err = %v, want ErrInterrupted", err)
	}
	var info RunInfo
	data, _ := os.ReadFile(filepath.Join(dir, "r1", "run.json"))
	json.Unmarshal(data, &info)
	if info.Status != "interrupted" {
		t.Errorf("status %q, want interrupted", info.Status)
	}
	if _, err := os.Stat(filepath.Join(dir, "r1", "metrics.json")); err == nil {
		t.Error("an interrupted run wrote metrics.json")
	}
	partial := readRecords(t, filepath.Join(dir, "r1", "samples", "slow_s", "add_mc.jsonl"))
	for i, r := range partial {
		if r.DocID != i {
			t.Fatalf("partial samples not a doc-order prefix at %d", i)
		}
	}
	first := b.calls.Load()
	if first >= n*4 || res.Requests != first {
		t.Fatalf("interrupted run made %d calls (result says %d), want < %d", first, res.Requests, n*4)
	}
	res2, err := Run(context.Background(), cfg, env, Options{Out: filepath.Join(dir, "r2"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if res2.CacheHits != first || res2.Requests != n*4-first {
		t.Errorf("resume: %d hits, %d calls; want %d and %d", res2.CacheHits, res2.Requests, first, n*4-first)
	}
}

func TestLMEvalFormat(t *testing.T) {
	cfg := sweep([]string{"chance"}, []string{"add"}, 4)
	cfg.Formats = []string{"lm-eval"}
	out := t.TempDir()
	if _, err := Run(context.Background(), cfg, fakeEnv(20, nil), Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(out, "lm-eval", "chance", "results_*.json"))
	if len(files) != 1 {
		t.Fatalf("lm-eval files: %v", files)
	}
	var doc map[string]any
	data, _ := os.ReadFile(files[0])
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	res := doc["results"].(map[string]any)
	gen := res["add_gen"].(map[string]any)
	for _, k := range []string{"exact_match,strict-match", "exact_match_stderr,strict-match", "exact_match,none", "alias"} {
		if _, ok := gen[k]; !ok {
			t.Errorf("results.add_gen lacks %q: %v", k, gen)
		}
	}
	if _, ok := res["add_mc"].(map[string]any)["acc,none"]; !ok {
		t.Error(`results.add_mc lacks "acc,none"`)
	}
	for _, k := range []string{"versions", "n-shot", "configs", "higher_is_better", "n-samples", "config", "group_subtasks"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("lm-eval results lack %q", k)
		}
	}
	ns := doc["n-samples"].(map[string]any)["add_mc"].(map[string]any)
	if ns["effective"].(float64) != 20 {
		t.Errorf("n-samples = %v", ns)
	}
}

func TestPooled(t *testing.T) {
	// Two members: sizes 10 and 30.
	v, se, n := pooled([]float64{0.5, 0.1}, []float64{0.1, 0.05}, []int{10, 30})
	if n != 40 || v != (0.5*10+0.1*30)/40 {
		t.Errorf("mean %v n %d", v, n)
	}
	want := (9*0.01*10 + 29*0.0025*30) / 38 / 40
	if d := se*se - want; d > 1e-15 || d < -1e-15 {
		t.Errorf("pooled se² = %v, want %v", se*se, want)
	}
}

// TestWeightedMetric runs a rolling task with bits_per_byte, a ratio of
// sums: the chance backend's uniform byte model gives exactly 8, with a
// degenerate bootstrap interval.
func TestWeightedMetric(t *testing.T) {
	env := fakeEnv(0, nil)
	cat := env.Catalog.(*fakeCatalog)
	cat.tasks["text"] = rollingTask(30)
	cfg := sweep([]string{"chance"}, []string{"text"}, 4)
	out := t.TempDir()
	res, err := Run(context.Background(), cfg, env, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	mr := res.Metrics.Results[0].Metrics[0]
	if mr.Value == nil || math.Abs(*mr.Value-8) > 1e-9 || mr.N != 30 {
		t.Fatalf("bits_per_byte = %+v, want 8 over 30 docs", mr)
	}
	if mr.CILo == nil || math.Abs(*mr.CILo-8) > 1e-9 || math.Abs(*mr.CIHi-8) > 1e-9 {
		t.Errorf("CI [%v, %v], want [8, 8]", *mr.CILo, *mr.CIHi)
	}
}

// depthBackend is a looped backend whose log-likelihood depends on R; with
// perDepth it returns every depth 1..R in one response, as the engine does.
type depthBackend struct {
	*slowBackend
	perDepth bool
}

func (b *depthBackend) Capabilities() backends.Capabilities {
	c := b.slowBackend.Capabilities()
	c.PerDepth = b.perDepth
	return c
}

func (b *depthBackend) LogLikelihood(ctx context.Context, r *backends.LogLikelihoodRequest) (*backends.LogLikelihoodResponse, error) {
	plain := *r
	plain.Options = backends.Options{}
	resp, err := b.slowBackend.LogLikelihood(ctx, &plain)
	if err != nil {
		return nil, err
	}
	h := 0
	for _, c := range r.Continuation {
		h += int(c)
	}
	// Depth moves each choice differently, so the argmax changes with R.
	at := func(d int) float64 { return resp.LogProb + 0.4*float64(d)*float64(h%7)/7 }
	out := *resp
	out.LogProb = at(r.Options.R)
	out.Usage.Steps = fixedSteps(out.Tokens, r.Options.R)
	if b.perDepth {
		for d := 1; d <= r.Options.R; d++ {
			out.PerDepth = append(out.PerDepth, backends.DepthScore{R: d, LogProb: at(d)})
		}
	}
	return &out, nil
}

// TestPerDepth checks that a per-depth backend answers an R sweep of a
// log-likelihood task with one request per choice, and that the results
// equal asking for every R separately.
func TestPerDepth(t *testing.T) {
	const n = 30
	var metrics [][]byte
	var calls []int64
	var recs [][]Record
	for _, pd := range []bool{false, true} {
		b := &depthBackend{slowBackend: newSlow("d", 0), perDepth: pd}
		env := fakeEnv(n, nil)
		env.Open = func(ctx context.Context, spec string) (backends.Backend, error) { return b, nil }
		cfg := sweep([]string{"depth"}, []string{"add_mc"}, 8)
		cfg.R = []int{1, 2, 3}
		out := t.TempDir()
		if _, err := Run(context.Background(), cfg, env, Options{Out: out, CacheDir: filepath.Join(out, "cache")}); err != nil {
			t.Fatal(err)
		}
		m, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
		metrics = append(metrics, m)
		calls = append(calls, b.calls.Load())
		rs := readRecords(t, filepath.Join(out, "samples", "depth", "add_mc.jsonl"))
		for i := range rs {
			for j := range rs[i].Responses {
				if pd && rs[i].Setting.R > 0 && rs[i].Responses[j].PerDepthOf != 3 {
					t.Fatalf("record %d response %d: per_depth_of = %d, want 3", i, j, rs[i].Responses[j].PerDepthOf)
				}
				rs[i].Responses[j].PerDepthOf = 0
			}
		}
		recs = append(recs, rs)
	}
	if !reflect.DeepEqual(recs[0], recs[1]) {
		t.Error("per-depth records differ from separate R runs")
	}
	var mf MetricsFile
	json.Unmarshal(metrics[0], &mf)
	if *mf.Results[0].Metrics[0].Value == *mf.Results[2].Metrics[0].Value {
		t.Error("R=1 and R=3 give the same accuracy: the test backend does not exercise depth")
	}
	if !bytes.Equal(metrics[0], metrics[1]) {
		t.Errorf("per-depth results differ from separate R runs:\n%s\n---\n%s", metrics[0], metrics[1])
	}
	if calls[0] != n*4*3 || calls[1] != n*4 {
		t.Errorf("backend calls: %d separately, %d per-depth; want %d and %d", calls[0], calls[1], n*4*3, n*4)
	}
}

// TestModelSettingsRun runs explicit per-model settings: the looped
// backend gets exactly its listed settings, the non-looped one runs once,
// and metrics.json carries the mean steps the looped backend reported.
func TestModelSettingsRun(t *testing.T) {
	slow := map[string]*slowBackend{"a": newSlow("a", 0)}
	cfg := &Config{Tasks: []string{"add"}, Bootstrap: 50, Seeds: []uint64{3}, Models: []ModelConfig{
		{Spec: "chance"},
		{Spec: "slow:a", Settings: []SettingConfig{{R: 1}, {R: 3}, {R: 3, Q: ptr(0.5)}}},
	}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(context.Background(), cfg, fakeEnv(20, slow), Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mf MetricsFile
	if err := json.Unmarshal(data, &mf); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, r := range mf.Results {
		if r.Task != "add_mc" {
			continue
		}
		key := r.SettingKey
		if r.MeanSteps != nil {
			key += fmt.Sprintf(" steps=%g", *r.MeanSteps)
		}
		got[r.Model] = append(got[r.Model], key)
	}
	want := map[string][]string{
		"chance": {"seed=3"},
		"slow_a": {"seed=3,R=1 steps=1", "seed=3,R=3 steps=3", "seed=3,R=3,q=0.5 steps=3"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("add_mc results = %v, want %v", got, want)
	}
}

func ptr[T any](v T) *T { return &v }
