package mathgrade

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzBudget bounds the time one input may take; everything here is linear
// or small-polynomial, so a few milliseconds is the norm.
const fuzzBudget = 500 * time.Millisecond

var mathSeeds = []string{
	"", `\boxed{\frac{1}{2}}`, `\boxed 5$`, `\fbox{`, `\boxed}{`, "Final Answer: The final answer is $5$. I hope it is correct.",
	`\frac`, `\frac1`, `3\frac`, `\sqrt`, `\sqrt3`, "x/2", "1/2/3", `5\text{ cm}\text{ m}`, `\left(1,2\right)`,
	`1\pm\sqrt{2}`, `(-\infty,1)\cup(2,\infty)`, `\{1,2\}`, "1,000.5", `2^{10}`, `((((((((1))))))))`, `9^{64}^{64}`,
	`170!`, `\sqrt[3]{8}`, "$a$ $b$", "\xff\xfe", "é\u0301", `\frac{\frac{\frac{1}{2}}{3}}{4}`, strings.Repeat("(", 300),
	strings.Repeat(`\pm`, 20), strings.Repeat("1,", 200),
}

func timed(t *testing.T, what string, in string, f func()) {
	t.Helper()
	start := time.Now()
	f()
	if d := time.Since(start); d > fuzzBudget {
		t.Fatalf("%s(%q) took %v", what, in, d)
	}
}

func FuzzStripString(f *testing.F) {
	for _, s := range mathSeeds {
		f.Add(s, "0.5")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		timed(t, "StripString", a, func() {
			out, err := StripString(a)
			if err == nil && strings.ContainsAny(out, " \n") {
				t.Fatalf("StripString(%q) = %q still has spaces or newlines", a, out)
			}
			if HendrycksIsEquiv(a, b) != HendrycksIsEquiv(b, a) {
				t.Fatalf("HendrycksIsEquiv not symmetric on %q, %q", a, b)
			}
			if !HendrycksIsEquiv(a, a) {
				t.Fatalf("HendrycksIsEquiv(%q, itself) is false", a)
			}
		})
	})
}

func FuzzBoxed(f *testing.F) {
	for _, s := range mathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		timed(t, "ExtractBoxed", s, func() {
			b, ok := LastBoxedOnlyString(s)
			if ok && !strings.Contains(s, b[len(`\boxed `):]) {
				t.Fatalf("LastBoxedOnlyString(%q) = %q is not from the input", s, b)
			}
			if ok {
				RemoveBoxed(b)
			}
			ExtractBoxed(s)
			HendrycksDollarSpan(s)
			HendrycksExtractAnswer(s)
		})
	})
}

func FuzzMinerva(f *testing.F) {
	for _, s := range mathSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		timed(t, "Minerva", s, func() {
			a, ok := MinervaUnnormalizedAnswer(s)
			if !ok && a != InvalidAnswer {
				t.Fatalf("no match but answer %q", a)
			}
			n := NormalizeFinalAnswer(s)
			if utf8.ValidString(s) && !utf8.ValidString(n) {
				t.Fatalf("NormalizeFinalAnswer(%q) = %q is not valid UTF-8", s, n)
			}
			MinervaGold(s)
			MinervaPrediction(s)
		})
	})
}

func FuzzEquivalent(f *testing.F) {
	for _, s := range mathSeeds {
		f.Add(s, `\frac{1}{2}`)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		timed(t, "Equivalent", a+" | "+b, func() {
			if !Equivalent(a, a) {
				t.Fatalf("Equivalent(%q, itself) is false", a)
			}
			Equivalent(a, b)
			Equivalent(NormalizeFinalAnswer(a), NormalizeFinalAnswer(b))
		})
	})
}
