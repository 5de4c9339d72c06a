package leaderboards

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/ouroeval/ouroeval/harness"
)

// DefaultMinTolerance is the smallest regression the gate forgives: 2
// points (0.02) of a metric.
const DefaultMinTolerance = 0.02

// z95 is the normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// Check is the gate's verdict on one baseline metric: a (model, task,
// setting, metric, filter) overall, or one of its breakdown cells.
type Check struct {
	// Key names the metric: "model/task setting metric,filter" plus
	// " field=value" for a breakdown cell.
	Key string
	// Baseline and Run are the two values (Run nil when missing).
	Baseline, Run *float64
	// Tolerance is the regression forgiven (see Gate).
	Tolerance float64
	// OK is false when the check fails; Message says why (or how the run
	// compares when it passes).
	OK      bool
	Message string
}

// GateReport is the outcome of Gate.
type GateReport struct {
	Checks []Check
	// Failures counts the failed checks.
	Failures int
	// Extra lists results of the run that the baseline does not have
	// (reported, never a failure: refresh the baseline to gate them).
	Extra []string
}

// OK reports whether every check passed.
func (g *GateReport) OK() bool { return g.Failures == 0 }

// Write prints the failed checks, the passed ones too when all is set,
// the run's results the baseline lacks, and a summary line.
func (g *GateReport) Write(w io.Writer, all bool) error {
	checks := append([]Check(nil), g.Checks...)
	sort.SliceStable(checks, func(i, j int) bool { return !checks[i].OK && checks[j].OK })
	for _, c := range checks {
		if c.OK && !all {
			continue
		}
		verdict := "ok  "
		if !c.OK {
			verdict = "FAIL"
		}
		if _, err := fmt.Fprintf(w, "%s %s: %s\n", verdict, c.Key, c.Message); err != nil {
			return err
		}
	}
	for _, e := range g.Extra {
		if _, err := fmt.Fprintf(w, "note %s: not in the baseline (not gated)\n", e); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "gate: %d checks, %d failed\n", len(g.Checks), g.Failures)
	return err
}

type resultKey struct{ model, task, setting string }

type metricKey struct{ metric, filter string }

// Gate compares the run's metrics with the baseline's. For every metric
// of every (model, task, setting) in the baseline, overall and in every
// breakdown cell, it fails when
//
//   - the run lacks the model, task, setting, metric, filter chain or
//     cell, or has no value where the baseline has one;
//   - the run scored a different number of documents (n), so the two are
//     not comparable (a different --limit), or had more failed requests;
//   - the metric moved the wrong way by more than the tolerance: for a
//     higher-is-better metric run < baseline − tol, for a lower-is-better
//     one run > baseline + tol, where
//     tol = max(minTol, half-width of the baseline's 95 % interval) —
//     the bootstrap interval for an overall metric, 1.96 × stderr for a
//     breakdown cell (minTol ≤ 0 means DefaultMinTolerance).
//
// Results in the run but not the baseline are listed in Extra. Runs are
// deterministic, so an unchanged engine and scorer reproduce the
// baseline exactly; the tolerance absorbs legitimate numerical drift
// (e.g. a new kernel's rounding) but not a broken model.
func Gate(baseline, run *harness.MetricsFile, minTol float64) *GateReport {
	if minTol <= 0 {
		minTol = DefaultMinTolerance
	}
	runs := map[resultKey]*harness.TaskResult{}
	for i := range run.Results {
		r := &run.Results[i]
		runs[resultKey{r.Model, r.Task, r.SettingKey}] = r
	}
	rep := &GateReport{}
	seen := map[resultKey]bool{}
	add := func(c Check) {
		if !c.OK {
			rep.Failures++
		}
		rep.Checks = append(rep.Checks, c)
	}
	for i := range baseline.Results {
		b := &baseline.Results[i]
		k := resultKey{b.Model, b.Task, b.SettingKey}
		seen[k] = true
		name := fmt.Sprintf("%s/%s %s", b.Model, b.Task, b.SettingKey)
		r := runs[k]
		if r == nil {
			add(Check{Key: name, Message: "missing from the run (model, task or setting not evaluated)"})
			continue
		}
		if r.NErrors > b.NErrors {
			add(Check{Key: name, Message: fmt.Sprintf("%d documents failed, baseline %d", r.NErrors, b.NErrors)})
		}
		rm := map[metricKey]*harness.MetricResult{}
		for j := range r.Metrics {
			rm[metricKey{r.Metrics[j].Metric, r.Metrics[j].Filter}] = &r.Metrics[j]
		}
		for j := range b.Metrics {
			bm := &b.Metrics[j]
			mkey := name + " " + bm.Metric + "," + bm.Filter
			m := rm[metricKey{bm.Metric, bm.Filter}]
			if m == nil {
				add(Check{Key: mkey, Baseline: bm.Value, Message: "metric missing from the run"})
				continue
			}
			half := 0.0
			if bm.CILo != nil && bm.CIHi != nil {
				half = (*bm.CIHi - *bm.CILo) / 2
			}
			add(compare(mkey, bm.Value, m.Value, bm.N, m.N, bm.HigherIsBetter, math.Max(minTol, half)))
			for _, field := range sortedKeys(bm.Breakdown) {
				for _, val := range sortedKeys(bm.Breakdown[field]) {
					bc := bm.Breakdown[field][val]
					ckey := mkey + " " + field + "=" + val
					rc, ok := m.Breakdown[field][val]
					if !ok {
						add(Check{Key: ckey, Baseline: bc.Value, Message: "breakdown cell missing from the run"})
						continue
					}
					half := 0.0
					if bc.Stderr != nil {
						half = z95 * *bc.Stderr
					}
					add(compare(ckey, bc.Value, rc.Value, bc.N, rc.N, bm.HigherIsBetter, math.Max(minTol, half)))
				}
			}
		}
	}
	for _, r := range run.Results {
		if !seen[resultKey{r.Model, r.Task, r.SettingKey}] {
			rep.Extra = append(rep.Extra, fmt.Sprintf("%s/%s %s", r.Model, r.Task, r.SettingKey))
		}
	}
	return rep
}

// compare checks one value against its baseline.
func compare(key string, base, run *float64, baseN, runN int, higherIsBetter bool, tol float64) Check {
	c := Check{Key: key, Baseline: base, Run: run, Tolerance: tol}
	switch {
	case baseN != runN:
		c.Message = fmt.Sprintf("scored %d documents, baseline %d: not comparable (was the run made with the baseline's --limit?)", runN, baseN)
		return c
	case base == nil:
		c.OK = true
		c.Message = "no baseline value"
		return c
	case run == nil:
		c.Message = fmt.Sprintf("no value in the run, baseline %.4f", *base)
		return c
	}
	delta := *run - *base
	worse := delta
	if higherIsBetter {
		worse = -delta
	}
	dir := "higher is better"
	if !higherIsBetter {
		dir = "lower is better"
	}
	if worse > tol {
		c.Message = fmt.Sprintf("%.4f vs baseline %.4f (%+.2f points, %s): regression beyond the tolerance of %.2f points", *run, *base, 100*delta, dir, 100*tol)
		return c
	}
	c.OK = true
	switch {
	case delta == 0:
		c.Message = fmt.Sprintf("%.4f (= baseline)", *run)
	case -worse > tol:
		c.Message = fmt.Sprintf("%.4f vs baseline %.4f (%+.2f points): improved beyond the tolerance; refresh the baseline", *run, *base, 100*delta)
	default:
		c.Message = fmt.Sprintf("%.4f vs baseline %.4f (%+.2f points, within %.2f)", *run, *base, 100*delta, 100*tol)
	}
	return c
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
