// Package leaderboards turns the result files of a finished run
// (metrics.json and run.json, see package harness) into tables — the plain
// results, the parameter-efficiency view and the per-depth table of looped
// models — and gates a run against a committed baseline (Gate). It reads
// result files only: it never opens a backend or re-scores a sample.
package leaderboards

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ouroeval/ouroeval/harness"
)

// Run is a run directory's result files.
type Run struct {
	// Dir is the run directory.
	Dir string
	// Metrics is metrics.json.
	Metrics *harness.MetricsFile
	// Info is run.json (nil when the directory has none, e.g. a bare
	// metrics file).
	Info *harness.RunInfo
}

// Load reads metrics.json and run.json from the run directory dir.
func Load(dir string) (*Run, error) {
	mf, err := LoadMetrics(filepath.Join(dir, "metrics.json"))
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Metrics: mf}
	file := filepath.Join(dir, "run.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("leaderboards: %w", err)
	}
	var info harness.RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("leaderboards: %s: %v", file, err)
	}
	r.Info = &info
	return r, nil
}

// LoadMetrics reads a metrics.json file (a run's, or a baseline copied
// from one).
func LoadMetrics(file string) (*harness.MetricsFile, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("leaderboards: %w", err)
	}
	var mf harness.MetricsFile
	if err := json.Unmarshal(data, &mf); err != nil {
		return nil, fmt.Errorf("leaderboards: %s: not a metrics.json file: %v", file, err)
	}
	if mf.Schema != 1 {
		return nil, fmt.Errorf("leaderboards: %s: metrics schema %d, want 1", file, mf.Schema)
	}
	return &mf, nil
}

// primary is a task result's headline metric: the first metric (the
// task's first metric_list entry under its first filter chain).
func primary(tr *harness.TaskResult) *harness.MetricResult {
	if len(tr.Metrics) == 0 {
		return nil
	}
	return &tr.Metrics[0]
}

// Level is one value of a breakdown field with its cell.
type Level struct {
	Value string
	Cell  harness.Cell
}

// levels returns a metric's breakdown: its first field (alphabetically)
// and that field's values in difficulty order — numerically when every
// value is a number (hops 1, 2, …, 10), else lexically. The last level
// is the hardest by convention (the most hops, operations or steps).
func levels(m *harness.MetricResult) (field string, out []Level) {
	if m == nil || len(m.Breakdown) == 0 {
		return "", nil
	}
	fields := make([]string, 0, len(m.Breakdown))
	for f := range m.Breakdown {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	field = fields[0]
	for v, c := range m.Breakdown[field] {
		out = append(out, Level{v, c})
	}
	sortLevels(out)
	return field, out
}

func sortLevels(ls []Level) {
	numeric := true
	for _, l := range ls {
		if _, err := strconv.ParseFloat(l.Value, 64); err != nil {
			numeric = false
		}
	}
	sort.Slice(ls, func(i, j int) bool {
		if numeric {
			a, _ := strconv.ParseFloat(ls[i].Value, 64)
			b, _ := strconv.ParseFloat(ls[j].Value, 64)
			if a != b {
				return a < b
			}
		}
		return ls[i].Value < ls[j].Value
	})
}

// Wilson is the 95 % Wilson score interval of a proportion p observed on
// n documents (exact for 0/1 metrics such as exact_match and acc).
func Wilson(p float64, n int) (lo, hi float64) {
	if n <= 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959963984540054
	nf := float64(n)
	den := 1 + z*z/nf
	centre := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(0, centre-half), math.Min(1, centre+half)
}

// cellCI is a breakdown cell's 95 % interval: Wilson for values in
// [0, 1] (proportions), value ± 1.96·stderr otherwise.
func cellCI(c harness.Cell) (lo, hi float64, ok bool) {
	if c.Value == nil || c.N == 0 {
		return 0, 0, false
	}
	v := *c.Value
	if v >= 0 && v <= 1 {
		lo, hi = Wilson(v, c.N)
		return lo, hi, true
	}
	if c.Stderr == nil {
		return 0, 0, false
	}
	return v - 1.96**c.Stderr, v + 1.96**c.Stderr, true
}

// settingLabel names a setting without its seed (when the run used one
// seed): "R=4,q=0.5", or "default" for a backend's own defaults.
func settingLabel(s harness.Setting, oneSeed bool) string {
	var parts []string
	if !oneSeed {
		parts = append(parts, "seed="+strconv.FormatUint(s.Seed, 10))
	}
	if s.R != 0 {
		parts = append(parts, "R="+strconv.Itoa(s.R))
	}
	if s.Q != nil {
		parts = append(parts, "q="+strconv.FormatFloat(*s.Q, 'g', -1, 64))
	}
	if s.KV != "" {
		parts = append(parts, "kv="+s.KV)
	}
	if len(parts) == 0 {
		return "default"
	}
	return strings.Join(parts, ",")
}

func oneSeed(mf *harness.MetricsFile) bool {
	seeds := map[uint64]bool{}
	for _, r := range mf.Results {
		seeds[r.Setting.Seed] = true
	}
	return len(seeds) <= 1
}

func num(v *float64) string {
	if v == nil {
		return "N/A"
	}
	return fmt.Sprintf("%.4f", *v)
}

func acc(v *float64) string {
	if v == nil {
		return "N/A"
	}
	return fmt.Sprintf("%.3f", *v)
}

func interval(lo, hi *float64) string {
	if lo == nil || hi == nil {
		return "N/A"
	}
	return fmt.Sprintf("[%.3f, %.3f]", *lo, *hi)
}

// params formats a parameter count: 141185 → "141.2k".
func params(n int64) string {
	switch {
	case n <= 0:
		return "—"
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return strconv.FormatInt(n, 10)
}
