package tokenizer

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// addedToken is an entry of tokenizer.json's added_tokens: a string that is
// cut out of the text before pre-tokenization and never split.
type addedToken struct {
	id         int
	content    string
	singleWord bool // match only when not inside a word
	lstrip     bool // also swallow whitespace on the left
	rstrip     bool // also swallow whitespace on the right
	normalized bool // matched in the normalized text instead of the raw text
	special    bool
}

// addedMatcher finds added tokens in text, leftmost-longest, as Hugging Face's
// Aho-Corasick matcher does.
type addedMatcher struct {
	byFirst [256][]*addedToken // tokens by first byte, longest first
	any     bool
}

func newAddedMatcher(tokens []addedToken, normalized bool) *addedMatcher {
	m := &addedMatcher{}
	for i := range tokens {
		a := &tokens[i]
		if a.normalized != normalized {
			continue
		}
		m.byFirst[a.content[0]] = append(m.byFirst[a.content[0]], a)
		m.any = true
	}
	for i := range m.byFirst {
		sort.SliceStable(m.byFirst[i], func(x, y int) bool {
			return len(m.byFirst[i][x].content) > len(m.byFirst[i][y].content)
		})
	}
	return m
}

// segment is a piece of the input: either an added token (id ≥ 0) or text
// to be normalized and pre-tokenized (id < 0).
type segment struct {
	text string
	id   int
}

// split cuts s into text segments and added-token segments, appending to out.
func (m *addedMatcher) split(s string, out []segment) []segment {
	if !m.any {
		return append(out, segment{s, -1})
	}
	done := 0 // end of the last emitted segment
	for i := 0; i < len(s); {
		a := m.longestAt(s, i)
		if a == nil {
			i++
			continue
		}
		start, stop := i, i+len(a.content)
		i = stop
		if a.singleWord && (endsWithWordChar(s[:start]) || startsWithWordChar(s[stop:])) {
			continue
		}
		if a.lstrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), done)
		}
		if a.rstrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
			i = stop
		}
		if start > done {
			out = append(out, segment{s[done:start], -1})
		}
		out = append(out, segment{s[start:stop], a.id})
		done = stop
	}
	if done < len(s) {
		out = append(out, segment{s[done:], -1})
	}
	return out
}

func (m *addedMatcher) longestAt(s string, i int) *addedToken {
	for _, a := range m.byFirst[s[i]] {
		if strings.HasPrefix(s[i:], a.content) {
			return a
		}
	}
	return nil
}

func isWordChar(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

func endsWithWordChar(s string) bool {
	r, n := utf8.DecodeLastRuneInString(s)
	return n > 0 && isWordChar(r)
}

func startsWithWordChar(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	return n > 0 && isWordChar(r)
}
