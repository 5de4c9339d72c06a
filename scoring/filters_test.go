package scoring

import (
	"reflect"
	"strings"
	"testing"
)

func mustChain(t *testing.T, name string, steps ...FilterStep) *Chain {
	t.Helper()
	c, err := NewChain(name, steps)
	if err != nil {
		t.Fatalf("NewChain(%q): %v", name, err)
	}
	return c
}

func TestGSM8KChains(t *testing.T) {
	strict := mustChain(t, "strict-match",
		FilterStep{Function: "regex", Args: map[string]any{"regex_pattern": `#### (\-?[0-9\.\,]+)`}},
		FilterStep{Function: "take_first"})
	flexible := mustChain(t, "flexible-extract",
		FilterStep{Function: "regex", Args: map[string]any{"group_select": -1, "regex_pattern": `(-?[$0-9.,]{2,})|(-?[0-9]+)`}},
		FilterStep{Function: "take_first"})
	cases := []struct {
		resp, strict, flexible string
	}{
		{"She sold 48/2 = 24 clips.\n#### 72", "72", "72"},
		{"#### 1,234.\nQuestion: #### 5", "1,234.", "5"},
		{"The total is $1,200.", Invalid, "$1,200."},
		{"It is 7", Invalid, "7"},
		{"no digits here", Invalid, Invalid},
		{"#### -3", "-3", "-3"},
	}
	for _, c := range cases {
		if got := strict.Apply([]string{c.resp}); !reflect.DeepEqual(got, []string{c.strict}) {
			t.Errorf("strict(%q) = %q, want %q", c.resp, got, c.strict)
		}
		if got := flexible.Apply([]string{c.resp}); !reflect.DeepEqual(got, []string{c.flexible}) {
			t.Errorf("flexible(%q) = %q, want %q", c.resp, got, c.flexible)
		}
	}
}

func TestRegexFilterSemantics(t *testing.T) {
	cases := []struct {
		name    string
		args    map[string]any
		in      string
		want    string
		wantErr bool
	}{
		// findall with one group returns the group, even when empty.
		{"empty group", map[string]any{"regex_pattern": `x(y*)z`}, "xz", "", false},
		// no group: the whole match, stripped.
		{"whole match", map[string]any{"regex_pattern": `\s*\d+\s*`}, "a  42 b", "42", false},
		// group_select counts matches, negative from the end.
		{"second", map[string]any{"regex_pattern": `(\d)`, "group_select": 1}, "1 2 3", "2", false},
		{"last", map[string]any{"regex_pattern": `(\d)`, "group_select": -1}, "1 2 3", "3", false},
		{"minus two", map[string]any{"regex_pattern": `(\d)`, "group_select": -2}, "1 2 3", "2", false},
		// out of range: Python raises IndexError; we fall back.
		{"out of range", map[string]any{"regex_pattern": `(\d)`, "group_select": 5}, "1 2 3", Invalid, false},
		// tuples: first non-empty group.
		{"tuple", map[string]any{"regex_pattern": `(a)?(b)?(c)`}, "bc", "b", false},
		// a fallback is returned unstripped.
		{"custom fallback", map[string]any{"regex_pattern": `(\d)`, "fallback": " none "}, "x", " none ", false},
		// BBH get-answer with look-around (Python output: "(B)").
		{"bbh", map[string]any{"regex_pattern": `(?<=the answer is )(.*)(?=.)`}, "So the answer is (B).", "(B)", false},
		// MMLU-Pro custom-extract, first match.
		{"mmlu_pro", map[string]any{"regex_pattern": `answer is \(?([ABCDEFGHIJ])\)?`}, "the answer is (C) ... answer is D", "C", false},
		// Unicode whitespace is stripped like Python's str.strip().
		{"unicode strip", map[string]any{"regex_pattern": `:(.*)`}, ":\u00a0 B\u3000", "B", false},
	}
	for _, c := range cases {
		ch, err := NewChain(c.name, []FilterStep{{Function: "regex", Args: c.args}})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := ch.ApplyErr([]string{c.in})
		if (err != nil) != c.wantErr {
			t.Errorf("%s: err = %v", c.name, err)
		}
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestSelectionAndTransformFilters(t *testing.T) {
	resps := []string{" B", "a", " B", "a", "C"}
	cases := []struct {
		steps []FilterStep
		want  []string
	}{
		{[]FilterStep{{Function: "take_first"}}, []string{" B"}},
		{[]FilterStep{{Function: "take_first_k", Args: map[string]any{"k": 3}}}, []string{" B", "a", " B"}},
		// tie between " B" and "a" (2 each): the first seen wins.
		{[]FilterStep{{Function: "majority_vote"}}, []string{" B"}},
		{[]FilterStep{{Function: "take_first_k", Args: map[string]any{"k": 2}}, {Function: "majority_vote"}}, []string{" B"}},
		{[]FilterStep{{Function: "lowercase"}}, []string{" b", "a", " b", "a", "c"}},
		{[]FilterStep{{Function: "uppercase"}}, []string{" B", "A", " B", "A", "C"}},
		// remove_whitespace removes one leading space only.
		{[]FilterStep{{Function: "remove_whitespace"}}, []string{"B", "a", "B", "a", "C"}},
	}
	for i, c := range cases {
		ch := mustChain(t, "c", c.steps...)
		if got := ch.Apply(resps); !reflect.DeepEqual(got, c.want) {
			t.Errorf("case %d: got %q, want %q", i, got, c.want)
		}
	}
	if got := mustChain(t, "ws", FilterStep{Function: "remove_whitespace"}).Apply([]string{"  two", "\tx"}); !reflect.DeepEqual(got, []string{" two", "\tx"}) {
		t.Errorf("remove_whitespace = %q", got)
	}
	if got := mustChain(t, "up", FilterStep{Function: "uppercase"}).Apply([]string{"straße"}); got[0] != "STRASSE" {
		t.Errorf("uppercase(straße) = %q, want STRASSE (Python str.upper)", got[0])
	}
}

func TestMathFilters(t *testing.T) {
	boxed := mustChain(t, "boxed", FilterStep{Function: "last_boxed"})
	minerva := mustChain(t, "minerva", FilterStep{Function: "minerva_final_answer"})
	dollar := mustChain(t, "dollar", FilterStep{Function: "hendrycks_dollar_span"})
	cases := []struct {
		chain *Chain
		in    string
		want  string
	}{
		{boxed, `so \boxed{\frac{1}{2}} and \boxed{3}`, "3"},
		{boxed, `nested \boxed{\frac{a}{\sqrt{b}}}.`, `\frac{a}{\sqrt{b}}`},
		{boxed, `\fbox{7}`, "7"},
		{boxed, `\boxed 5$ rest`, "5"},
		{boxed, `no box`, Invalid},
		{boxed, `\boxed{unbalanced`, Invalid},
		{minerva, "Solution...\nFinal Answer: The final answer is $\\frac{2}{3}$. I hope it is correct.", `\frac{2}{3}`},
		{minerva, "Final Answer: The final answer is $1,000$. I hope it is correct.", "1000"},
		{minerva, "Final Answer: The final answer is $1,000$ ", "1000"},
		{minerva, "Final Answer: The final answer is $1,000$", InvalidAnswer},
		{minerva, "The answer is 5.", InvalidAnswer},
		{dollar, "The answer is $x^2$ and $y$.", "x^2$ and $y"},
		{dollar, "just 5", "just 5"},
	}
	for _, c := range cases {
		got := c.chain.Apply([]string{c.in})
		if len(got) != 1 || got[0] != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.chain.Name, c.in, got, c.want)
		}
	}
}

func TestNewChainErrors(t *testing.T) {
	cases := []struct {
		steps []FilterStep
		want  string
	}{
		{nil, "no steps"},
		{[]FilterStep{{Function: "regexx"}}, "unknown filter function"},
		{[]FilterStep{{Function: "regex", Args: map[string]any{"pattern": "x"}}}, "unknown argument(s) pattern"},
		{[]FilterStep{{Function: "regex", Args: map[string]any{"regex_pattern": "("}}}, "python regex"},
		{[]FilterStep{{Function: "regex", Args: map[string]any{"group_select": "first"}}}, "must be an integer"},
		{[]FilterStep{{Function: "take_first_k"}}, `missing required argument "k"`},
		{[]FilterStep{{Function: "take_first_k", Args: map[string]any{"k": 0}}}, "at least 1"},
		{[]FilterStep{{Function: "take_first", Args: map[string]any{"k": 1}}}, "it takes none"},
	}
	for _, c := range cases {
		_, err := NewChain("x", c.steps)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("NewChain(%v) error = %v, want it to contain %q", c.steps, err, c.want)
		}
	}
}

func TestExtractionFailure(t *testing.T) {
	for _, c := range []struct {
		in   []string
		want bool
	}{
		{nil, true}, {[]string{""}, true}, {[]string{Invalid}, true}, {[]string{InvalidAnswer}, true},
		{[]string{"0"}, false}, {[]string{"7", Invalid}, false},
	} {
		if got := IsExtractionFailure(c.in); got != c.want {
			t.Errorf("IsExtractionFailure(%q) = %v", c.in, got)
		}
	}
	ch := mustChain(t, "c", FilterStep{Function: "regex", Args: map[string]any{"regex_pattern": `(\d)`, "fallback": "NONE"}})
	out := ch.Apply([]string{"abc"})
	if !ch.IsFailure(out) || IsExtractionFailure(out) {
		t.Errorf("custom fallback %q: chain.IsFailure=%v IsExtractionFailure=%v", out, ch.IsFailure(out), IsExtractionFailure(out))
	}
	// take_first on no responses: empty output, reported, counted as a failure.
	out, err := DefaultChain().ApplyErr(nil)
	if err == nil || !IsExtractionFailure(out) {
		t.Errorf("take_first(nil) = %q, %v", out, err)
	}
}

func TestApplyDoesNotAliasInput(t *testing.T) {
	in := []string{"A", "b"}
	mustChain(t, "c", FilterStep{Function: "lowercase"}).Apply(in)
	if in[0] != "A" {
		t.Fatal("Apply modified its input")
	}
}
