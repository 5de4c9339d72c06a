package scoring

import (
	"testing"
)

// sampleBudgetNS is the harness's whole per-sample budget at 50,000
// samples/s; scoring must use a small fraction of it.
const sampleBudgetNS = 20000

const benchResponse = "Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in April and May.\n#### 72\n\nQuestion: next"
const benchGold = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\nNatalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"

// BenchmarkHotPath measures GSM8K-style scoring of one sample: both filter
// chains (strict and flexible regex, take_first) and exact_match with the
// task's ignore-regexes on each. It reports the fraction of the 20 µs
// per-sample budget used (budget_frac, wall clock), the scoring-only
// samples/s, and the process CPU time per sample (cpu-ns/op,
// cpu_budget_frac), which stays meaningful on a loaded machine.
func BenchmarkHotPath(b *testing.B) {
	strict, err := NewChain("strict-match", []FilterStep{
		{Function: "regex", Args: map[string]any{"regex_pattern": `#### (\-?[0-9\.\,]+)`}},
		{Function: "take_first"}})
	if err != nil {
		b.Fatal(err)
	}
	flexible, err := NewChain("flexible-extract", []FilterStep{
		{Function: "regex", Args: map[string]any{"group_select": -1, "regex_pattern": `(-?[$0-9.,]{2,})|(-?[0-9]+)`}},
		{Function: "take_first"}})
	if err != nil {
		b.Fatal(err)
	}
	em, err := NewMetric(MetricSpec{Metric: "exact_match", Kwargs: map[string]any{
		"ignore_case": true, "ignore_punctuation": false,
		"regexes_to_ignore": []any{",", `\$`, `(?s).*#### `, `\.$`},
	}}, GenerateUntil)
	if err != nil {
		b.Fatal(err)
	}
	resps := []string{benchResponse}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	var sum float64
	for i := 0; i < b.N; i++ {
		for _, c := range []*Chain{strict, flexible} {
			in := Input{OutputType: GenerateUntil, Filtered: c.Apply(resps), Raw: resps, Gold: benchGold}
			v, err := em.Score(&in)
			if err != nil {
				b.Fatal(err)
			}
			sum += v
		}
	}
	b.StopTimer()
	cpu1, _ := processCPU()
	if sum != 2*float64(b.N) {
		b.Fatalf("scores: got %v, want %v", sum, 2*float64(b.N))
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(nsPerOp/sampleBudgetNS, "budget_frac")
	b.ReportMetric(1e9/nsPerOp, "samples/s")
	if cpuOK {
		// CPU time per sample is what scoring costs the harness whatever
		// else runs on the machine (wall time includes waiting for a core).
		cpuNS := float64((cpu1 - cpu0).Nanoseconds()) / float64(b.N)
		b.ReportMetric(cpuNS, "cpu-ns/op")
		b.ReportMetric(cpuNS/sampleBudgetNS, "cpu_budget_frac")
	}
}

// BenchmarkBacktrackingRegex measures the BBH get-answer filter, which
// needs the backtracking engine (look-around).
func BenchmarkBacktrackingRegex(b *testing.B) {
	c, err := NewChain("get-answer", []FilterStep{
		{Function: "regex", Args: map[string]any{"regex_pattern": `(?<=the answer is )(.*)(?=.)`}},
		{Function: "take_first"}})
	if err != nil {
		b.Fatal(err)
	}
	resps := []string{"Let's think step by step. The first statement is true, so the answer is (B)."}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if out := c.Apply(resps); out[0] != "(B)" {
			b.Fatalf("got %q", out)
		}
	}
	nsPerOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	b.ReportMetric(nsPerOp/sampleBudgetNS, "budget_frac")
}
