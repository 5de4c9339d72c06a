// Package harness is the spine of ouroeval: it expands a sweep config into
// jobs (model × task × setting), sends every document's requests to the
// backends concurrently through a crash-safe cache, scores the responses,
// and writes per-sample records, metrics with confidence intervals and run
// provenance under one run directory.
//
// The harness sees tasks and scoring through the small types in this file
// ([Task], [Dataset], [Sample], [Filter], [Metric], [Stats]); the
// adapters in bind.go connect them to packages tasks and scoring, and
// tests substitute fakes.
package harness

import (
	"context"

	"github.com/ouroeval/ouroeval/backends"
)

// Version is the ouroeval version recorded in every run.
const Version = "0.1.0"

// Request is one backend request of a document (see tasks.Request).
type Request struct {
	Kind          backends.Kind
	Generate      *backends.GenerateRequest
	LogLikelihood *backends.LogLikelihoodRequest
	Rolling       *backends.RollingRequest
}

// Sample is one rendered document (see tasks.Sample).
type Sample struct {
	DocID     int
	Doc       map[string]any
	Prompt    string
	Target    string
	Targets   []string // every acceptable gold text, when the task gives several
	GoldIndex int
	Golds     []int
	Choices   []string
	Requests  []Request
	Breakdown map[string]string
}

// Dataset is a loaded task's documents.
type Dataset interface {
	// Len is the number of evaluation documents.
	Len() int
	// Build renders document i with the few-shot seed.
	Build(i int, seed uint64) (*Sample, error)
	// DocHash is a sha256 over the canonical documents.
	DocHash() string
}

// LoadOptions are passed to [Task.Load].
type LoadOptions struct {
	DataDir string
	Seed    uint64
	// NumFewshot overrides the task's num_fewshot when non-nil.
	NumFewshot *int
}

// Filter is one named filter chain (lm-eval filter_list entry).
type Filter interface {
	Name() string
	Apply(responses []string) []string
	// IsFailure reports whether the chain's output means nothing could be
	// extracted (counted apart from wrong answers, and still scored).
	IsFailure(filtered []string) bool
}

// Metric scores one document (see scoring.Metric).
type Metric interface {
	Name() string
	Aggregation() string
	HigherIsBetter() bool
	Score(in *ScoreInput) (float64, error)
}

// WeightedMetric is a metric whose aggregation is a ratio of sums
// (weighted_perplexity, bits_per_byte): Score gives the numerator term and
// Weight the denominator term of one document.
type WeightedMetric interface {
	Metric
	Weight(in *ScoreInput) (float64, error)
}

// ScoreInput is what a metric sees of one document (see scoring.Input).
type ScoreInput struct {
	OutputType     string
	Filtered       []string
	Raw            []string
	Gold           string
	GoldTexts      []string
	GoldIndex      int
	Golds          []int
	Choices        []string
	LogLikelihoods []float64
	IsGreedy       []bool
	Tokens         []int
	RollingBytes   int
	RollingWords   int
}

// Task is one resolved task, ready to load.
type Task struct {
	Name       string
	Version    string
	Hash       string // sha256 of the resolved spec
	Source     string
	OutputType string // generate_until | multiple_choice | loglikelihood | loglikelihood_rolling
	NumFewshot int
	// Config is the resolved spec, recorded in run.json and lm-eval's
	// "configs".
	Config    any
	Breakdown []string
	Filters   []Filter
	Metrics   []Metric
	Load      func(ctx context.Context, opt LoadOptions) (Dataset, error)
}

// Group is a task group requested by name, with its leaf tasks.
//
// As in lm-eval, a group reports an aggregate of its own only for the
// entries of its aggregate_metric_list (Aggregates); a group without one
// (a suite such as ouro-base) just lists its members.
type Group struct {
	Name    string
	Members []string
	// Subtasks are the direct children the aggregates are taken over:
	// tasks, or nested groups whose own aggregates stand for them (with
	// their total size). Nil means Members.
	Subtasks []string
	// Aggregates lists the aggregated (metric, filter) pairs.
	Aggregates []GroupAggregate
}

// GroupAggregate is one (metric, filter) of a group's
// aggregate_metric_list: the mean of the subtasks' values, weighted by
// their document counts when WeightBySize (lm-eval's micro average) or
// unweighted otherwise (the macro average).
type GroupAggregate struct {
	Metric       string
	Filter       string
	WeightBySize bool
}

// Catalog resolves task and group names.
type Catalog interface {
	// Resolve expands names (tasks or groups) into leaf tasks, in order
	// and without duplicates, plus the groups that were named.
	Resolve(names []string) ([]*Task, []Group, error)
}

// Stats supplies aggregation and statistics (see package scoring).
type Stats interface {
	Aggregate(name string, xs []float64) (float64, error)
	// AggregateWeighted reduces (value, weight) pairs for the ratio-of-sums
	// aggregations; IsWeighted names them.
	AggregateWeighted(name string, xs, weights []float64) (float64, error)
	IsWeighted(name string) bool
	StdErr(xs []float64) float64
	// Bootstrap returns a 95% percentile interval and the bootstrap
	// standard error of stat over xs, deterministic for a given seed
	// regardless of workers.
	Bootstrap(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int) (lo, hi, stderr float64, err error)
}

// Opener opens a backend from a model spec (backends.Registry.Open).
type Opener func(ctx context.Context, spec string) (backends.Backend, error)
