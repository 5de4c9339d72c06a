package pyre

import (
	"testing"
	"time"
)

// FuzzCompile feeds arbitrary patterns to the translator: it must never
// panic, and a compiled pattern must run on arbitrary input within its
// timeout.
func FuzzCompile(f *testing.F) {
	for _, p := range []string{
		`#### (\-?[0-9\.\,]+)`, `(-?[$0-9.,]{2,})|(-?[0-9]+)`, `(?<=the answer is )(.*)(?=.)`, `\.$`, `(?s).*#### `,
		`(?P<a>x)(?P=a)`, `[]a-z\d\s\W]`, `a{,3}`, `{`, `(?x) a # c`, `(?i:A)b`, `\x4`, `\U0001F600`, `(?(1)a|b)`,
		`(a+)+$`, `[\b]`, `\0\08\101`, `(?#comment)x`, `(?a)\w+`, `\Z`, `[^]]`, `\p{L}`,
	} {
		f.Add(p, "the answer is 42.\n#### 1,234")
	}
	f.Fuzz(func(t *testing.T, pattern, input string) {
		re, err := CompileTimeout(pattern, 20*time.Millisecond)
		if err != nil {
			return
		}
		start := time.Now()
		ms, err := re.FindAllPython(input)
		if err == nil {
			for _, m := range ms {
				if (re.NumGroups() == 0 && len(m) != 1) || (re.NumGroups() > 0 && len(m) != re.NumGroups()) {
					t.Fatalf("%q: findall item %q has the wrong arity for %d groups", pattern, m, re.NumGroups())
				}
			}
		}
		re.RemoveAll(input)
		re.Search(input)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q on %q took %v", pattern, input, d)
		}
	})
}
