package mathgrade

import "testing"

// Expected values in this file were produced by running the reference
// Python functions (lm-eval hendrycks_math and minerva_math utils) on the
// same inputs with CPython 3.11.

func TestStripStringSteps(t *testing.T) {
	cases := []struct {
		step, in, want string
		raises         bool // the reference raises; is_equiv compares raw strings
	}{
		{"newlines", "1\n2", "12", false},
		{"inverse space", "1\\!000", "1000", false},
		{"double backslash", "\\\\frac{1}{2}", "\\frac{1}{2}", false},
		{"tfrac", "\\tfrac{1}{2}", "\\frac{1}{2}", false},
		{"dfrac", "\\dfrac{3}{4}", "\\frac{3}{4}", false},
		{"left right", "\\left( 1,2 \\right)", "(1,2)", false},
		{"circ braces", "90^{\\circ}", "90", false},
		{"circ bare", "90^\\circ", "90", false},
		{"dollar", "\\$5", "5", false},
		{"units", "5\\text{ cm}", "5", false},
		{"units twice raises", "5\\text{ cm}\\text{ m}", "", true},
		{"percent escaped", "50\\%", "50", false},
		{"bare percent kept", "50%", "50%", false},
		{"space dot", "x = .5", "\\frac{1}{2}", false},
		{"brace dot", "\\frac{.5}{2}", "\\frac{0.5}{2}", false},
		{"empty after cleanup", "\\$", "", false},
		{"leading dot", ".75", "0.75", false},
		{"short lhs", "k = 7", "7", false},
		{"long lhs kept", "abc = 7", "abc=7", false},
		{"two equals kept", "x=y=1", "x=y=1", false},
		{"sqrt bare", "\\sqrt3", "\\sqrt{3}", false},
		{"sqrt braced", "\\sqrt{3}", "\\sqrt{3}", false},
		{"sqrt trailing raises", "2\\sqrt", "", true},
		{"sqrt unicode first char", "\\sqrt\u00e9x", "\\sqrt{\u00e9}x", false},
		{"spaces removed", "1 + 2", "1+2", false},
		{"frac12", "\\frac12", "\\frac{1}{2}", false},
		{"frac1b", "\\frac1b", "\\frac{1}{b}", false},
		{"frac1{72}", "\\frac1{72}", "\\frac{1}{72}", false},
		{"frac one char returns pre-step", "\\frac1", "\\frac1", false},
		{"frac trailing raises", "3\\frac", "", true},
		{"frac one char before empty", "\\frac1\\frac", "\\frac1\\frac", false},
		{"zero point five", "0.5", "\\frac{1}{2}", false},
		{"half from .5", ".5", "\\frac{1}{2}", false},
		{"a slash b", "3/4", "\\frac{3}{4}", false},
		{"a slash b negative", "-3/4", "\\frac{-3}{4}", false},
		{"a slash b leading zero kept", "03/4", "03/4", false},
		{"a slash b non int raises", "x/2", "", true},
		{"a slash b sqrt raises", "\\sqrt{2}/2", "", true},
		{"a slash b underscores kept", "1_0/3", "1_0/3", false},
		{"two slashes kept", "1/2/3", "1/2/3", false},
		{"plain", "\\frac{1}{2}", "\\frac{1}{2}", false},
	}
	for _, c := range cases {
		got, err := StripString(c.in)
		if (err != nil) != c.raises {
			t.Errorf("%s: StripString(%q) error = %v, reference raises = %v", c.step, c.in, err, c.raises)
			continue
		}
		if err == nil && got != c.want {
			t.Errorf("%s: StripString(%q) = %q, want %q", c.step, c.in, got, c.want)
		}
	}
}

func TestHendrycksIsEquiv(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{`\frac{1}{2}`, "0.5", true},
		{`\dfrac12`, `\frac{1}{2}`, true},
		{"1/2", `\frac12`, true},
		{"x/2", "x/2", true},          // both raise: raw equality
		{"x/2", `\frac{x}{2}`, false}, // one raises: raw equality
		{`5\text{ cm}`, "5", true},
		{"50\\%", "50", true},
		{"50%", "50", false}, // a bare % is kept
		{`\left(1,2\right)`, "(1, 2)", true},
		{"k = 3", "3", true},
		{"10", "10.0", false},
		{`90^\circ`, "90", true},
		{`\$5`, "5", true},
	}
	for _, c := range cases {
		if got := HendrycksIsEquiv(c.a, c.b); got != c.want {
			t.Errorf("HendrycksIsEquiv(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func TestNormalizeFinalAnswer(t *testing.T) {
	cases := []struct{ in, want string }{
		{"x = 5", "5"},
		{"a = b = 12", "12"},
		{"an apple", "apple"},
		{"5 dollars", "5"},
		{"\\$1,000", "1000"},
		{"1,000,000", "1000000"},
		{"1,000.5", "1,000.5"},
		{"10\\text{ cm}^2", "10"},
		{"3\\text{ inches}", "3"},
		{"\\text{(B)}", "(B)"},
		{"\\textbf{yes}", "yes"},
		{"\\overline{AB}", "AB"},
		{"\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"},
		{"\\frac12", "\\frac{1}{2}"},
		{"\\frac{1}{2}", "\\frac{1}{2}"},
		{"\\sqrt2", "\\sqrt{2}"},
		{"\\sqrt{2}", "\\sqrt{2}"},
		{"2\\sqrt3x", "2\\sqrt{3}x"},
		{"The answer is $7$ apples", "7"},
		{"$1$ and $2$", "1"},
		{"90^\\circ", "90"},
		{"90^{\\circ}", "90"},
		{"5 mph", "5"},
		{"\\{1,2\\}", "\\{1,2\\}"},
		{"(1,2)", "(1,2)"},
		{"[2,5)", "[2,5)"},
		{"1\\text{ and }2", "12"},
		{"1,\\text{and}2", "12"},
		{"5\\;\\text{m}", "5"},
		{"12\\text{th}", "12th"},
		{"3\\mathrm{th}", "3"},
		{"\\frac{\\sqrt{3}}{2}", "\\frac{\\sqrt{3}}{2}"},
		{"x^2+2x+1", "x^2+2x+1"},
		{"-\\frac{2}{3}", "-\\frac{2}{3}"},
		{"0.5", "0.5"},
		{"1{,}000", "1000"},
		{"\u00b2", "\u00b2"},
		{"", ""},
		{"[invalidanswer]", "[invalidanswer]"},
		{"square units 4", "4"},
		{"7.$", "7"},
		{"\\text{Devon}", "Devon"},
		{"\\text{\nsomething}", "\\text{\nsomething}"},
		{"frac", "frac"},
		{"\\dfrac{1}{2}", "\\dfrac{1}{2}"},
		{"\\tfrac12", "\\tfrac{1}{2}"},
	}
	for _, c := range cases {
		if got := NormalizeFinalAnswer(c.in); got != c.want {
			t.Errorf("NormalizeFinalAnswer(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestMinervaUnnormalizedAnswer(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Final Answer: The final answer is $5$. I hope it is correct.", "$5$"},
		{"blah\nFinal Answer: The final answer is $\\frac{1}{2}$. I hope it is correct.\nProblem: ...", "$\\frac{1}{2}$"},
		{"Final Answer: The final answer is 12. I hope it is correct.", "12"},
		{"Final Answer: The final answer is $5$.", "[invalidanswer]"},
		{"Final Answer: The final answer is $5$", "[invalidanswer]"},
		{"Final Answer: The final answer is", "[invalidanswer]"},
		{"The final answer is $5$. I hope it is correct.", "[invalidanswer]"},
		{"Final Answer: The final answer is $3$. I hope it is correct. Final Answer: The final answer is $4$. I hope it is correct.", "$3$"},
		{"Final Answer: The final answer is\n$5$. I hope it is correct.", "[invalidanswer]"},
		{"Final Answer: The final answer is  \u00a0x\u3000. I hope it is correct.", "x"},
	}
	for _, c := range cases {
		got, ok := MinervaUnnormalizedAnswer(c.in)
		if got != c.want || ok != (c.want != InvalidAnswer) {
			t.Errorf("MinervaUnnormalizedAnswer(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
}

func TestLastBoxedAndRemoveBoxed(t *testing.T) {
	const none, assert = "<None>", "<AssertionError>"
	cases := []struct{ in, boxed, removed string }{
		{"\\boxed{5}", "\\boxed{5}", "5"},
		{"a \\boxed{1} b \\boxed{2}", "\\boxed{2}", "2"},
		{"\\boxed{\\frac{1}{\\sqrt{2}}}", "\\boxed{\\frac{1}{\\sqrt{2}}}", "\\frac{1}{\\sqrt{2}}"},
		{"\\boxed 5$ and", "\\boxed 5", "5"},
		{"\\boxed 5", "\\boxed 5", "5"},
		{"\\boxed{1} \\boxed 7", "\\boxed 7", "7"},
		{"\\fbox{9}", "\\fbox{9}", assert},
		{"\\boxed{1} \\fbox{9}", "\\boxed{1}", "1"},
		{"\\boxed{", none, none},
		{"\\boxed}{x}", none, none},
		{"\\boxed5 and {x}", "\\boxed5 and {x}", assert},
		{"no box", none, none},
		{"\\boxed{a}}", "\\boxed{a}", "a"},
		{"\\boxed{\\{1,2\\}}", "\\boxed{\\{1,2\\}}", "\\{1,2\\}"},
	}
	for _, c := range cases {
		b, ok := LastBoxedOnlyString(c.in)
		if !ok {
			b = none
		}
		if b != c.boxed {
			t.Errorf("LastBoxedOnlyString(%q) = %q, want %q", c.in, b, c.boxed)
			continue
		}
		if !ok {
			continue
		}
		r, ok := RemoveBoxed(b)
		if !ok {
			r = assert
		}
		if r != c.removed {
			t.Errorf("RemoveBoxed(%q) = %q, want %q", b, r, c.removed)
		}
	}
	// ExtractBoxed unwraps \fbox{} where the reference asserts.
	if v, ok := ExtractBoxed(`so \fbox{9}`); !ok || v != "9" {
		t.Errorf("ExtractBoxed(fbox) = %q, %v", v, ok)
	}
}

func TestHendrycksExtraction(t *testing.T) {
	cases := []struct{ in, span, extract string }{
		{"The answer is $5$.", "5", "5"},
		{"$a$ then $b$", "a$ then $b", "a$ then $b"},
		{"only $ one", "only $ one", "only $ one"},
		{`So \boxed{7} and $x$`, "x", "7"},
		{"display \\[ x+1 \\] and $y$", "y", "x+1"},
	}
	for _, c := range cases {
		if got := HendrycksDollarSpan(c.in); got != c.span {
			t.Errorf("HendrycksDollarSpan(%q) = %q, want %q", c.in, got, c.span)
		}
		if got := HendrycksExtractAnswer(c.in); got != c.extract {
			t.Errorf("HendrycksExtractAnswer(%q) = %q, want %q", c.in, got, c.extract)
		}
	}
}
