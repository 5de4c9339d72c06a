package harness

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
)

// MetricsFile is metrics.json: every metric × filter chain × setting of
// every (model, task), plus group aggregates. It contains no timing or
// run-specific data, so the same config and seed give the same bytes.
type MetricsFile struct {
	Schema          int           `json:"schema"`
	Bootstrap       int           `json:"bootstrap_resamples"`
	ConfidenceLevel float64       `json:"confidence_level"`
	Results         []TaskResult  `json:"results"`
	Groups          []GroupResult `json:"groups,omitempty"`
}

// TaskResult holds the metrics of one (model, task, setting).
type TaskResult struct {
	Model      string  `json:"model"`
	Task       string  `json:"task"`
	Version    string  `json:"version"`
	OutputType string  `json:"output_type"`
	NumFewshot int     `json:"n_shot"`
	Setting    Setting `json:"setting"`
	SettingKey string  `json:"setting_key"`
	N          int     `json:"n"`
	NErrors    int     `json:"n_errors"`
	// MeanSteps is the mean, over the documents whose requests succeeded,
	// of the recurrent steps executed per token (looped backends that
	// report steps; absent otherwise).
	MeanSteps *float64       `json:"mean_steps,omitempty"`
	Metrics   []MetricResult `json:"metrics"`
}

// MetricResult is one metric under one filter chain.
type MetricResult struct {
	Metric         string   `json:"metric"`
	Filter         string   `json:"filter"`
	Aggregation    string   `json:"aggregation"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Value          *float64 `json:"value"`
	Stderr         *float64 `json:"stderr"`
	// CILo and CIHi bound the 95% percentile bootstrap interval.
	CILo *float64 `json:"ci95_lo"`
	CIHi *float64 `json:"ci95_hi"`
	// N counts the scored documents; NErrors the documents excluded
	// because a request or the scoring failed.
	N                   int `json:"n"`
	NErrors             int `json:"n_errors"`
	NExtractionFailures int `json:"n_extraction_failures"`
	// Breakdown maps a breakdown field (metadata.breakdown) to its values'
	// cells.
	Breakdown map[string]map[string]Cell `json:"breakdown,omitempty"`
}

// Cell is a metric restricted to one breakdown value.
type Cell struct {
	Value  *float64 `json:"value"`
	Stderr *float64 `json:"stderr"`
	N      int      `json:"n"`
	// MeanSteps is TaskResult.MeanSteps over this cell's documents.
	MeanSteps *float64 `json:"mean_steps,omitempty"`
}

// GroupResult is a named group's aggregates (see [Group] and
// groupResult); Metrics is empty for a group without an
// aggregate_metric_list.
type GroupResult struct {
	Model      string   `json:"model"`
	Group      string   `json:"group"`
	Setting    Setting  `json:"setting"`
	SettingKey string   `json:"setting_key"`
	Members    []string `json:"members"`
	// Subtasks are the direct children (tasks or nested groups) the
	// aggregates are taken over: lm-eval's group_subtasks.
	Subtasks []string      `json:"subtasks"`
	Metrics  []GroupMetric `json:"metrics"`
}

// GroupMetric is the mean of a group's subtasks' values — weighted by
// their sizes when WeightBySize, plain otherwise — with the pooled
// standard error lm-eval uses (pooled_sample_stderr over the subtasks'
// sizes in both cases, as lm-eval does).
type GroupMetric struct {
	Metric         string   `json:"metric"`
	Filter         string   `json:"filter"`
	WeightBySize   bool     `json:"weight_by_size"`
	HigherIsBetter bool     `json:"higher_is_better"`
	Value          *float64 `json:"value"`
	Stderr         *float64 `json:"stderr"`
	N              int      `json:"n"`
	// Tasks lists the subtasks aggregated (all direct subtasks).
	Tasks []string `json:"tasks"`
}

func (r *runner) metrics(ctx context.Context) (*MetricsFile, error) {
	p := r.plan
	mf := &MetricsFile{Schema: 1, Bootstrap: p.cfg.Bootstrap, ConfidenceLevel: 0.95, Results: []TaskResult{}}
	nshot := func(t *Task) int {
		if p.cfg.NumFewshot != nil {
			return *p.cfg.NumFewshot
		}
		return t.NumFewshot
	}
	byKey := map[jobKey]*TaskResult{}
	for _, m := range p.models {
		for _, t := range p.tasks {
			for _, s := range m.settings {
				jo := r.outcome[jobKey{m.label, t.task.Name, s.Key()}]
				if jo == nil {
					continue
				}
				tr, err := r.taskResult(ctx, jo)
				if err != nil {
					return nil, err
				}
				tr.NumFewshot = nshot(t.task)
				mf.Results = append(mf.Results, *tr)
			}
		}
	}
	for i := range mf.Results {
		tr := &mf.Results[i]
		byKey[jobKey{tr.Model, tr.Task, tr.SettingKey}] = tr
	}
	byGroup := make(map[string]Group, len(p.groups))
	for _, g := range p.groups {
		byGroup[g.Name] = g
	}
	memo := map[jobKey]*GroupResult{}
	for _, g := range p.groups {
		for _, m := range p.models {
			for _, s := range m.settings {
				if gr := groupResult(g, m.label, s, byKey, byGroup, memo, nil); gr != nil {
					mf.Groups = append(mf.Groups, *gr)
				}
			}
		}
	}
	return mf, nil
}

// meanOf is the mean of xs, nil when xs is empty.
func meanOf(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	return finite(sum / float64(len(xs)))
}

func bootstrapSeed(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func (r *runner) taskResult(ctx context.Context, jo *jobOutcome) (*TaskResult, error) {
	t := jo.task.task
	tr := &TaskResult{
		Model: jo.model.label, Task: t.Name, Version: t.Version, OutputType: t.OutputType,
		Setting: jo.setting, SettingKey: jo.setting.Key(), N: len(jo.docs), Metrics: []MetricResult{},
	}
	var steps []float64
	for _, d := range jo.docs {
		if d.failed {
			tr.NErrors++
		} else if d.hasSteps {
			steps = append(steps, d.steps)
		}
	}
	tr.MeanSteps = meanOf(steps)
	stats := r.env.Stats
	for c, f := range t.Filters {
		for k, m := range t.Metrics {
			mr := MetricResult{Metric: m.Name(), Filter: f.Name(), Aggregation: m.Aggregation(), HigherIsBetter: m.HigherIsBetter()}
			weighted := stats.IsWeighted(m.Aggregation())
			var xs, ws []float64
			var ss []float64                    // steps of xs's documents (NaN: not reported)
			by := map[string]map[string][]int{} // field → value → indices into xs
			for _, d := range jo.docs {
				if d.failed || math.IsNaN(d.scores[c][k]) {
					mr.NErrors++
					continue
				}
				if d.extrFail[c] {
					mr.NExtractionFailures++
				}
				for _, field := range t.Breakdown {
					val, ok := d.breakdown[field]
					if !ok {
						continue
					}
					if by[field] == nil {
						by[field] = map[string][]int{}
					}
					by[field][val] = append(by[field][val], len(xs))
				}
				xs = append(xs, d.scores[c][k])
				ws = append(ws, d.weights[c][k])
				if d.hasSteps {
					ss = append(ss, d.steps)
				} else {
					ss = append(ss, math.NaN())
				}
			}
			mr.N = len(xs)
			agg := m.Aggregation()
			aggregate := func(vals, wts []float64) (float64, error) {
				if weighted {
					return stats.AggregateWeighted(agg, vals, wts)
				}
				return stats.Aggregate(agg, vals)
			}
			if len(xs) > 0 {
				v, err := aggregate(xs, ws)
				if err != nil {
					return nil, fmt.Errorf("%s/%s %s: metric %s: %w", jo.model.label, t.Name, jo.setting.Key(), m.Name(), err)
				}
				mr.Value = finite(v)
				if agg == "mean" && len(xs) > 1 {
					mr.Stderr = finite(stats.StdErr(xs))
				}
				if len(xs) > 1 && r.plan.cfg.Bootstrap > 0 {
					seed := bootstrapSeed(jo.model.label, t.Name, jo.setting.Key(), f.Name(), m.Name())
					sample, stat := xs, func(v []float64) float64 {
						a, err := stats.Aggregate(agg, v)
						if err != nil {
							return math.NaN()
						}
						return a
					}
					if weighted {
						// Resample document indices so values and weights
						// stay paired.
						sample = make([]float64, len(xs))
						for i := range sample {
							sample[i] = float64(i)
						}
						stat = func(ix []float64) float64 {
							vs, wt := make([]float64, len(ix)), make([]float64, len(ix))
							for j, i := range ix {
								vs[j], wt[j] = xs[int(i)], ws[int(i)]
							}
							a, err := stats.AggregateWeighted(agg, vs, wt)
							if err != nil {
								return math.NaN()
							}
							return a
						}
					}
					lo, hi, se, err := stats.Bootstrap(ctx, sample, stat, r.plan.cfg.Bootstrap, seed, r.opt.Workers)
					if err != nil {
						return nil, err
					}
					mr.CILo, mr.CIHi = finite(lo), finite(hi)
					if agg != "mean" {
						mr.Stderr = finite(se)
					}
				}
			}
			if len(by) > 0 {
				mr.Breakdown = map[string]map[string]Cell{}
				for field, vals := range by {
					cells := map[string]Cell{}
					for val, ix := range vals {
						vs, wt := make([]float64, len(ix)), make([]float64, len(ix))
						for j, i := range ix {
							vs[j], wt[j] = xs[i], ws[i]
						}
						cell := Cell{N: len(ix)}
						var cs []float64
						for _, i := range ix {
							if !math.IsNaN(ss[i]) {
								cs = append(cs, ss[i])
							}
						}
						cell.MeanSteps = meanOf(cs)
						if a, err := aggregate(vs, wt); err == nil {
							cell.Value = finite(a)
						}
						if agg == "mean" && len(vs) > 1 {
							cell.Stderr = finite(stats.StdErr(vs))
						}
						cells[val] = cell
					}
					mr.Breakdown[field] = cells
				}
			}
			tr.Metrics = append(tr.Metrics, mr)
		}
	}
	return tr, nil
}

// pooled returns the size-weighted mean and lm-eval's pooled sample
// standard error:
//
//	sqrt( Σ (n_i − 1)·se_i²·n_i / (Σ n_i − k) / Σ n_i )
func pooled(vals, ses []float64, ns []int) (mean, se float64, n int) {
	var sum, num float64
	for i, v := range vals {
		sum += v * float64(ns[i])
		n += ns[i]
		num += float64(ns[i]-1) * ses[i] * ses[i] * float64(ns[i])
	}
	if n == 0 {
		return math.NaN(), math.NaN(), 0
	}
	mean = sum / float64(n)
	if n-len(vals) <= 0 {
		return mean, math.NaN(), n
	}
	return mean, math.Sqrt(num / float64(n-len(vals)) / float64(n)), n
}
