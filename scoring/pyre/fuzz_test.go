package pyre

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// FuzzCompile feeds arbitrary patterns to the translator: it must never
// panic, and a compiled pattern must run on arbitrary input within its
// timeout.
func FuzzCompile(f *testing.F) {
	for _, p := range []string{
		`#### (\-?[0-9\.\,]+)`, `(-?[$0-9.,]{2,})|(-?[0-9]+)`, `(?<=the answer is )(.*)(?=.)`, `\.$`, `(?s).*#### `,
		`(?P<a>x)(?P=a)`, `[]a-z\d\s\W]`, `a{,3}`, `{`, `(?x) a # c`, `(?i:A)b`, `\x4`, `\U0001F600`, `(?(1)a|b)`,
		`(a+)+$`, `[\b]`, `(?<=ab)\d*`, `(?<=the answer is )(.*)(?=.)`, `(?<=\.)x|y`, `\0\08\101`, `(?#comment)x`, `(?a)\w+`, `\Z`, `[^]]`, `\p{L}`,
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
		// The fast paths must agree with the engines they shortcut.
		for _, l := range []*linear{re.lin, re.linNoNL} {
			if l == nil {
				continue
			}
			got, want := l.findAll(input), l.re.FindAllStringSubmatchIndex(input, -1)
			if len(got) != 0 || len(want) != 0 {
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("%q on %q: fast path %v, RE2 %v", pattern, input, got, want)
				}
			}
		}
		if re.btAt != nil {
			plain := *re
			plain.btAt = nil
			fast, err1 := re.FindAll(input)
			slow, err2 := plain.FindAll(input)
			if err1 == nil && err2 == nil && (len(fast) != 0 || len(slow) != 0) && !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q on %q: look-behind path %q, plain %q", pattern, input, fast, slow)
			}
		}
		if re.linNoNL != nil && !strings.HasSuffix(input, "\n") && utf8.ValidString(input) && !strings.ContainsRune(input, utf8.RuneError) {
			fast, err1 := re.FindAll(input)
			slow, err2 := btFindAll(re, input)
			if err1 == nil && err2 == nil && (len(fast) != 0 || len(slow) != 0) && !reflect.DeepEqual(fast, slow) {
				t.Fatalf("%q on %q: $-as-\\z path %q, backtracking %q", pattern, input, fast, slow)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%q on %q took %v", pattern, input, d)
		}
	})
}

func btFindAll(r *Regexp, s string) ([][]string, error) {
	var out [][]string
	err := r.btEach(s, func(m *regexp2.Match) { out = append(out, groupsOf(m, r.ngroups)) })
	return out, err
}
