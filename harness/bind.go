package harness

import (
	"context"
	"fmt"

	"github.com/ouroeval/ouroeval/scoring"
	"github.com/ouroeval/ouroeval/tasks"
)

// This file binds the harness to packages tasks and scoring (the only
// place that imports them), converting their FilterSpec/MetricSpec into
// scoring chains and metrics as CONTRACT.md describes.

// NewCatalog adapts a task catalog. Every task's filter chains and metrics
// are built when it is resolved, so a bad filter_list or metric_list fails
// before the first request.
func NewCatalog(c *tasks.Catalog) Catalog { return taskCatalog{c} }

type taskCatalog struct{ c *tasks.Catalog }

func (tc taskCatalog) Resolve(names []string) ([]*Task, []Group, error) {
	ts, err := tc.c.Resolve(names)
	if err != nil {
		return nil, nil, err
	}
	out := make([]*Task, 0, len(ts))
	for _, t := range ts {
		ht, err := adaptTask(t)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, ht)
	}
	var groups []Group
	seen := map[string]bool{}
	var addGroup func(n string) error
	addGroup = func(n string) error {
		gs, ok := tc.c.GroupSpec(n)
		if !ok || seen[n] {
			return nil
		}
		seen[n] = true
		members, err := tc.c.Resolve([]string{n})
		if err != nil {
			return err
		}
		g := Group{Name: n, Subtasks: []string{}}
		for _, m := range members {
			g.Members = append(g.Members, m.Name)
		}
		for _, sub := range gs.Tasks {
			if _, isGroup := tc.c.GroupSpec(sub); isGroup {
				g.Subtasks = append(g.Subtasks, sub)
				continue
			}
			// A task, or a tag standing for its tasks (lm-eval flattens
			// tags into the group's subtasks).
			ts, err := tc.c.Resolve([]string{sub})
			if err != nil {
				return err
			}
			for _, t := range ts {
				g.Subtasks = append(g.Subtasks, t.Name)
			}
		}
		for _, a := range gs.AggregateMetricList {
			for _, f := range a.FilterList {
				g.Aggregates = append(g.Aggregates, GroupAggregate{Metric: a.Metric, Filter: f, WeightBySize: a.WeightBySize})
			}
		}
		groups = append(groups, g)
		// Nested groups are aggregated too, as lm-eval reports them.
		for _, sub := range gs.Tasks {
			if err := addGroup(sub); err != nil {
				return err
			}
		}
		return nil
	}
	for _, n := range names {
		if err := addGroup(n); err != nil {
			return nil, nil, err
		}
	}
	return out, groups, nil
}

func adaptTask(t *tasks.Task) (*Task, error) {
	ot := t.Spec.OutputType
	ht := &Task{
		Name: t.Name, Version: t.Version, Hash: t.Hash, Source: t.Source, OutputType: ot,
		NumFewshot: t.NumFewshot(), Config: t.Spec, Breakdown: t.Breakdown(),
	}
	for _, fs := range t.Filters() {
		steps := make([]scoring.FilterStep, len(fs.Steps))
		for i, s := range fs.Steps {
			steps[i] = scoring.FilterStep{Function: s.Function, Args: s.Args}
		}
		c, err := scoring.NewChain(fs.Name, steps)
		if err != nil {
			return nil, fmt.Errorf("task %s (%s): filter_list: %w", t.Name, t.Source, err)
		}
		ht.Filters = append(ht.Filters, chainFilter{c})
	}
	for _, ms := range t.Metrics() {
		m, err := scoring.NewMetric(scoring.MetricSpec{Metric: ms.Metric, Aggregation: ms.Aggregation, HigherIsBetter: ms.HigherIsBetter, Kwargs: ms.Kwargs}, ot)
		if err != nil {
			return nil, fmt.Errorf("task %s (%s): metric_list: %w", t.Name, t.Source, err)
		}
		if wm, ok := m.(scoring.WeightedMetric); ok {
			ht.Metrics = append(ht.Metrics, weightedMetric{metric{m}, wm})
		} else {
			ht.Metrics = append(ht.Metrics, metric{m})
		}
	}
	ht.Load = func(ctx context.Context, o LoadOptions) (Dataset, error) {
		d, err := t.Load(ctx, tasks.LoadOptions{DataDir: o.DataDir, Seed: o.Seed, NumFewshot: o.NumFewshot})
		if err != nil {
			return nil, err
		}
		return dataset{d}, nil
	}
	return ht, nil
}

type chainFilter struct{ c *scoring.Chain }

func (f chainFilter) Name() string                     { return f.c.Name }
func (f chainFilter) Apply(r []string) []string        { return f.c.Apply(r) }
func (f chainFilter) IsFailure(filtered []string) bool { return f.c.IsFailure(filtered) }

type metric struct{ m scoring.Metric }

func (m metric) Name() string                          { return m.m.Name() }
func (m metric) Aggregation() string                   { return m.m.Aggregation() }
func (m metric) HigherIsBetter() bool                  { return m.m.HigherIsBetter() }
func (m metric) Score(in *ScoreInput) (float64, error) { return m.m.Score(toScoring(in)) }

type weightedMetric struct {
	metric
	w scoring.WeightedMetric
}

func (m weightedMetric) Weight(in *ScoreInput) (float64, error) { return m.w.Weight(toScoring(in)) }

func toScoring(in *ScoreInput) *scoring.Input {
	return &scoring.Input{
		OutputType: in.OutputType, Filtered: in.Filtered, Raw: in.Raw, Gold: in.Gold, GoldTexts: in.GoldTexts,
		GoldIndex: in.GoldIndex, Golds: in.Golds, Choices: in.Choices,
		LogLikelihoods: in.LogLikelihoods, IsGreedy: in.IsGreedy, Tokens: in.Tokens,
		RollingBytes: in.RollingBytes, RollingWords: in.RollingWords,
	}
}

type dataset struct{ d *tasks.Dataset }

func (d dataset) Len() int        { return len(d.d.Docs) }
func (d dataset) DocHash() string { return d.d.DocHash }
func (d dataset) Build(i int, seed uint64) (*Sample, error) {
	s, err := d.d.Build(i, seed)
	if err != nil {
		return nil, err
	}
	out := &Sample{
		DocID: s.DocID, Doc: s.Doc, Prompt: s.Prompt, Target: s.Target, Targets: s.Targets, GoldIndex: s.GoldIndex,
		Golds: s.Golds, Choices: s.Choices, Breakdown: s.Breakdown,
		Requests: make([]Request, len(s.Requests)),
	}
	for j, r := range s.Requests {
		out.Requests[j] = Request{Kind: r.Kind, Generate: r.Generate, LogLikelihood: r.LogLikelihood, Rolling: r.Rolling}
	}
	return out, nil
}

// ScoringStats implements [Stats] with package scoring.
type ScoringStats struct{}

// Aggregate implements [Stats].
func (ScoringStats) Aggregate(name string, xs []float64) (float64, error) {
	return scoring.Aggregate(name, xs)
}

// AggregateWeighted implements [Stats].
func (ScoringStats) AggregateWeighted(name string, xs, ws []float64) (float64, error) {
	return scoring.AggregateWeighted(name, xs, ws)
}

// IsWeighted implements [Stats].
func (ScoringStats) IsWeighted(name string) bool { return scoring.IsWeighted(name) }

// StdErr implements [Stats].
func (ScoringStats) StdErr(xs []float64) float64 { return scoring.StdErr(xs) }

// Bootstrap implements [Stats].
func (ScoringStats) Bootstrap(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int) (lo, hi, se float64, err error) {
	ci, se, err := scoring.Bootstrap(ctx, xs, stat, resamples, seed, workers)
	return ci.Lo, ci.Hi, se, err
}
