package scoring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
)

// Aggregation names accepted by Aggregate and AggregateWeighted.
var aggregationNames = []string{"bits_per_byte", "mean", "median", "nanmean", "perplexity", "weighted_perplexity"}

// AggregationNames lists the aggregation names, sorted.
func AggregationNames() []string { return slices.Clone(aggregationNames) }

// IsWeighted reports whether an aggregation needs per-document weights
// (AggregateWeighted) rather than plain values.
func IsWeighted(name string) bool {
	return name == "weighted_perplexity" || name == "bits_per_byte"
}

// Aggregate reduces per-document scores with an lm-eval aggregation:
//
//	mean        sum / n
//	median      lm-eval's median: the element at index n/2 of the scores in
//	            document order (lm-eval does not sort)
//	nanmean     mean of the non-NaN scores (NaN when there are none)
//	perplexity  exp(-mean) of per-document log-likelihoods
//
// weighted_perplexity and bits_per_byte need weights: use
// AggregateWeighted. An empty input is an error.
func Aggregate(name string, values []float64) (float64, error) {
	if IsWeighted(name) {
		return 0, fmt.Errorf("aggregation %q needs per-document weights: use AggregateWeighted", name)
	}
	if len(values) == 0 {
		return 0, fmt.Errorf("aggregation %q: no values", name)
	}
	switch name {
	case "mean":
		return Mean(values), nil
	case "median":
		return values[len(values)/2], nil
	case "nanmean":
		var s float64
		n := 0
		for _, v := range values {
			if !math.IsNaN(v) {
				s += v
				n++
			}
		}
		if n == 0 {
			return math.NaN(), nil
		}
		return s / float64(n), nil
	case "perplexity":
		return math.Exp(-Mean(values)), nil
	}
	return 0, fmt.Errorf("unknown aggregation %q (known: %v)", name, aggregationNames)
}

// AggregateWeighted reduces (value, weight) pairs with a ratio-of-sums
// aggregation: weighted_perplexity = exp(-Σv/Σw) and bits_per_byte =
// -Σv/Σw/ln 2, where v are log-likelihoods and w word or byte counts. For the
// other aggregations the weights are ignored and it equals Aggregate.
func AggregateWeighted(name string, values, weights []float64) (float64, error) {
	if !IsWeighted(name) {
		return Aggregate(name, values)
	}
	if len(values) != len(weights) {
		return 0, fmt.Errorf("aggregation %q: %d values but %d weights", name, len(values), len(weights))
	}
	if len(values) == 0 {
		return 0, fmt.Errorf("aggregation %q: no values", name)
	}
	var sv, sw float64
	for i := range values {
		sv += values[i]
		sw += weights[i]
	}
	if name == "weighted_perplexity" {
		return math.Exp(-sv / sw), nil
	}
	return -sv / sw / math.Ln2, nil
}

// Mean is sum / n, summed left to right like Python's sum (NaN for an empty
// slice).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// SampleStdDev is the sample standard deviation (n-1 denominator), NaN
// when n < 2.
func SampleStdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	mu := Mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - mu) * (x - mu)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// StdErr is lm-eval's mean_stderr: sample standard deviation / sqrt(n). It
// is NaN when n < 2 (lm-eval reports "N/A").
func StdErr(xs []float64) float64 {
	return SampleStdDev(xs) / math.Sqrt(float64(len(xs)))
}

// PooledStdErr is lm-eval's pooled_sample_stderr, the standard error of a
// size-weighted group mean from its subtasks' standard errors and sizes.
func PooledStdErr(stderrs []float64, sizes []int) (float64, error) {
	if len(stderrs) != len(sizes) || len(sizes) == 0 {
		return 0, fmt.Errorf("pooled stderr: %d stderrs for %d sizes", len(stderrs), len(sizes))
	}
	var num float64
	total := 0
	for i, se := range stderrs {
		n := float64(sizes[i])
		num += (n - 1) * se * se * n
		total += sizes[i]
	}
	if total-len(sizes) <= 0 {
		return math.NaN(), nil
	}
	return math.Sqrt(num / float64(total-len(sizes)) / float64(total)), nil
}

// GroupMean is lm-eval's aggregate_subtask_metrics: the size-weighted mean
// of subtask scores, or their plain mean when weightBySize is false.
func GroupMean(scores []float64, sizes []int, weightBySize bool) (float64, error) {
	if len(scores) != len(sizes) || len(scores) == 0 {
		return 0, fmt.Errorf("group mean: %d scores for %d sizes", len(scores), len(sizes))
	}
	var num, den float64
	for i, s := range scores {
		w := 1.0
		if weightBySize {
			w = float64(sizes[i])
		}
		num += s * w
		den += w
	}
	return num / den, nil
}

// CI is a confidence interval.
type CI struct {
	Lo, Hi float64
	Level  float64 // e.g. 0.95
}

// DefaultResamples is the default number of bootstrap resamples.
const DefaultResamples = 10000

// bootstrapChunk is the number of resamples drawn from one PRNG stream.
// Chunks are the unit of parallel work; the replicate sequence depends only
// on (seed, chunk index), never on the number of workers.
const bootstrapChunk = 500

// Bootstrap resamples xs with replacement `resamples` times (0 means
// DefaultResamples), computes stat on each resample, and returns the 95 %
// percentile interval of the replicates and their standard deviation (the
// bootstrap standard error, as lm-eval's bootstrap_stderr). It is seeded and
// deterministic: the result is bit-identical for any workers value (< 1
// means 1). stat must be safe for concurrent calls and must not keep its
// argument.
func Bootstrap(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int) (CI, float64, error) {
	return BootstrapLevel(ctx, xs, stat, resamples, seed, workers, 0.95)
}

// BootstrapLevel is Bootstrap with a chosen confidence level in (0, 1).
func BootstrapLevel(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int, level float64) (CI, float64, error) {
	reps, err := Replicates(ctx, xs, stat, resamples, seed, workers)
	if err != nil {
		return CI{}, 0, err
	}
	if !(level > 0 && level < 1) {
		return CI{}, 0, fmt.Errorf("bootstrap: confidence level %v is not in (0, 1)", level)
	}
	se := SampleStdDev(reps)
	sort.Float64s(reps)
	alpha := (1 - level) / 2
	return CI{Lo: Percentile(reps, alpha), Hi: Percentile(reps, 1-alpha), Level: level}, se, nil
}

// Replicates returns the bootstrap replicates stat(resample_i) in resample
// order; see Bootstrap.
func Replicates(ctx context.Context, xs []float64, stat func([]float64) float64, resamples int, seed uint64, workers int) ([]float64, error) {
	if len(xs) == 0 {
		return nil, errors.New("bootstrap: no values")
	}
	if resamples == 0 {
		resamples = DefaultResamples
	}
	if resamples < 2 {
		return nil, fmt.Errorf("bootstrap: need at least 2 resamples, got %d", resamples)
	}
	if workers < 1 {
		workers = 1
	}
	nChunks := (resamples + bootstrapChunk - 1) / bootstrapChunk
	workers = min(workers, nChunks)
	reps := make([]float64, resamples)
	var (
		next    int
		mu      sync.Mutex
		wg      sync.WaitGroup
		errOnce error
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if errOnce != nil || next >= nChunks {
			return -1
		}
		if err := ctx.Err(); err != nil {
			errOnce = err
			return -1
		}
		c := next
		next++
		return c
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]float64, len(xs))
			for c := take(); c >= 0; c = take() {
				rng := rand.New(rand.NewPCG(seed, uint64(c)))
				lo := c * bootstrapChunk
				hi := min(lo+bootstrapChunk, resamples)
				for r := lo; r < hi; r++ {
					for i := range buf {
						buf[i] = xs[rng.IntN(len(xs))]
					}
					reps[r] = stat(buf)
				}
			}
		}()
	}
	wg.Wait()
	if errOnce != nil {
		return nil, errOnce
	}
	return reps, nil
}

// Percentile returns the q-quantile (q in [0, 1]) of sorted values with
// linear interpolation between order statistics (numpy's default method).
func Percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i >= len(sorted)-1 {
		return sorted[len(sorted)-1]
	}
	if i < 0 {
		return sorted[0]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// Paired is the result of a paired comparison of two score vectors on the
// same documents.
type Paired struct {
	N        int     // number of documents
	MeanA    float64 // mean of a
	MeanB    float64 // mean of b
	MeanDiff float64 // mean of a[i]-b[i]
	StdErr   float64 // bootstrap standard error of MeanDiff
	CI       CI      // bootstrap percentile interval of MeanDiff
	// Wins, Losses and Ties count documents where a[i] > b[i], a[i] < b[i]
	// and a[i] == b[i].
	Wins, Losses, Ties int
	// PValue is a two-sided paired-bootstrap p-value for "no difference":
	// the fraction of replicates that lie at least |MeanDiff| away from
	// MeanDiff (the replicate distribution shifted to the null of zero
	// difference).
	PValue float64
}

// PairedBootstrap compares two score vectors on the same documents (a[i]
// and b[i] score document i): the mean difference with a seeded, parallel,
// worker-count-independent bootstrap over documents.
func PairedBootstrap(ctx context.Context, a, b []float64, resamples int, seed uint64, workers int) (Paired, error) {
	if len(a) != len(b) {
		return Paired{}, fmt.Errorf("paired bootstrap: %d scores vs %d scores (must be the same documents)", len(a), len(b))
	}
	if len(a) == 0 {
		return Paired{}, errors.New("paired bootstrap: no documents")
	}
	d := make([]float64, len(a))
	p := Paired{N: len(a), MeanA: Mean(a), MeanB: Mean(b)}
	for i := range a {
		d[i] = a[i] - b[i]
		switch {
		case a[i] > b[i]:
			p.Wins++
		case a[i] < b[i]:
			p.Losses++
		default:
			p.Ties++
		}
	}
	p.MeanDiff = Mean(d)
	reps, err := Replicates(ctx, d, Mean, resamples, seed, workers)
	if err != nil {
		return Paired{}, err
	}
	p.StdErr = SampleStdDev(reps)
	// p-value: shift the replicate distribution to mean zero (the null) and
	// count replicates at least as extreme as the observed difference.
	extreme := 0
	for _, r := range reps {
		if math.Abs(r-p.MeanDiff) >= math.Abs(p.MeanDiff) {
			extreme++
		}
	}
	p.PValue = math.Min(1, float64(extreme)/float64(len(reps)))
	sort.Float64s(reps)
	p.CI = CI{Lo: Percentile(reps, 0.025), Hi: Percentile(reps, 0.975), Level: 0.95}
	return p, nil
}

// PassAtK is the unbiased pass@k estimator (Chen et al. 2021) for n samples
// of which c are correct: 1 - C(n-c, k)/C(n, k), in the stable product form
// 1 - Π_{i=n-c+1..n} (1 - k/i); 1 when n-c < k. Arguments outside
// 0 <= c <= n, 1 <= k <= n give NaN.
func PassAtK(n, c, k int) float64 {
	if n < 1 || c < 0 || c > n || k < 1 || k > n {
		return math.NaN()
	}
	if n-c < k {
		return 1
	}
	prod := 1.0
	for i := n - c + 1; i <= n; i++ {
		prod *= 1 - float64(k)/float64(i)
	}
	return 1 - prod
}

// MajAtK is majority voting over the first k answers (k <= 0 or k >
// len(answers) means all): the most frequent answer, ties going to the one
// that appears first (lm-eval's Counter.most_common rule). It returns "" for
// no answers.
func MajAtK(answers []string, k int) string {
	if k > 0 && k < len(answers) {
		answers = answers[:k]
	}
	return Majority(answers)
}

// McNemar is the exact McNemar test for two 0/1 score vectors on the same
// documents: AOnly counts documents a gets right and b wrong, BOnly the
// reverse, and PValue is the two-sided exact binomial p-value of the
// discordant counts under "no difference" (1 when there are none). Scores
// other than 0 and 1 are an error.
func McNemar(a, b []float64) (aOnly, bOnly int, pValue float64, err error) {
	if len(a) != len(b) {
		return 0, 0, 0, fmt.Errorf("mcnemar: %d scores vs %d scores (must be the same documents)", len(a), len(b))
	}
	for i := range a {
		if (a[i] != 0 && a[i] != 1) || (b[i] != 0 && b[i] != 1) {
			return 0, 0, 0, fmt.Errorf("mcnemar: document %d has non-binary scores %v, %v", i, a[i], b[i])
		}
		switch {
		case a[i] == 1 && b[i] == 0:
			aOnly++
		case a[i] == 0 && b[i] == 1:
			bOnly++
		}
	}
	n := aOnly + bOnly
	if n == 0 {
		return aOnly, bOnly, 1, nil
	}
	k := min(aOnly, bOnly)
	lgN, _ := math.Lgamma(float64(n + 1))
	var tail float64
	for i := 0; i <= k; i++ {
		lgI, _ := math.Lgamma(float64(i + 1))
		lgR, _ := math.Lgamma(float64(n - i + 1))
		tail += math.Exp(lgN - lgI - lgR - float64(n)*math.Ln2)
	}
	return aOnly, bOnly, math.Min(1, 2*tail), nil
}
