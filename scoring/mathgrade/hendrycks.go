// Package mathgrade extracts and grades final answers of math problems the
// way the reference harnesses do: the Hendrycks MATH normaliser
// (strip_string / is_equiv), the \boxed{} extractor, the Minerva
// "Final Answer" extractor with normalize_final_answer, and Equivalent, a
// sympy-free equivalence grader for Minerva-style answers (see README.md in
// the scoring directory for exactly what it decides).
//
// Every function is pure, never panics, and runs in time linear (or, for
// Equivalent, bounded polynomial) in the input length.
package mathgrade

import (
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// LastBoxedOnlyString is lm-eval's last_boxed_only_string. If the text
// contains "\boxed " (with a space) it returns "\boxed " followed by the text
// after the last such occurrence up to the next "$". Otherwise it takes the
// last "\boxed" (or, when there is none, the last "\fbox") and scans forward
// counting braces until a closing brace brings the depth back to zero,
// returning that span. ok is false when there is no box or it is unbalanced.
func LastBoxedOnlyString(s string) (string, bool) {
	idx := strings.LastIndex(s, `\boxed`)
	if i := strings.LastIndex(s, `\boxed `); i >= 0 {
		rest := s[i+len(`\boxed `):]
		if j := strings.IndexByte(rest, '$'); j >= 0 {
			rest = rest[:j]
		}
		return `\boxed ` + rest, true
	}
	if idx < 0 {
		idx = strings.LastIndex(s, `\fbox`)
		if idx < 0 {
			return "", false
		}
	}
	depth := 0
	for i := idx; i < len(s); i++ {
		switch s[i] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[idx : i+1], true
			}
		}
	}
	return "", false
}

// RemoveBoxed is lm-eval's remove_boxed: it strips a "\boxed " prefix, or a
// "\boxed{" prefix and the final "}". ok is false where the reference's
// assertions fail (any other shape, including "\fbox{...}").
func RemoveBoxed(s string) (string, bool) {
	if strings.Contains(s, `\boxed `) {
		if !strings.HasPrefix(s, `\boxed `) {
			return "", false
		}
		return s[len(`\boxed `):], true
	}
	const left = `\boxed{`
	if !strings.HasPrefix(s, left) || !strings.HasSuffix(s, "}") || len(s) < len(left)+1 {
		return "", false
	}
	return s[len(left) : len(s)-1], true
}

// ExtractBoxed is RemoveBoxed(LastBoxedOnlyString(s)), the gold-answer
// extraction of the MATH tasks. One deliberate extension: a final
// "\fbox{...}" (which the reference finds but then fails to unwrap, raising
// an AssertionError) yields its content.
func ExtractBoxed(s string) (string, bool) {
	b, ok := LastBoxedOnlyString(s)
	if !ok {
		return "", false
	}
	if strings.HasPrefix(b, `\fbox{`) && strings.HasSuffix(b, "}") {
		return b[len(`\fbox{`) : len(b)-1], true
	}
	return RemoveBoxed(b)
}

// HendrycksDollarSpan is the hendrycks_math answer extraction of the lm-eval
// revision in scoring-conventions.md: the text between the first and the
// last "$" when there are at least two, otherwise the whole output. It does
// not look for \boxed{}.
func HendrycksDollarSpan(s string) string {
	first := strings.IndexByte(s, '$')
	last := strings.LastIndexByte(s, '$')
	if first >= 0 && last > first {
		return s[first+1 : last]
	}
	return s
}

// HendrycksExtractAnswer is the extraction of another lm-eval revision of
// hendrycks_math/utils.py (commit 04bc51ff): the last \boxed{} content when
// there is one, else the first \[ ... \] display (stripped), else
// HendrycksDollarSpan.
func HendrycksExtractAnswer(s string) string {
	if b, ok := LastBoxedOnlyString(s); ok {
		if v, ok := RemoveBoxed(b); ok {
			return v
		}
		// The reference raises here (e.g. "\fbox{...}"); fall through.
	}
	if m := displayMath.FindStringSubmatch(s); m != nil {
		return pystr.Strip(m[1])
	}
	return HendrycksDollarSpan(s)
}

// errReference marks inputs on which the Python reference raises inside
// strip_string; is_equiv then falls back to comparing the raw strings.
var errReference = errors.New("reference strip_string raises on this input")

// HendrycksIsEquiv is the hendrycks_math is_equiv: equal after
// StripString, or, when normalising either string raises in the reference,
// equal as raw strings.
func HendrycksIsEquiv(a, b string) bool {
	sa, errA := StripString(a)
	if errA != nil {
		return a == b
	}
	sb, errB := StripString(b)
	if errB != nil {
		return a == b
	}
	return sa == sb
}

// StripString is the Hendrycks MATH normaliser, step by step and in order
// (lm-eval hendrycks_math utils.strip_string). It returns an error exactly
// where the reference raises (a second "\text{ ", a trailing "\sqrt", a
// "\frac" followed by nothing, an a/b whose sides are not Python ints).
func StripString(s string) (string, error) {
	s = strings.ReplaceAll(s, "\n", "")
	s = strings.ReplaceAll(s, `\!`, "")
	s = strings.ReplaceAll(s, `\\`, `\`)
	s = strings.ReplaceAll(s, "tfrac", "frac")
	s = strings.ReplaceAll(s, "dfrac", "frac")
	s = strings.ReplaceAll(s, `\left`, "")
	s = strings.ReplaceAll(s, `\right`, "")
	s = strings.ReplaceAll(s, `^{\circ}`, "")
	s = strings.ReplaceAll(s, `^\circ`, "")
	s = strings.ReplaceAll(s, `\$`, "")
	var err error
	if s, err = removeRightUnits(s); err != nil {
		return "", err
	}
	s = strings.ReplaceAll(s, `\%`, "")
	s = strings.ReplaceAll(s, " .", " 0.")
	s = strings.ReplaceAll(s, "{.", "{0.")
	if s == "" {
		return s, nil
	}
	if s[0] == '.' {
		s = "0" + s
	}
	if parts := strings.Split(s, "="); len(parts) == 2 && utf8.RuneCountInString(parts[0]) <= 2 {
		s = parts[1]
	}
	if s, err = fixSqrt(s); err != nil {
		return "", err
	}
	s = strings.ReplaceAll(s, " ", "")
	if s, err = fixFracs(s); err != nil {
		return "", err
	}
	if s == "0.5" {
		s = `\frac{1}{2}`
	}
	return fixASlashB(s)
}

// removeRightUnits keeps what precedes "\text{ " (units); the reference
// asserts there is exactly one occurrence.
func removeRightUnits(s string) (string, error) {
	if !strings.Contains(s, `\text{ `) {
		return s, nil
	}
	parts := strings.Split(s, `\text{ `)
	if len(parts) != 2 {
		return "", errReference
	}
	return parts[0], nil
}

// fixSqrt turns "\sqrt3" into "\sqrt{3}" (braces around the first
// character after each bare \sqrt).
func fixSqrt(s string) (string, error) {
	if !strings.Contains(s, `\sqrt`) {
		return s, nil
	}
	parts := strings.Split(s, `\sqrt`)
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		if p == "" {
			return "", errReference // IndexError: split[0]
		}
		if p[0] != '{' {
			_, w := utf8.DecodeRuneInString(p)
			b.WriteString(`\sqrt{` + p[:w] + "}" + p[w:])
		} else {
			b.WriteString(`\sqrt` + p)
		}
	}
	return b.String(), nil
}

// fixFracs turns "\frac12" into "\frac{1}{2}" and "\frac1{72}" into
// "\frac{1}{72}"; a \frac followed by exactly one character returns the
// input unchanged, and a \frac followed by nothing raises in the reference.
func fixFracs(s string) (string, error) {
	parts := strings.Split(s, `\frac`)
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		b.WriteString(`\frac`)
		if p == "" {
			return "", errReference // IndexError: substr[0]
		}
		if p[0] == '{' {
			b.WriteString(p)
			continue
		}
		if utf8.RuneCountInString(p) < 2 {
			return s, nil
		}
		_, wa := utf8.DecodeRuneInString(p)
		a := p[:wa]
		_, wb := utf8.DecodeRuneInString(p[wa:])
		bb := p[wa : wa+wb]
		post := p[wa+wb:]
		if bb != "{" {
			b.WriteString("{" + a + "}{" + bb + "}" + post)
		} else {
			b.WriteString("{" + a + "}" + bb + post)
		}
	}
	return b.String(), nil
}

// fixASlashB turns "a/b" with canonical integers into "\frac{a}{b}". When a
// side is not a Python int literal the reference raises ValueError.
func fixASlashB(s string) (string, error) {
	parts := strings.Split(s, "/")
	if len(parts) != 2 {
		return s, nil
	}
	if !pystr.IsDecimalInt(parts[0]) || !pystr.IsDecimalInt(parts[1]) {
		return "", errReference
	}
	if !canonicalInt(parts[0]) || !canonicalInt(parts[1]) {
		return s, nil // the assert string == "{}/{}".format(a, b) fails
	}
	return `\frac{` + parts[0] + "}{" + parts[1] + "}", nil
}

// canonicalInt reports whether s is exactly how Python prints an int.
func canonicalInt(s string) bool {
	if s == "0" {
		return true
	}
	s = strings.TrimPrefix(s, "-")
	if s == "" || s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
