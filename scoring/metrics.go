package scoring

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ouroeval/ouroeval/scoring/mathgrade"
	"github.com/ouroeval/ouroeval/scoring/pyre"
	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// Output types, in lm-eval's vocabulary.
const (
	GenerateUntil        = "generate_until"
	MultipleChoice       = "multiple_choice"
	LogLikelihood        = "loglikelihood"
	LogLikelihoodRolling = "loglikelihood_rolling"
)

// MetricSpec is one entry of a task's metric_list (lm-eval vocabulary).
// Aggregation and HigherIsBetter override the metric's defaults when set.
type MetricSpec struct {
	Metric         string
	Aggregation    string
	HigherIsBetter *bool
	Kwargs         map[string]any
}

// Metric scores one document.
type Metric interface {
	// Name is the metric name used in result keys ("exact_match").
	Name() string
	// Aggregation is the lm-eval aggregation name ("mean", "perplexity",
	// "weighted_perplexity", "bits_per_byte", ...).
	Aggregation() string
	// HigherIsBetter reports the metric's direction.
	HigherIsBetter() bool
	// Score scores one doc. For generate_until, in.Filtered is the chain's
	// output.
	Score(in *Input) (float64, error)
}

// WeightedMetric is implemented by the rolling log-likelihood metrics whose
// aggregation is a ratio of sums (weighted_perplexity, bits_per_byte): Score
// gives the numerator term (the log-likelihood) and Weight the denominator
// term (words or bytes). Aggregate them with AggregateWeighted.
type WeightedMetric interface {
	Metric
	Weight(in *Input) (float64, error)
}

// Input is everything a metric may need about one scored document.
type Input struct {
	OutputType     string    // generate_until | multiple_choice | loglikelihood | loglikelihood_rolling
	Filtered       []string  // filtered responses (generate_until)
	Raw            []string  // raw responses
	Gold           string    // gold text (generate_until), gold choice text (mc)
	GoldTexts      []string  // every acceptable gold text when doc_to_target yields a list (generate_until); Gold is the first
	GoldIndex      int       // multiple_choice gold index
	Golds          []int     // several gold indices (rare), else nil
	Choices        []string  // multiple_choice choices, without the target delimiter
	LogLikelihoods []float64 // one per choice (mc; 2 per choice for acc_mutual_info: conditional then unconditional) or one (loglikelihood, rolling)
	IsGreedy       []bool    // one per log-likelihood
	Tokens         []int     // continuation token counts
	RollingBytes   int       // UTF-8 bytes of the rolling text (CountBytes)
	RollingWords   int       // words of the rolling text (CountWords)
}

// metricInfo describes a known metric: lm-eval defaults and a constructor.
type metricInfo struct {
	outputTypes    []string
	aggregation    string
	higherIsBetter bool
	build          func(a *args, outputType string) (scorer, error)
}

type scorer func(in *Input) (float64, error)

var metricTable map[string]metricInfo

func init() {
	mc := []string{MultipleChoice}
	metricTable = map[string]metricInfo{
		"acc":             {[]string{MultipleChoice, LogLikelihood}, "mean", true, buildAcc},
		"acc_norm":        {mc, "mean", true, buildMC(normChars)},
		"acc_bytes":       {mc, "mean", true, buildMC(normBytes)},
		"acc_mutual_info": {mc, "mean", true, buildMC(normMutualInfo)},
		"exact_match":     {[]string{GenerateUntil, MultipleChoice}, "mean", true, buildExactMatch},
		"perplexity":      {[]string{LogLikelihood}, "perplexity", false, buildLL},
		"word_perplexity": {[]string{LogLikelihoodRolling}, "weighted_perplexity", false, buildLL},
		"byte_perplexity": {[]string{LogLikelihoodRolling}, "weighted_perplexity", false, buildLL},
		"bits_per_byte":   {[]string{LogLikelihoodRolling}, "bits_per_byte", false, buildLL},
		"pass_at_k":       {[]string{GenerateUntil}, "mean", true, buildPassAtK},
		"maj_at_k":        {[]string{GenerateUntil}, "mean", true, buildMajAtK},
		"hendrycks_math_equiv": {[]string{GenerateUntil}, "mean", true, func(a *args, _ string) (scorer, error) {
			return buildMathEquiv(a, "hendrycks")
		}},
		"minerva_math_equiv": {[]string{GenerateUntil}, "mean", true, func(a *args, _ string) (scorer, error) {
			return buildMathEquiv(a, "minerva")
		}},
	}
}

// MetricNames lists the metrics NewMetric accepts, sorted.
func MetricNames() []string {
	out := make([]string, 0, len(metricTable))
	for n := range metricTable {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

type metric struct {
	name, agg string
	hib       bool
	score     scorer
	weight    func(in *Input) (float64, error)
}

func (m *metric) Name() string                     { return m.name }
func (m *metric) Aggregation() string              { return m.agg }
func (m *metric) HigherIsBetter() bool             { return m.hib }
func (m *metric) Score(in *Input) (float64, error) { return m.score(in) }

type weightedMetric struct{ *metric }

func (m weightedMetric) Weight(in *Input) (float64, error) { return m.weight(in) }

// NewMetric builds a metric for a task of the given output type. Unknown
// metrics, metrics that do not apply to the output type, unknown
// aggregations and unknown or ill-typed kwargs are errors.
func NewMetric(spec MetricSpec, outputType string) (Metric, error) {
	info, ok := metricTable[spec.Metric]
	if !ok {
		return nil, fmt.Errorf("metric %q: unknown metric (known: %s)", spec.Metric, strings.Join(MetricNames(), ", "))
	}
	if !contains(info.outputTypes, outputType) {
		return nil, fmt.Errorf("metric %q does not apply to output_type %q (it applies to %s)",
			spec.Metric, outputType, strings.Join(info.outputTypes, ", "))
	}
	agg := info.aggregation
	if spec.Aggregation != "" {
		if !contains(AggregationNames(), spec.Aggregation) {
			return nil, fmt.Errorf("metric %q: unknown aggregation %q (known: %s)",
				spec.Metric, spec.Aggregation, strings.Join(AggregationNames(), ", "))
		}
		agg = spec.Aggregation
	}
	hib := info.higherIsBetter
	if spec.HigherIsBetter != nil {
		hib = *spec.HigherIsBetter
	}
	a := newArgs(fmt.Sprintf("metric %q", spec.Metric), spec.Kwargs)
	sc, err := info.build(a, outputType)
	if err == nil {
		err = a.done()
	}
	if err != nil {
		return nil, err
	}
	name := spec.Metric
	if k, ok := spec.Kwargs["k"]; ok && (spec.Metric == "pass_at_k" || spec.Metric == "maj_at_k") {
		// Several k on one task need distinct names: pass@1, pass@10, maj@8.
		name = strings.TrimSuffix(spec.Metric, "_at_k") + "@" + fmt.Sprint(k)
	}
	m := &metric{name: name, agg: agg, hib: hib, score: sc}
	switch spec.Metric {
	case "word_perplexity":
		m.weight = func(in *Input) (float64, error) { return float64(in.RollingWords), nil }
		return weightedMetric{m}, nil
	case "byte_perplexity", "bits_per_byte":
		m.weight = func(in *Input) (float64, error) { return float64(in.RollingBytes), nil }
		return weightedMetric{m}, nil
	}
	return m, nil
}

// CountBytes is lm-eval's count_bytes: the UTF-8 length of the text.
func CountBytes(s string) int { return len(s) }

// CountWords is lm-eval's default count_words: len(re.split(r"\s+", s)),
// which counts an empty leading or trailing field when s starts or ends
// with whitespace.
func CountWords(s string) int {
	n := 1
	inSpace := false
	for _, r := range s {
		if pystr.IsSpace(r) {
			if !inSpace {
				n++
				inSpace = true
			}
		} else {
			inSpace = false
		}
	}
	return n
}

// ---- multiple choice and log-likelihood ----

func buildAcc(_ *args, outputType string) (scorer, error) {
	if outputType == LogLikelihood {
		return func(in *Input) (float64, error) {
			if len(in.IsGreedy) != 1 {
				return 0, fmt.Errorf("acc (loglikelihood): need exactly one is_greedy flag, got %d", len(in.IsGreedy))
			}
			return b2f(in.IsGreedy[0]), nil
		}, nil
	}
	return buildMC(normNone)(nil, outputType)
}

type normKind int

const (
	normNone normKind = iota
	normChars
	normBytes
	normMutualInfo
)

func buildMC(kind normKind) func(*args, string) (scorer, error) {
	return func(*args, string) (scorer, error) {
		return func(in *Input) (float64, error) { return scoreMC(in, kind) }, nil
	}
}

// golds returns the gold indices of a multiple-choice input, validated.
func golds(in *Input) ([]int, error) {
	g := in.Golds
	if g == nil {
		g = []int{in.GoldIndex}
	}
	if len(g) == 0 {
		return nil, fmt.Errorf("multiple_choice: no gold index")
	}
	for _, i := range g {
		if i < 0 || i >= len(in.Choices) {
			return nil, fmt.Errorf("multiple_choice: gold index %d out of range for %d choices", i, len(in.Choices))
		}
	}
	return g, nil
}

// argmax is numpy's argmax: the first maximum, and the first NaN if any.
func argmax(xs []float64) int {
	best := 0
	for i, x := range xs {
		if math.IsNaN(x) {
			return i
		}
		if x > xs[best] {
			best = i
		}
	}
	return best
}

func scoreMC(in *Input, kind normKind) (float64, error) {
	n := len(in.Choices)
	if n == 0 {
		return 0, fmt.Errorf("multiple_choice: no choices")
	}
	want := n
	if kind == normMutualInfo {
		want = 2 * n
	}
	if len(in.LogLikelihoods) != want {
		return 0, fmt.Errorf("multiple_choice: %d choices need %d log-likelihoods, got %d", n, want, len(in.LogLikelihoods))
	}
	g, err := golds(in)
	if err != nil {
		return 0, err
	}
	lls := make([]float64, n)
	for i := range lls {
		ll := in.LogLikelihoods[i]
		switch kind {
		case normChars:
			ll /= float64(utf8.RuneCountInString(in.Choices[i]))
		case normBytes:
			ll /= float64(len(in.Choices[i]))
		case normMutualInfo:
			ll -= in.LogLikelihoods[n+i]
		}
		lls[i] = ll
	}
	pred := argmax(lls)
	for _, x := range g {
		if x == pred {
			return 1, nil
		}
	}
	return 0, nil
}

func buildLL(*args, string) (scorer, error) {
	return func(in *Input) (float64, error) {
		if len(in.LogLikelihoods) != 1 {
			return 0, fmt.Errorf("%s: need exactly one log-likelihood, got %d", in.OutputType, len(in.LogLikelihoods))
		}
		return in.LogLikelihoods[0], nil
	}, nil
}

// ---- exact match ----

// ExactMatcher is lm-eval's exact_match (exact_match_hf_evaluate) for one
// prediction and one reference.
type ExactMatcher struct {
	ignore            []*pyre.Regexp
	IgnoreCase        bool
	IgnorePunctuation bool
	IgnoreNumbers     bool
}

// NewExactMatcher compiles the regexes_to_ignore (Python syntax).
func NewExactMatcher(regexesToIgnore []string, ignoreCase, ignorePunctuation, ignoreNumbers bool) (*ExactMatcher, error) {
	m := &ExactMatcher{IgnoreCase: ignoreCase, IgnorePunctuation: ignorePunctuation, IgnoreNumbers: ignoreNumbers}
	for _, p := range regexesToIgnore {
		re, err := pyre.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("regexes_to_ignore: %w", err)
		}
		m.ignore = append(m.ignore, re)
	}
	return m, nil
}

// Normalize applies, in lm-eval's order: every ignore-regex (re.sub with "",
// in list order), lowercase, removal of string.punctuation, removal of
// string.digits.
func (m *ExactMatcher) Normalize(s string) (string, error) {
	for _, re := range m.ignore {
		var err error
		if s, err = re.RemoveAll(s); err != nil {
			return "", err
		}
	}
	if m.IgnoreCase {
		s = pystr.Lower(s)
	}
	if m.IgnorePunctuation {
		s = strings.Map(func(r rune) rune {
			if r < 128 && strings.ContainsRune(asciiPunctuation, r) {
				return -1
			}
			return r
		}, s)
	}
	if m.IgnoreNumbers {
		s = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	return s, nil
}

// asciiPunctuation is Python's string.punctuation.
const asciiPunctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// Match reports whether prediction and reference are equal after Normalize.
func (m *ExactMatcher) Match(pred, ref string) (bool, error) {
	p, err := m.Normalize(pred)
	if err != nil {
		return false, err
	}
	r, err := m.Normalize(ref)
	if err != nil {
		return false, err
	}
	return p == r, nil
}

func readExactMatcher(a *args) (*ExactMatcher, error) {
	res, err := a.strList("regexes_to_ignore")
	if err != nil {
		return nil, err
	}
	ic, err := a.boolean("ignore_case", false)
	if err != nil {
		return nil, err
	}
	ip, err := a.boolean("ignore_punctuation", false)
	if err != nil {
		return nil, err
	}
	in, err := a.boolean("ignore_numbers", false)
	if err != nil {
		return nil, err
	}
	m, err := NewExactMatcher(res, ic, ip, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.owner, err)
	}
	return m, nil
}

func buildExactMatch(a *args, outputType string) (scorer, error) {
	if outputType == MultipleChoice {
		// lm-eval: exact_match of a multiple-choice doc is is_greedy[gold].
		return func(in *Input) (float64, error) {
			g, err := golds(in)
			if err != nil {
				return 0, err
			}
			if len(in.IsGreedy) < len(in.Choices) {
				return 0, fmt.Errorf("multiple_choice exact_match: need %d is_greedy flags, got %d", len(in.Choices), len(in.IsGreedy))
			}
			for _, i := range g {
				if in.IsGreedy[i] {
					return 1, nil
				}
			}
			return 0, nil
		}, nil
	}
	m, err := readExactMatcher(a)
	if err != nil {
		return nil, err
	}
	return func(in *Input) (float64, error) {
		if len(in.Filtered) == 0 {
			return 0, fmt.Errorf("exact_match: no filtered response")
		}
		if len(in.GoldTexts) > 0 {
			// lm-eval (multiple targets): correct when any gold matches.
			for _, g := range in.GoldTexts {
				ok, err := m.Match(in.Filtered[0], g)
				if err != nil {
					return 0, err
				}
				if ok {
					return 1, nil
				}
			}
			return 0, nil
		}
		ok, err := m.Match(in.Filtered[0], in.Gold)
		return b2f(ok), err
	}, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// ---- sampled generation: pass@k, maj@k ----

// grader decides whether one filtered answer is correct.
type grader func(pred, gold string) (bool, error)

func readGrader(a *args) (grader, error) {
	name, err := a.str("grader", "exact_match")
	if err != nil {
		return nil, err
	}
	switch name {
	case "exact_match":
		m, err := readExactMatcher(a)
		if err != nil {
			return nil, err
		}
		return m.Match, nil
	case "hendrycks_math":
		return func(p, g string) (bool, error) { return mathgrade.HendrycksIsEquiv(p, g), nil }, nil
	case "minerva_math":
		return func(p, g string) (bool, error) { return mathgrade.Equivalent(p, g), nil }, nil
	}
	return nil, fmt.Errorf("%s: unknown grader %q (known: exact_match, hendrycks_math, minerva_math)", a.owner, name)
}

func buildPassAtK(a *args, _ string) (scorer, error) {
	k, err := a.integer("k", 1)
	if err != nil {
		return nil, err
	}
	if k < 1 {
		return nil, fmt.Errorf("%s: k must be at least 1, got %d", a.owner, k)
	}
	g, err := readGrader(a)
	if err != nil {
		return nil, err
	}
	return func(in *Input) (float64, error) {
		n := len(in.Filtered)
		if n < k {
			return 0, fmt.Errorf("pass_at_k: k=%d needs at least %d samples, got %d (increase repeats)", k, k, n)
		}
		c := 0
		for _, p := range in.Filtered {
			ok, err := g(p, in.Gold)
			if err != nil {
				return 0, err
			}
			if ok {
				c++
			}
		}
		return PassAtK(n, c, k), nil
	}, nil
}

func buildMajAtK(a *args, _ string) (scorer, error) {
	k, err := a.integer("k", 0)
	if err != nil {
		return nil, err
	}
	if k < 0 {
		return nil, fmt.Errorf("%s: k must be positive (0 = all samples), got %d", a.owner, k)
	}
	g, err := readGrader(a)
	if err != nil {
		return nil, err
	}
	return func(in *Input) (float64, error) {
		if len(in.Filtered) == 0 || len(in.Filtered) < k {
			return 0, fmt.Errorf("maj_at_k: k=%d needs at least %d samples, got %d (increase repeats)", k, max(k, 1), len(in.Filtered))
		}
		ok, err := g(MajAtK(in.Filtered, k), in.Gold)
		return b2f(ok), err
	}, nil
}

// ---- math equivalence ----

func buildMathEquiv(a *args, kind string) (scorer, error) {
	goldFrom, err := a.str("gold", "answer")
	if err != nil {
		return nil, err
	}
	if goldFrom != "answer" && goldFrom != "solution" {
		return nil, fmt.Errorf("%s: gold must be \"answer\" or \"solution\", got %q", a.owner, goldFrom)
	}
	return func(in *Input) (float64, error) {
		if len(in.Filtered) == 0 {
			return 0, fmt.Errorf("%s_math_equiv: no filtered response", kind)
		}
		gold := in.Gold
		if goldFrom == "solution" {
			b, ok := mathgrade.ExtractBoxed(gold)
			if !ok {
				return 0, fmt.Errorf("%s_math_equiv: gold solution has no balanced \\boxed{} answer", kind)
			}
			gold = b
		}
		pred := in.Filtered[0]
		if kind == "hendrycks" {
			return b2f(mathgrade.HendrycksIsEquiv(pred, gold)), nil
		}
		if pred == InvalidAnswer {
			return 0, nil
		}
		return b2f(mathgrade.Equivalent(pred, mathgrade.NormalizeFinalAnswer(gold))), nil
	}, nil
}
