package scoring

import (
	"testing"
	"time"
)

// lmEvalPatterns are the regex filters of the reference tasks.
var lmEvalPatterns = []struct {
	pattern     string
	groupSelect int
}{
	{`#### (\-?[0-9\.\,]+)`, 0},
	{`(-?[$0-9.,]{2,})|(-?[0-9]+)`, -1},
	{`The answer is (\-?[0-9\.\,]+).`, 0},
	{`The final answer is ((-?[$0-9.,]{2,})|(-?[0-9]+))`, -1},
	{`The answer is (\-?[0-9\.\,]*[0-9]+)`, 0},
	{`(?<=the answer is )(.*)(?=.)`, 0},
	{`answer is \(?([ABCDEFGHIJ])\)?`, 0},
	{`(?i)Answer\s*:\s*([^\n]+)`, 0},
}

// FuzzExtractors runs every built-in extractor and the exact-match
// normaliser on arbitrary responses: no panics, bounded time, and an
// output that is always a single string per response.
func FuzzExtractors(f *testing.F) {
	for _, s := range []string{
		"", "#### 72", "The answer is 42.", "the answer is (B).\nthe answer is ", "$1,200.50", "answer is (J)",
		`\boxed{\frac{1}{2}}`, "Final Answer: The final answer is $5$. I hope it is correct.", "\xff\xfe$$",
		"the answer is the answer is the answer is ", "----------------------------------------1",
	} {
		f.Add(s)
	}
	var chains []*Chain
	for _, p := range lmEvalPatterns {
		c, err := NewChain(p.pattern, []FilterStep{{Function: "regex", Args: map[string]any{"regex_pattern": p.pattern, "group_select": p.groupSelect}}, {Function: "take_first"}})
		if err != nil {
			f.Fatal(err)
		}
		chains = append(chains, c)
	}
	for _, fn := range []string{"last_boxed", "minerva_final_answer", "hendrycks_dollar_span", "hendrycks_extract", "lowercase", "uppercase", "remove_whitespace", "majority_vote"} {
		c, err := NewChain(fn, []FilterStep{{Function: fn}})
		if err != nil {
			f.Fatal(err)
		}
		chains = append(chains, c)
	}
	mc, err := NewChain("mc", []FilterStep{{Function: "multi_choice_regex", Args: map[string]any{
		"regex_pattern": `(\([A-Z]\))`, "group_select": -1, "ignore_case": true, "ignore_punctuation": true}}})
	if err != nil {
		f.Fatal(err)
	}
	em, err := NewExactMatcher([]string{",", `\$`, `(?s).*#### `, `\.$`}, true, true, true)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		for _, c := range chains {
			out := c.Apply([]string{s, s})
			if c.Name != "lowercase" && c.Name != "uppercase" && c.Name != "remove_whitespace" && c.Name != "last_boxed" &&
				c.Name != "minerva_final_answer" && c.Name != "hendrycks_dollar_span" && c.Name != "hendrycks_extract" && len(out) != 1 {
				t.Fatalf("%s: %d outputs", c.Name, len(out))
			}
			IsExtractionFailure(out)
		}
		if out := mc.ApplyChoices([]string{s}, []string{s, "Paris", "(x)", ""}); len(out) != 1 {
			t.Fatalf("multi_choice_regex: %d outputs", len(out))
		}
		if _, err := em.Match(s, s); err != nil {
			t.Fatalf("exact match normaliser: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("extractors took %v on %q", d, s)
		}
	})
}
