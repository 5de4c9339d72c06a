package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

var splitPatterns = []string{gpt2Pattern, qwenPattern, llama3Pattern}

// checkFastSplit compares the hand-written matcher with regexp2 on s.
func checkFastSplit(t *testing.T, pattern, s string) {
	t.Helper()
	re, err := compileRegex(pattern)
	if err != nil {
		t.Fatal(err)
	}
	want := regexMatches(re, s, nil)
	got := fastMatcher(pattern)(s, nil)
	if !slices.Equal(got, want) {
		t.Fatalf("pattern %.20q… on %q:\n fast    %v\n regexp2 %v", pattern, s, got, want)
	}
}

func TestFastSplitMatchesRegexp2(t *testing.T) {
	inputs := []string{
		"", " ", "  ", "a", " a", "  a", "\ta", "\t\ta", "\n", "\n\n", "a\n", "a \n b", " \n\n  x", "x  \n\t\n y",
		"Hello world", "I've 'RE 'll 'Ve 'd 'M 'S 'T 'x ' 'll'll", "''s", "don't", "12345 1234567", "a1b2c3",
		"½ ² Ⅻ ١٢٣ 三", "!!! ... ?!x", " !!\n\n", " !!\r\n", "$$\r\r\nx", "é à ß İ ǅ ﬁ", "日本語 テスト",
		"😀 🦙🦙 \u200d 😶\u200d🌫️", "\u00a0x \u3000y \u2028z", "\xff\xfe bad \xc3 utf8 \xe2\x82", "a\x00b\x01 \x7f",
		"   trailing   ", "\r\n", "\r\n\r\n", " \r\n x", "\t\n \t\n x", "x\n \n", "'", "' ", "'s", " 's", "'\n",
		"tab\there", "\v\f x", "\x1c\x1d\x1e\x1f x", strings.Repeat(" ", 50) + "x", "a" + strings.Repeat("\n", 20),
	}
	for _, p := range splitPatterns {
		for _, s := range inputs {
			checkFastSplit(t, p, s)
		}
	}
	// The llama.cpp test strings too, when available.
	if _, err := findSharedDir(); err == nil {
		for _, tc := range readVocabTests(t, "ggml-vocab-qwen35") {
			for _, p := range splitPatterns {
				checkFastSplit(t, p, tc.input)
			}
		}
	}
}

// FuzzFastSplit checks the hand-written matchers against regexp2 on
// arbitrary strings.
func FuzzFastSplit(f *testing.F) {
	for _, s := range []string{"Hello world 123", " 's\n\n x", "½ Ⅻ \r\n!!", "\xff a\u00a0 b", "'LL 'Re", "  \t\n\tx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range splitPatterns {
			checkFastSplit(t, p, s)
		}
	})
}
