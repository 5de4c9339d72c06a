package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Hand-written matchers for the split patterns of the tokenizers we ship.
// They return exactly the matches regexp2 finds for the same pattern (the
// differential tests and FuzzFastSplit check this) at a fraction of the cost.
// Character classes use the same definitions as regexp2: \s is
// unicode.IsSpace, \p{L} unicode.IsLetter, \p{N} unicode.IsNumber; an invalid
// UTF-8 byte is one U+FFFD character.

// qwenPattern is the Qwen2/Qwen3 split pattern; llama3Pattern is Llama 3's.
const (
	qwenPattern   = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
	llama3Pattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
)

// fastMatcher returns a hand-written matcher for pattern, or nil.
func fastMatcher(pattern string) func(string, []span) []span {
	switch pattern {
	case gpt2Pattern:
		return gpt2Matches
	case qwenPattern:
		return func(s string, buf []span) []span { return llamaMatches(s, buf, 1) }
	case llama3Pattern:
		return func(s string, buf []span) []span { return llamaMatches(s, buf, 3) }
	}
	return nil
}

type class uint8

const (
	clOther class = iota
	clSpace
	clLetter
	clNumber
)

var asciiClass = func() (t [128]class) {
	for c := 0; c < 128; c++ {
		switch r := rune(c); {
		case unicode.IsSpace(r):
			t[c] = clSpace
		case unicode.IsLetter(r):
			t[c] = clLetter
		case unicode.IsNumber(r):
			t[c] = clNumber
		}
	}
	return t
}()

// at decodes the character at i: its class, rune and width (0 at the end).
func at(s string, i int) (class, rune, int) {
	if i >= len(s) {
		return clOther, 0, 0
	}
	if c := s[i]; c < utf8.RuneSelf {
		return asciiClass[c], rune(c), 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	switch {
	case unicode.IsSpace(r):
		return clSpace, r, n
	case unicode.IsLetter(r):
		return clLetter, r, n
	case unicode.IsNumber(r):
		return clNumber, r, n
	}
	return clOther, r, n
}

// run returns the end of the run of characters of class cl starting at i.
func run(s string, i int, cl class) int {
	for i < len(s) {
		c, _, n := at(s, i)
		if c != cl {
			break
		}
		i += n
	}
	return i
}

// contraction returns the length of 's, 't, 're, 've, 'm, 'll or 'd at i
// (ASCII case-insensitively if fold), or 0.
func contraction(s string, i int, fold bool) int {
	if i+1 >= len(s) || s[i] != '\'' {
		return 0
	}
	lower := func(c byte) byte {
		if fold && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	switch lower(s[i+1]) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if i+2 < len(s) && lower(s[i+2]) == 'e' {
			return 3
		}
	case 'l':
		if i+2 < len(s) && lower(s[i+2]) == 'l' {
			return 3
		}
	}
	return 0
}

// spaceRunMatch handles \s+(?!\S)|\s+ for a whitespace run [i, j).
func spaceRunMatch(s string, i, j int) int {
	if j < len(s) {
		// Followed by a non-space: leave the last whitespace character to
		// the next match, unless it is the only one.
		_, last := utf8.DecodeLastRuneInString(s[i:j])
		if j-last > i {
			return j - last
		}
	}
	return j
}

// gpt2Matches implements
// 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
func gpt2Matches(s string, buf []span) []span {
	for i := 0; i < len(s); {
		if n := contraction(s, i, false); n > 0 {
			buf = append(buf, span{i, i + n})
			i += n
			continue
		}
		c, r, n := at(s, i)
		start := i
		if r == ' ' {
			if c2, _, n2 := at(s, i+1); n2 > 0 && c2 != clSpace {
				c, n = c2, 1+n2
			}
		}
		var end int
		switch c {
		case clLetter, clNumber, clOther:
			end = run(s, start+n, c)
		default: // whitespace
			end = spaceRunMatch(s, i, run(s, i, clSpace))
		}
		buf = append(buf, span{start, end})
		i = end
	}
	return buf
}

func isCRLF(r rune) bool { return r == '\r' || r == '\n' }

// llamaMatches implements the Llama 3 (maxDigits 3) and Qwen2/3 (maxDigits
// 1) pattern
// (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,maxDigits}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func llamaMatches(s string, buf []span, maxDigits int) []span {
	for i := 0; i < len(s); {
		if n := contraction(s, i, true); n > 0 {
			buf = append(buf, span{i, i + n})
			i += n
			continue
		}
		c, r, n := at(s, i)
		end := -1
		switch {
		case c == clLetter:
			end = run(s, i+n, clLetter)
		case c == clNumber:
			end = i + n
			for k := 1; k < maxDigits; k++ {
				c2, _, n2 := at(s, end)
				if c2 != clNumber || n2 == 0 {
					break
				}
				end += n2
			}
		default:
			// [^\r\n\p{L}\p{N}]?\p{L}+ with a leading non-letter.
			if !isCRLF(r) {
				if c2, _, n2 := at(s, i+n); c2 == clLetter && n2 > 0 {
					end = run(s, i+n+n2, clLetter)
					break
				}
			}
			if c == clOther || r == ' ' {
				// ?[^\s\p{L}\p{N}]+[\r\n]*
				j := i
				if r == ' ' {
					j += n
				}
				if c2, _, n2 := at(s, j); c2 == clOther && n2 > 0 {
					end = run(s, j, clOther)
					for end < len(s) && (s[end] == '\r' || s[end] == '\n') {
						end++
					}
					break
				}
			}
			if c == clSpace {
				j := run(s, i, clSpace)
				// \s*[\r\n]+: up to the last \r or \n of the run.
				for k := j; k > i; {
					r2, n2 := utf8.DecodeLastRuneInString(s[i:k])
					if isCRLF(r2) {
						end = k
						break
					}
					k -= n2
				}
				if end < 0 {
					end = spaceRunMatch(s, i, j)
				}
			}
		}
		buf = append(buf, span{i, end})
		i = end
	}
	return buf
}
