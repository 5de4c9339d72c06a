package scoring

import (
	"math"
	"strings"
	"testing"
)

func mustMetric(t *testing.T, spec MetricSpec, ot string) Metric {
	t.Helper()
	m, err := NewMetric(spec, ot)
	if err != nil {
		t.Fatalf("NewMetric(%+v, %s): %v", spec, ot, err)
	}
	return m
}

func TestExactMatchGSM8K(t *testing.T) {
	m := mustMetric(t, MetricSpec{Metric: "exact_match", Kwargs: map[string]any{
		"ignore_case": true, "ignore_punctuation": false,
		"regexes_to_ignore": []any{",", `\$`, `(?s).*#### `, `\.$`},
	}}, GenerateUntil)
	gold := "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72"
	cases := []struct {
		pred string
		want float64
	}{
		{"72", 1}, {"$72", 1}, {"72.", 1}, {"72.\n", 0}, {"7,2", 1}, {"72.0", 0}, {Invalid, 0}, {"The answer is 72", 0},
	}
	for _, c := range cases {
		got, err := m.Score(&Input{OutputType: GenerateUntil, Filtered: []string{c.pred}, Gold: gold})
		if err != nil || got != c.want {
			t.Errorf("exact_match(%q) = %v, %v; want %v", c.pred, got, err, c.want)
		}
	}
	if m.Name() != "exact_match" || m.Aggregation() != "mean" || !m.HigherIsBetter() {
		t.Errorf("metadata: %s %s %v", m.Name(), m.Aggregation(), m.HigherIsBetter())
	}
}

func TestExactMatchMultipleTargets(t *testing.T) {
	m := mustMetric(t, MetricSpec{Metric: "exact_match", Kwargs: map[string]any{"ignore_case": true}}, GenerateUntil)
	golds := []string{"Paris", "paris, france", "PARIS FR"}
	cases := []struct {
		pred string
		want float64
	}{
		{"paris", 1}, {"Paris, France", 1}, {"paris fr", 1}, {"london", 0}, {Invalid, 0},
	}
	for _, c := range cases {
		got, err := m.Score(&Input{OutputType: GenerateUntil, Filtered: []string{c.pred}, Gold: golds[0], GoldTexts: golds})
		if err != nil || got != c.want {
			t.Errorf("exact_match(%q, any of %q) = %v, %v; want %v", c.pred, golds, got, err, c.want)
		}
	}
}

func TestExactMatchOrder(t *testing.T) {
	// The ignore-regex runs before lowercasing: a case-sensitive regex
	// does not remove "ABC" even though ignore_case is set.
	em, err := NewExactMatcher([]string{"abc"}, true, true, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		p, r string
		want bool
	}{
		{"ABC-x", "abcx", false}, // "ABC-x" -> "abc-x" -> "abcx"; "abcx" -> "x"
		{"abc-x", "x", true},
		{"Hello, World!", "hello world", true},
		{"é!", "É", true},    // Unicode lowercasing like Python
		{"a—b", "ab", false}, // only ASCII string.punctuation is removed
	} {
		got, err := em.Match(c.p, c.r)
		if err != nil || got != c.want {
			t.Errorf("Match(%q, %q) = %v, %v; want %v", c.p, c.r, got, err, c.want)
		}
	}
	num, _ := NewExactMatcher(nil, false, false, true)
	if ok, _ := num.Match("a1b2", "ab"); !ok {
		t.Error("ignore_numbers did not remove digits")
	}
}

func TestMultipleChoiceMetrics(t *testing.T) {
	in := &Input{
		OutputType:     MultipleChoice,
		Choices:        []string{"a", "bbbbbbbb", "cc", "dd"},
		LogLikelihoods: []float64{-2, -4, -3, -9},
		IsGreedy:       []bool{true, false, false, false},
		GoldIndex:      1,
	}
	// acc: argmax(-2,-4,-3,-9) = 0; acc_norm: per char -2,-0.5,-1.5,-4.5 -> 1.
	for name, want := range map[string]float64{"acc": 0, "acc_norm": 1, "acc_bytes": 1, "exact_match": 0} {
		got, err := mustMetric(t, MetricSpec{Metric: name}, MultipleChoice).Score(in)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", name, got, err, want)
		}
	}
	// Character vs byte length differ on non-ASCII choices.
	u := &Input{OutputType: MultipleChoice, Choices: []string{"ééé", "abcd"}, LogLikelihoods: []float64{-3.3, -4}, GoldIndex: 0}
	if got, _ := mustMetric(t, MetricSpec{Metric: "acc_norm"}, MultipleChoice).Score(u); got != 0 {
		t.Errorf("acc_norm (chars: -1.1 vs -1) = %v, want 0", got)
	}
	if got, _ := mustMetric(t, MetricSpec{Metric: "acc_bytes"}, MultipleChoice).Score(u); got != 1 {
		t.Errorf("acc_bytes (bytes: -0.55 vs -1) = %v, want 1", got)
	}
	// Ties go to the first maximum, like numpy.argmax.
	tie := &Input{OutputType: MultipleChoice, Choices: []string{"x", "y"}, LogLikelihoods: []float64{-1, -1}, GoldIndex: 1}
	if got, _ := mustMetric(t, MetricSpec{Metric: "acc"}, MultipleChoice).Score(tie); got != 0 {
		t.Errorf("tie acc = %v, want 0", got)
	}
	// Several golds.
	multi := &Input{OutputType: MultipleChoice, Choices: []string{"x", "y"}, LogLikelihoods: []float64{-1, -2}, Golds: []int{1, 0}}
	if got, _ := mustMetric(t, MetricSpec{Metric: "acc"}, MultipleChoice).Score(multi); got != 1 {
		t.Errorf("multi-gold acc = %v, want 1", got)
	}
	// Mutual information: conditional minus unconditional.
	mi := &Input{OutputType: MultipleChoice, Choices: []string{"x", "y"}, LogLikelihoods: []float64{-1, -2, -0.5, -5}, GoldIndex: 1}
	if got, _ := mustMetric(t, MetricSpec{Metric: "acc_mutual_info"}, MultipleChoice).Score(mi); got != 1 {
		t.Errorf("acc_mutual_info = %v, want 1", got)
	}
	// Bad inputs are errors, not zeros.
	for _, bad := range []*Input{
		{OutputType: MultipleChoice, Choices: []string{"x", "y"}, LogLikelihoods: []float64{-1}, GoldIndex: 0},
		{OutputType: MultipleChoice, Choices: []string{"x", "y"}, LogLikelihoods: []float64{-1, -2}, GoldIndex: 2},
		{OutputType: MultipleChoice, Choices: nil},
	} {
		if _, err := mustMetric(t, MetricSpec{Metric: "acc"}, MultipleChoice).Score(bad); err == nil {
			t.Errorf("acc(%+v): no error", bad)
		}
	}
}

func TestLogLikelihoodAndRolling(t *testing.T) {
	acc := mustMetric(t, MetricSpec{Metric: "acc"}, LogLikelihood)
	if got, _ := acc.Score(&Input{IsGreedy: []bool{true}, LogLikelihoods: []float64{-1}}); got != 1 {
		t.Errorf("loglikelihood acc = %v", got)
	}
	ppl := mustMetric(t, MetricSpec{Metric: "perplexity"}, LogLikelihood)
	if ppl.Aggregation() != "perplexity" || ppl.HigherIsBetter() {
		t.Errorf("perplexity metadata %s %v", ppl.Aggregation(), ppl.HigherIsBetter())
	}
	bpb := mustMetric(t, MetricSpec{Metric: "bits_per_byte"}, LogLikelihoodRolling)
	wm, ok := bpb.(WeightedMetric)
	if !ok {
		t.Fatal("bits_per_byte is not a WeightedMetric")
	}
	docs := []*Input{
		{LogLikelihoods: []float64{-10}, RollingBytes: CountBytes("hello world"), RollingWords: CountWords("hello world")},
		{LogLikelihoods: []float64{-20}, RollingBytes: 9, RollingWords: 2},
	}
	var vs, ws []float64
	for _, d := range docs {
		v, _ := wm.Score(d)
		w, _ := wm.Weight(d)
		vs, ws = append(vs, v), append(ws, w)
	}
	got, err := AggregateWeighted(bpb.Aggregation(), vs, ws)
	if want := 30 / 20.0 / math.Ln2; err != nil || math.Abs(got-want) > 1e-12 {
		t.Errorf("bits_per_byte = %v, %v; want %v", got, err, want)
	}
	wp := mustMetric(t, MetricSpec{Metric: "word_perplexity"}, LogLikelihoodRolling).(WeightedMetric)
	w, _ := wp.Weight(docs[0])
	if w != 2 {
		t.Errorf("word weight = %v, want 2", w)
	}
}

func TestCountWords(t *testing.T) {
	// len(re.split(r"\s+", s)) in Python.
	for s, want := range map[string]int{"": 1, "a": 1, "a b": 2, " a b ": 4, "a\n\n b": 2, "a\u00a0b": 2} {
		if got := CountWords(s); got != want {
			t.Errorf("CountWords(%q) = %d, want %d", s, got, want)
		}
	}
}

func TestPassAndMajMetrics(t *testing.T) {
	p := mustMetric(t, MetricSpec{Metric: "pass_at_k", Kwargs: map[string]any{"k": 2}}, GenerateUntil)
	got, err := p.Score(&Input{Filtered: []string{"1", "2", "3", "2"}, Gold: "2"})
	if want := PassAtK(4, 2, 2); err != nil || got != want {
		t.Errorf("pass_at_k = %v, %v; want %v", got, err, want)
	}
	mj := mustMetric(t, MetricSpec{Metric: "maj_at_k", Kwargs: map[string]any{"k": 3}}, GenerateUntil)
	if got, _ := mj.Score(&Input{Filtered: []string{"1", "2", "1", "2", "2"}, Gold: "1"}); got != 1 {
		t.Errorf("maj@3 = %v, want 1", got)
	}
	math := mustMetric(t, MetricSpec{Metric: "maj_at_k", Kwargs: map[string]any{"grader": "minerva_math"}}, GenerateUntil)
	if got, _ := math.Score(&Input{Filtered: []string{"0.5", "1/3", "0.5"}, Gold: `\frac{1}{2}`}); got != 1 {
		t.Errorf("maj with minerva grader = %v, want 1", got)
	}
	if _, err := p.Score(&Input{Filtered: []string{"1"}, Gold: "1"}); err == nil {
		t.Error("pass@2 with one sample: no error")
	}
}

func TestMathEquivMetrics(t *testing.T) {
	h := mustMetric(t, MetricSpec{Metric: "hendrycks_math_equiv", Kwargs: map[string]any{"gold": "solution"}}, GenerateUntil)
	sol := `So the answer is $\boxed{\dfrac{1}{2}}$.`
	for pred, want := range map[string]float64{`\frac12`: 1, "0.5": 1, "1/2": 1, "2/4": 0} {
		if got, err := h.Score(&Input{Filtered: []string{pred}, Gold: sol}); err != nil || got != want {
			t.Errorf("hendrycks(%q) = %v, %v; want %v", pred, got, err, want)
		}
	}
	mv := mustMetric(t, MetricSpec{Metric: "minerva_math_equiv"}, GenerateUntil)
	for pred, want := range map[string]float64{`\frac{1}{2}`: 1, "2/4": 1, InvalidAnswer: 0} {
		if got, err := mv.Score(&Input{Filtered: []string{pred}, Gold: `\dfrac{1}{2}`}); err != nil || got != want {
			t.Errorf("minerva(%q) = %v, %v; want %v", pred, got, err, want)
		}
	}
}

func TestNewMetricErrors(t *testing.T) {
	cases := []struct {
		spec MetricSpec
		ot   string
		want string
	}{
		{MetricSpec{Metric: "acc"}, GenerateUntil, "does not apply"},
		{MetricSpec{Metric: "bleu"}, GenerateUntil, "unknown metric"},
		{MetricSpec{Metric: "exact_match", Aggregation: "avg"}, GenerateUntil, "unknown aggregation"},
		{MetricSpec{Metric: "exact_match", Kwargs: map[string]any{"ignorecase": true}}, GenerateUntil, "unknown argument"},
		{MetricSpec{Metric: "exact_match", Kwargs: map[string]any{"ignore_case": "yes"}}, GenerateUntil, "true or false"},
		{MetricSpec{Metric: "exact_match", Kwargs: map[string]any{"regexes_to_ignore": []any{"("}}}, GenerateUntil, "regexes_to_ignore"},
		{MetricSpec{Metric: "pass_at_k", Kwargs: map[string]any{"grader": "sympy"}}, GenerateUntil, "unknown grader"},
	}
	for _, c := range cases {
		_, err := NewMetric(c.spec, c.ot)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewMetric(%+v) = %v, want error containing %q", c.spec, err, c.want)
		}
	}
	hib := false
	m := mustMetric(t, MetricSpec{Metric: "exact_match", Aggregation: "median", HigherIsBetter: &hib}, GenerateUntil)
	if m.Aggregation() != "median" || m.HigherIsBetter() {
		t.Error("overrides not applied")
	}
}
