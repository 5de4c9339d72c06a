package leaderboards

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/harness"
)

func f(v float64) *float64 { return &v }

// cell is a breakdown cell of a 0/1 metric.
func cell(v float64, n int, steps float64) harness.Cell {
	c := harness.Cell{Value: f(v), Stderr: f(math.Sqrt(v * (1 - v) / float64(n))), N: n}
	if steps > 0 {
		c.MeanSteps = f(steps)
	}
	return c
}

// result is a khop-like result with two hop levels.
func result(model string, s harness.Setting, all, h1, h2, steps float64) harness.TaskResult {
	tr := harness.TaskResult{Model: model, Task: "khop", Setting: s, SettingKey: s.Key(), N: 200,
		Metrics: []harness.MetricResult{{Metric: "exact_match", Filter: "none", Aggregation: "mean", HigherIsBetter: true,
			Value: f(all), Stderr: f(0.02), CILo: f(all - 0.05), CIHi: f(all + 0.05), N: 200,
			Breakdown: map[string]map[string]harness.Cell{"hops": {"1": cell(h1, 100, steps-1), "10": cell(h2, 100, steps)}}}}}
	if steps > 0 {
		tr.MeanSteps = f(steps)
	}
	return tr
}

// fixture is a run of a looped model at R = 1, 4 and q = 0.5, a dense
// model and the chance floor.
func fixture() *Run {
	q := 0.5
	mf := &harness.MetricsFile{Schema: 1, Bootstrap: 100, ConfidenceLevel: 0.95, Results: []harness.TaskResult{
		result("looped", harness.Setting{Seed: 1, R: 1}, 0.6, 0.9, 0.3, 1),
		result("looped", harness.Setting{Seed: 1, R: 4}, 0.8, 1.0, 0.6, 4),
		result("looped", harness.Setting{Seed: 1, R: 4, Q: &q}, 0.79, 1.0, 0.58, 3),
		result("dense", harness.Setting{Seed: 1}, 0.7, 1.0, 0.4, 0),
		result("chance", harness.Setting{Seed: 1}, 0, 0, 0, 0),
	}}
	info := &harness.RunInfo{Schema: 1, Models: []harness.ModelInfo{
		{Name: "looped", Identity: backends.Identity{Kind: "engine", Params: 141185}, Capabilities: backends.Capabilities{Looped: true}},
		{Name: "dense", Identity: backends.Identity{Kind: "engine", Params: 425312}},
		{Name: "chance", Identity: backends.Identity{Kind: "chance"}},
	}}
	return &Run{Metrics: mf, Info: info}
}

func TestWilson(t *testing.T) {
	tests := []struct {
		p      float64
		n      int
		lo, hi float64
	}{
		{0.817, 750, 0.788, 0.843}, // results/baselines/micro.md, hops=4
		{0.612, 750, 0.577, 0.646},
		{0, 750, 0, 0.005},
		{1, 750, 0.995, 1},
	}
	for _, tt := range tests {
		lo, hi := Wilson(tt.p, tt.n)
		if math.Abs(lo-tt.lo) > 6e-4 || math.Abs(hi-tt.hi) > 6e-4 {
			t.Errorf("Wilson(%v, %d) = [%.4f, %.4f], want [%.3f, %.3f]", tt.p, tt.n, lo, hi, tt.lo, tt.hi)
		}
	}
	if lo, _ := Wilson(0.5, 0); !math.IsNaN(lo) {
		t.Errorf("Wilson with n=0 = %v, want NaN", lo)
	}
}

func TestLevelsOrder(t *testing.T) {
	tests := []struct {
		vals []string
		want string
	}{
		{[]string{"10", "2", "1"}, "1 2 10"},
		{[]string{"hard", "easy", "medium"}, "easy hard medium"},
		{[]string{"2", "x"}, "2 x"},
	}
	for _, tt := range tests {
		m := &harness.MetricResult{Breakdown: map[string]map[string]harness.Cell{"b": {}, "a": {}}}
		for _, v := range tt.vals {
			m.Breakdown["a"][v] = harness.Cell{}
		}
		field, ls := levels(m)
		var got []string
		for _, l := range ls {
			got = append(got, l.Value)
		}
		if field != "a" || strings.Join(got, " ") != tt.want {
			t.Errorf("levels(%v) = %s %v, want a %s", tt.vals, field, got, tt.want)
		}
	}
}

func TestEfficiency(t *testing.T) {
	tb := Efficiency(fixture())
	want := [][]string{
		{"looped", "khop", "R=4", "141.2k", "4.00", "exact_match", "0.800", "[0.750, 0.850]", "0.600"},
		{"dense", "khop", "default", "425.3k", "1", "exact_match", "0.700", "[0.650, 0.750]", "0.400"},
		{"chance", "khop", "default", "—", "—", "exact_match", "0.000", "[-0.050, 0.050]", "0.000"},
	}
	if len(tb.Rows) != len(want) {
		t.Fatalf("rows %v", tb.Rows)
	}
	if h := tb.Header[8]; h != "Hardest: hops=10" {
		t.Errorf("hardest column %q, want hops=10 (numeric order)", h)
	}
	for i, w := range want {
		if got := tb.Rows[i][:9]; strings.Join(got, "|") != strings.Join(w, "|") {
			t.Errorf("row %d = %v, want %v", i, got, w)
		}
	}
	lo, hi := Wilson(0.6, 100)
	if got, w := tb.Rows[0][9], fmt.Sprintf("[%.3f, %.3f]", lo, hi); got != w {
		t.Errorf("hardest CI %s, want Wilson %s", got, w)
	}
}

func TestPerDepth(t *testing.T) {
	tb := PerDepth(fixture())
	wantHeader := "Model|Task|Setting|Steps|Metric|Overall|hops=1|hops=10"
	if got := strings.Join(tb.Header, "|"); got != wantHeader {
		t.Errorf("header %s, want %s", got, wantHeader)
	}
	want := []string{
		"looped|khop|R=1|1.00|exact_match|0.600|0.900|0.300 / 1.00",
		"looped|khop|R=4|4.00|exact_match|0.800|1.000 / 3.00|0.600 / 4.00",
		"looped|khop|R=4,q=0.5|3.00|exact_match|0.790|1.000 / 2.00|0.580 / 3.00",
	}
	var got []string
	for _, r := range tb.Rows {
		got = append(got, strings.Join(r, "|"))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestPerDepthSelection(t *testing.T) {
	r := fixture()
	// Two seeds of the dense model: still not looped, not in the table.
	r.Metrics.Results = append(r.Metrics.Results, result("dense", harness.Setting{Seed: 2}, 0.7, 1, 0.4, 0))
	count := func(r *Run) map[string]int {
		n := map[string]int{}
		for _, row := range PerDepth(r).Rows {
			n[row[0]]++
		}
		return n
	}
	if got := count(r); len(got) != 1 || got["looped"] != 3 {
		t.Errorf("per-depth rows by model %v, want looped: 3", got)
	}
	// Without run.json, a model is looped when a result has R or q.
	r.Info = nil
	if got := count(r); len(got) != 1 || got["looped"] != 3 {
		t.Errorf("without run.json: per-depth rows by model %v, want looped: 3", got)
	}
}

func TestRender(t *testing.T) {
	r := fixture()
	tests := []struct {
		format string
		want   []string
	}{
		{Text, []string{"Results\n┌", "Parameter efficiency\n", "Per depth\n", "│ looped ", "Wilson score"}},
		{Markdown, []string{"### Results\n\n|", "### Per depth", "| looped ", "|:---"}},
		{CSV, []string{"# Results\nModel,Task,Setting", "# Parameter efficiency\n", "looped,khop,R=4,141.2k,4.00"}},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := RenderAll(&buf, Tables(r), tt.format); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%s output lacks %q:\n%s", tt.format, w, buf.String())
			}
		}
		if tt.format == CSV {
			for _, block := range strings.Split(buf.String(), "\n\n") {
				if _, err := csv.NewReader(strings.NewReader(block)).ReadAll(); err != nil && !strings.HasPrefix(block, "#") {
					t.Errorf("CSV block does not parse: %v", err)
				}
			}
		}
	}
	if err := Results(r.Metrics).Render(&bytes.Buffer{}, "html"); err == nil || !strings.Contains(err.Error(), `unknown format "html"`) {
		t.Errorf("unknown format error = %v", err)
	}
}

func writeRun(t *testing.T, r *Run) string {
	t.Helper()
	dir := t.TempDir()
	for name, v := range map[string]any{"metrics.json": r.Metrics, "run.json": r.Info} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoad(t *testing.T) {
	dir := writeRun(t, fixture())
	r, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Metrics.Results) != 5 || len(r.Info.Models) != 3 || len(Tables(r)) != 3 {
		t.Errorf("loaded %d results, %d models, %d tables", len(r.Metrics.Results), len(r.Info.Models), len(Tables(r)))
	}
	bad := t.TempDir()
	tests := []struct {
		name, metrics, run, want string
	}{
		{"no metrics", "", "{}", "metrics.json"},
		{"not JSON", "{", "{}", "not a metrics.json file"},
		{"wrong schema", `{"schema": 7}`, "{}", "metrics schema 7, want 1"},
		{"no run.json", `{"schema": 1}`, "", "run.json"},
		{"bad run.json", `{"schema": 1}`, "[", "run.json"},
	}
	for _, tt := range tests {
		d := filepath.Join(bad, strings.ReplaceAll(tt.name, " ", "_"))
		os.MkdirAll(d, 0o755)
		if tt.metrics != "" {
			os.WriteFile(filepath.Join(d, "metrics.json"), []byte(tt.metrics), 0o644)
		}
		if tt.run != "" {
			os.WriteFile(filepath.Join(d, "run.json"), []byte(tt.run), 0o644)
		}
		if _, err := Load(d); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Load error = %v, want %q", tt.name, err, tt.want)
		}
	}
}
