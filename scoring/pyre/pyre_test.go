package pyre

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestFindAllMatchesPython checks re.findall results; every expected value
// was produced by CPython 3.11's re.findall on the same pattern and input.
func TestFindAllMatchesPython(t *testing.T) {
	cases := []struct {
		pattern, input string
		want           [][]string
	}{
		{"#### (\\-?[0-9\\.\\,]+)", "so 3+4=7\n#### 7", [][]string{{"7"}}},
		{"#### (\\-?[0-9\\.\\,]+)", "#### 1,234.\n#### -5", [][]string{{"1,234."}, {"-5"}}},
		{"#### (\\-?[0-9\\.\\,]+)", "no answer", nil},
		{"(-?[$0-9.,]{2,})|(-?[0-9]+)", "She pays $1,200 then 7 more, total 1207.", [][]string{{"$1,200", ""}, {"", "7"}, {"1207.", ""}}},
		{"(-?[$0-9.,]{2,})|(-?[0-9]+)", "answer 5", [][]string{{"", "5"}}},
		{"(-?[$0-9.,]{2,})|(-?[0-9]+)", "x = -3 and y = -.5", [][]string{{"", "-3"}, {"-.5", ""}}},
		{"The answer is (\\-?[0-9\\.\\,]+).", "So The answer is 42. The answer is 43.", [][]string{{"42."}, {"43"}}},
		{"The final answer is ((-?[$0-9.,]{2,})|(-?[0-9]+))", "The final answer is 7", [][]string{{"7", "", "7"}}},
		{"(?<=the answer is )(.*)(?=.)", "So the answer is (B).\nthe answer is x", [][]string{{"(B)"}, {""}}},
		{"(?<=the answer is )(.*)(?=.)", "the answer is \nthe answer is Yes.", [][]string{{"Yes"}}},
		{"answer is \\(?([ABCDEFGHIJ])\\)?", "The answer is (C). Or answer is D", [][]string{{"C"}, {"D"}}},
		{"(?i)answer\\s*:\\s*([^\\n]+)", "ANSWER :  forty two\nmore", [][]string{{"forty two"}}},
		{"\\d+", "a\u0661\u0662b 34 \uff15", [][]string{{"\u0661\u0662"}, {"34"}, {"\uff15"}}},
		{"\\w+", "h\u00e9llo w\u00f6rld_1 \u2082 x\u0301", [][]string{{"h\u00e9llo"}, {"w\u00f6rld_1"}, {"\u2082"}, {"x"}}},
		{"\\s+", "a\u001cb\u00a0c\u2028d", [][]string{{"\u001c"}, {"\u00a0"}, {"\u2028"}}},
		{"\\.$", "72.\n", [][]string{{"."}}},
		{"(a)|b", "ab", [][]string{{"a"}, {""}}},
		{"(a)?(b)", "b ab", [][]string{{"", "b"}, {"a", "b"}}},
		{"x*", "axxb", [][]string{{""}, {"xx"}, {""}, {""}}},
		{"(?P<num>\\d+)-(?P=num)", "12-12 3-4 5-5", [][]string{{"12"}, {"5"}}},
		{"a{,2}b", "aaab b", [][]string{{"aab"}, {"b"}}},
		{"a{2}", "aaaaa", [][]string{{"aa"}, {"aa"}}},
		{"{", "a{b", [][]string{{"{"}}},
		{"[\\d.]+", "v1.2.3 and \u0663.\u0664", [][]string{{"1.2.3"}, {"\u0663.\u0664"}}},
		{"[^\\s]+", "a b\u3000c", [][]string{{"a"}, {"b"}, {"c"}}},
		{"\\bcat\\b", "cat concat cat.", [][]string{{"cat"}, {"cat"}}},
		{"(?x) a  b  # comment", "ab a b", [][]string{{"ab"}}},
		{"[]a]+", "]]a]b", [][]string{{"]]a]"}}},
		{"\\x41\\u0042\\101", "ABA", [][]string{{"ABA"}}},
		{"\\Z", "ab\n", [][]string{{""}}},
		{"$", "ab\n", [][]string{{""}, {""}}},
		{"(a|ab)(c|bcd)(d*)", "abcd", [][]string{{"a", "bcd", ""}}},
	}
	for _, c := range cases {
		re, err := Compile(c.pattern)
		if err != nil {
			t.Errorf("Compile(%q): %v", c.pattern, err)
			continue
		}
		got, err := re.FindAllPython(c.input)
		if err != nil {
			t.Errorf("FindAllPython(%q, %q): %v", c.pattern, c.input, err)
			continue
		}
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("findall(%q, %q) = %q, want %q (linear engine: %v)", c.pattern, c.input, got, c.want, re.Linear())
		}
	}
}

func TestEngineChoice(t *testing.T) {
	cases := []struct {
		pattern string
		linear  bool
	}{
		{`#### (\-?[0-9\.\,]+)`, true},
		{`(-?[$0-9.,]{2,})|(-?[0-9]+)`, true},
		{`answer is \(?([ABCDEFGHIJ])\)?`, true},
		{`\.$`, false},                          // Python $ also matches before a final \n (linear only without one)
		{`(?<=the answer is )(.*)(?=.)`, false}, // look-around
		{`x*`, false},                           // can match empty
		{`(\w+) \1`, false},                     // back-reference
		{`\bcat\b`, false},                      // Unicode word boundary
		{`\d+`, true},
	}
	for _, c := range cases {
		re, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.pattern, err)
		}
		if re.Linear() != c.linear {
			t.Errorf("Compile(%q).Linear() = %v, want %v", c.pattern, re.Linear(), c.linear)
		}
	}
	for _, p := range []string{`\.$`, `(a+)+$`, `x$`} {
		if re := MustCompile(p); !re.LinearUnlessTrailingNewline() {
			t.Errorf("Compile(%q) should run linearly on inputs without a trailing newline", p)
		}
	}
	for _, p := range []string{`(?m)x$`, `(?<=a)b$`} {
		if re := MustCompile(p); re.LinearUnlessTrailingNewline() {
			t.Errorf("Compile(%q) cannot run linearly", p)
		}
	}
}

func TestRemoveAllMatchesPythonSub(t *testing.T) {
	// Expected values from CPython's re.sub(pattern, "", input).
	cases := []struct{ pattern, input, want string }{
		{`,`, "1,234,567", "1234567"},
		{`\$`, "$1,200", "1,200"},
		{`(?s).*#### `, "Natalia sold 48/2 = 24 clips.\n#### 72", "72"},
		{`\.$`, "72.\n", "72\n"},
		{`\.$`, "72.", "72"},
		{`\.$`, "7.2", "7.2"},
		{`x*`, "axxbx", "ab"},
		{`^\s*`, "  a b", "a b"},
		{`(?s).*#### `, "a\n#### 1\n#### 2", "2"},
		{`(?s).*#### `, "no marker", "no marker"},
		{`.*#### `, "a\n#### 1\nb#### 2", "a\n1\n2"},
	}
	for _, c := range cases {
		re, err := Compile(c.pattern)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.pattern, err)
		}
		got, err := re.RemoveAll(c.input)
		if err != nil || got != c.want {
			t.Errorf("re.sub(%q, '', %q) = %q, %v; want %q", c.pattern, c.input, got, err, c.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	// CPython rejects all of these except a++ (a possessive quantifier,
	// new in Python 3.11), which this package does not support.
	for _, p := range []string{`(`, `)`, `[a`, `\q`, `a++`, `(?P=nope)`, `(?L)a`, `\1(a)`, `[z-a]`} {
		if _, err := Compile(p); err == nil {
			t.Errorf("Compile(%q) succeeded, want an error", p)
		}
	}
}

func TestSearch(t *testing.T) {
	re := MustCompile(`Final Answer: The final answer is(.*?). I hope`)
	got, err := re.Search("x Final Answer: The final answer is $5$. I hope it is correct.")
	if err != nil || len(got) != 2 || got[1] != " $5$" {
		t.Fatalf("Search = %q, %v", got, err)
	}
	if got, _ := re.Search("nothing"); got != nil {
		t.Fatalf("Search(no match) = %q, want nil", got)
	}
}

func TestTimeoutBoundsCatastrophicBacktracking(t *testing.T) {
	re, err := CompileTimeout(`(a+)+$`, 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// Without a trailing newline `$` is \z and the linear engine answers
	// at once (no match).
	if ms, err := re.FindAll(strings.Repeat("a", 40) + "!"); err != nil || ms != nil {
		t.Fatalf("FindAll = %q, %v; want no match", ms, err)
	}
	// With one, Python's `$` needs the backtracking engine, which gives up.
	start := time.Now()
	_, err = re.FindAll(strings.Repeat("a", 40) + "!\n")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("FindAll error = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("timeout not enforced: took %v", d)
	}
}

func TestLookbehindFastPath(t *testing.T) {
	// Expected values from CPython's re.findall.
	cases := []struct {
		pattern, input string
		want           [][]string
	}{
		{`(?<=the answer is )(.*)(?=.)`, "the answer is (A). Then the answer is (B).\nthe answer is \nthe answer is Yes.", [][]string{{"(A). Then the answer is (B)"}, {"Yes"}}},
		{`(?<=ab)\d*`, "ab1ab ab22", [][]string{{"1"}, {""}, {"22"}}},
		{`(?<=a)a`, "aaaa", [][]string{{"a"}, {"a"}, {"a"}}},
		{`(?<=\.)x|y`, ".x y", [][]string{{"x"}, {"y"}}},
	}
	for _, c := range cases {
		re := MustCompile(c.pattern)
		got, err := re.FindAllPython(c.input)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("findall(%q, %q) = %q, %v; want %q", c.pattern, c.input, got, err, c.want)
		}
	}
	if re := MustCompile(`(?<=the answer is )(.*)(?=.)`); re.btAt == nil {
		t.Error("BBH pattern does not use the look-behind fast path")
	}
	if re := MustCompile(`(?<=a)b|c`); re.btAt != nil {
		t.Error("top-level alternation must not use the look-behind fast path")
	}
}
