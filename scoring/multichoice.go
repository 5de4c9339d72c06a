package scoring

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ouroeval/ouroeval/scoring/pyre"
	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// multiChoiceFilter is lm-eval's multi_choice_regex (MultiChoiceRegexFilter):
// the regex filter, then two fallbacks built from the document's choices —
// the text of a choice found in the (normalised) response, mapped to
// "(A)", "(B)", …; then ": X" with X a choice letter, mapped to "(X)".
type multiChoiceFilter struct {
	re          *pyre.Regexp
	groupSelect int
	fallback    string
	em          *ExactMatcher // the ignore options, applied by filter_ignores
	emPunct     bool          // ignore_punctuation: every Unicode P* character
}

// choiceFilter is a filter step that reads the document's choices.
type choiceFilter interface {
	applyChoices(resps, choices []string) ([]string, error)
}

func newMultiChoiceFilter(a *args) (filter, string, error) {
	rf, err := regexArgs(a)
	if err != nil {
		return nil, "", err
	}
	res, err := a.strList("regexes_to_ignore")
	if err != nil {
		return nil, "", err
	}
	ic, err := a.boolean("ignore_case", false)
	if err != nil {
		return nil, "", err
	}
	ip, err := a.boolean("ignore_punctuation", false)
	if err != nil {
		return nil, "", err
	}
	em, err := NewExactMatcher(res, ic, false, false)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", a.owner, err)
	}
	return &multiChoiceFilter{re: rf.re, groupSelect: rf.groupSelect, fallback: rf.fallback, em: em, emPunct: ip}, rf.fallback, nil
}

// ignores is filter_ignores: regexes, lowercase, then removal of every
// Unicode punctuation character (categories P*).
func (f *multiChoiceFilter) ignores(s string) (string, error) {
	s, err := f.em.Normalize(s)
	if err != nil {
		return "", err
	}
	if f.emPunct {
		s = strings.Map(func(r rune) rune {
			if unicode.IsPunct(r) {
				return -1
			}
			return r
		}, s)
	}
	return s, nil
}

// find is find_match: findall, select, first non-empty group, strip,
// convert. "" means no match (Python's falsy result).
func (f *multiChoiceFilter) find(re *pyre.Regexp, resp string, convert map[string]string) (string, error) {
	m, _, err := re.FindPython(resp, f.groupSelect)
	if err != nil || m == nil {
		return "", err
	}
	v := ""
	for _, g := range m {
		if g != "" {
			v = g
			break
		}
	}
	v = pystr.Strip(v)
	if c, ok := convert[v]; ok && v != "" {
		v = c
	}
	return v, nil
}

func (f *multiChoiceFilter) apply(resps []string) ([]string, error) {
	return f.applyChoices(resps, nil)
}

func (f *multiChoiceFilter) applyChoices(resps, choices []string) ([]string, error) {
	var textRe, letterRe *pyre.Regexp
	toAlpha := map[string]string{}
	letterTo := map[string]string{}
	if len(choices) > 0 {
		alts := make([]string, len(choices))
		letters := make([]string, len(choices))
		for i, c := range choices {
			m, err := f.ignores(pystr.Strip(c))
			if err != nil {
				return nil, err
			}
			letter := string(rune('A' + i))
			alts[i] = pyEscape(m)
			toAlpha[m] = "(" + letter + ")"
			letters[i] = letter
			letterTo[letter] = "(" + letter + ")"
		}
		var err error
		if textRe, err = pyre.Compile(strings.Join(alts, "|")); err != nil {
			return nil, fmt.Errorf("multi_choice_regex: choices: %w", err)
		}
		if letterRe, err = pyre.Compile(`:[\s]*(` + strings.Join(letters, "|") + `)`); err != nil {
			return nil, fmt.Errorf("multi_choice_regex: choice letters: %w", err)
		}
	}
	out := make([]string, len(resps))
	var first error
	note := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	for i, r := range resps {
		v, err := f.find(f.re, r, nil)
		note(err)
		if v == "" && textRe != nil {
			norm, err := f.ignores(r)
			note(err)
			v, err = f.find(textRe, norm, toAlpha)
			note(err)
			if v == "" {
				v, err = f.find(letterRe, r, letterTo)
				note(err)
			}
		}
		if v == "" {
			v = f.fallback
		}
		out[i] = v
	}
	return out, first
}

// pyEscape is Python's re.escape (3.7+): a backslash before every
// character that has a special meaning in a pattern.
func pyEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
