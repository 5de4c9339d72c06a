package chat

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// segment is a piece of template source: literal text, an output
// expression {{ … }}, or a statement {% … %}. Comments are dropped.
type segKind int

const (
	segText segKind = iota
	segOutput
	segStmt
)

type seg struct {
	kind segKind
	text string // literal text, or the source between the delimiters
	line int    // line of the segment's start
}

// split cuts source into segments, applying Jinja's whitespace control as
// Hugging Face configures it: trim_blocks and lstrip_blocks on, "-" strips
// all whitespace on its side, "+" disables lstrip_blocks for the tag.
func split(src string) ([]seg, error) {
	// Jinja normalizes newlines in template data to "\n" and, without
	// keep_trailing_newline, drops one trailing newline.
	src = strings.ReplaceAll(src, "\r\n", "\n")
	src = strings.ReplaceAll(src, "\r", "\n")
	src = strings.TrimSuffix(src, "\n")
	var segs []seg
	line := 1
	pos := 0
	stripNext := false // previous tag ended with "-"
	trimNL := false    // previous tag was a block or comment (trim_blocks)
	for pos <= len(src) {
		i := nextTag(src, pos)
		text := src[pos:]
		if i >= 0 {
			text = src[pos:i]
		}
		textLine := line
		line += strings.Count(text, "\n")
		if stripNext {
			trimmed := strings.TrimLeftFunc(text, unicode.IsSpace)
			textLine += strings.Count(text[:len(text)-len(trimmed)], "\n")
			text = trimmed
		} else if trimNL {
			if strings.HasPrefix(text, "\n") {
				text, textLine = text[1:], textLine+1
			} else if strings.HasPrefix(text, "\r\n") {
				text, textLine = text[2:], textLine+1
			}
		}
		if i < 0 {
			if text != "" {
				segs = append(segs, seg{segText, text, textLine})
			}
			break
		}
		open := src[i : i+2]
		var kind segKind
		var close string
		switch open {
		case "{{":
			kind, close = segOutput, "}}"
		case "{%":
			kind, close = segStmt, "%}"
		default:
			kind, close = -1, "#}"
		}
		j := i + 2
		leftDash, leftPlus := false, false
		if j < len(src) && src[j] == '-' {
			leftDash = true
			j++
		} else if j < len(src) && src[j] == '+' {
			leftPlus = true
			j++
		}
		var end int
		if kind == segOutput || kind == segStmt {
			end = findClose(src, j, close)
		} else {
			end = strings.Index(src[j:], close)
			if end >= 0 {
				end += j
			}
		}
		if end < 0 {
			what := map[string]string{"}}": "expression", "%}": "statement", "#}": "comment"}[close]
			return nil, &Error{Line: line, Msg: fmt.Sprintf("unclosed %s: missing %q", what, close)}
		}
		inner := src[j:end]
		rightDash := false
		if strings.HasSuffix(inner, "-") {
			rightDash = true
			inner = inner[:len(inner)-1]
		} else if strings.HasSuffix(inner, "+") && kind != segOutput {
			inner = inner[:len(inner)-1]
		}
		// Whitespace control on the text before the tag.
		if leftDash {
			text = strings.TrimRightFunc(text, unicode.IsSpace)
		} else if kind != segOutput && !leftPlus {
			// lstrip_blocks: strip spaces and tabs back to the start of the
			// line when nothing else precedes the tag on it.
			k := len(text)
			for k > 0 && (text[k-1] == ' ' || text[k-1] == '\t') {
				k--
			}
			if k > 0 && text[k-1] == '\n' || k == 0 && atLineStart(src, i-len(text)) {
				text = text[:k]
			}
		}
		if text != "" {
			segs = append(segs, seg{segText, text, textLine})
		}
		tagLine := line
		line += strings.Count(src[i:end+2], "\n")
		pos = end + 2
		stripNext = rightDash
		trimNL = kind != segOutput
		if kind == segStmt {
			// {% raw %} … {% endraw %} is literal text.
			if strings.TrimSpace(inner) == "raw" {
				body, after, endLine, ok := scanRaw(src, pos, line)
				if !ok {
					return nil, &Error{Line: tagLine, Msg: "raw block without endraw"}
				}
				if body.text != "" {
					segs = append(segs, body)
				}
				pos, line = after.pos, endLine
				stripNext, trimNL = after.rightDash, true
				continue
			}
			segs = append(segs, seg{segStmt, inner, tagLine})
		} else if kind == segOutput {
			segs = append(segs, seg{segOutput, inner, tagLine})
		}
	}
	return segs, nil
}

// atLineStart reports whether pos is at the start of the source or of a line.
func atLineStart(src string, pos int) bool {
	return pos == 0 || src[pos-1] == '\n'
}

// nextTag returns the index of the next "{{", "{%" or "{#" at or after pos.
func nextTag(src string, pos int) int {
	for i := pos; i+1 < len(src); i++ {
		if src[i] == '{' && (src[i+1] == '{' || src[i+1] == '%' || src[i+1] == '#') {
			return i
		}
	}
	return -1
}

// findClose finds close after j, skipping string literals.
func findClose(src string, j int, close string) int {
	for i := j; i+1 < len(src); i++ {
		switch c := src[i]; c {
		case '\'', '"':
			k := i + 1
			for k < len(src) && src[k] != c {
				if src[k] == '\\' {
					k++
				}
				k++
			}
			i = k
		default:
			if src[i:i+2] == close {
				return i
			}
		}
	}
	return -1
}

type rawEnd struct {
	pos       int
	rightDash bool
}

// scanRaw finds the {% endraw %} closing a raw block whose body starts at pos.
func scanRaw(src string, pos, line int) (seg, rawEnd, int, bool) {
	for i := pos; ; {
		k := strings.Index(src[i:], "{%")
		if k < 0 {
			return seg{}, rawEnd{}, 0, false
		}
		k += i
		j := k + 2
		leftDash := j < len(src) && src[j] == '-'
		if leftDash || j < len(src) && src[j] == '+' {
			j++
		}
		e := strings.Index(src[j:], "%}")
		if e < 0 {
			return seg{}, rawEnd{}, 0, false
		}
		e += j
		inner := src[j:e]
		rightDash := strings.HasSuffix(inner, "-")
		inner = strings.TrimSuffix(strings.TrimSuffix(inner, "-"), "+")
		if strings.TrimSpace(inner) == "endraw" {
			body := src[pos:k]
			if leftDash {
				body = strings.TrimRightFunc(body, unicode.IsSpace)
			}
			endLine := line + strings.Count(src[pos:e+2], "\n")
			return seg{segText, body, line}, rawEnd{e + 2, rightDash}, endLine, true
		}
		i = e + 2
	}
}

// Expression tokens.
type tokKind int

const (
	tokEOF tokKind = iota
	tokName
	tokString
	tokInt
	tokFloat
	tokOp
)

type token struct {
	kind tokKind
	s    string // name, operator, or decoded string literal
	i    int64
	f    float64
	line int
}

var ops3 = []string{"//=", "**="}
var ops2 = []string{"//", "**", "==", "!=", "<=", ">=", "+=", "-="}

// lexExpr tokenizes the source of one tag.
func lexExpr(src string, line int) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, token{kind: tokName, s: src[i:j], line: line})
			i = j
		case c >= '0' && c <= '9':
			j := i
			isFloat := false
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
				j++
			}
			if j+1 < len(src) && src[j] == '.' && src[j+1] >= '0' && src[j+1] <= '9' {
				isFloat = true
				j++
				for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_') {
					j++
				}
			}
			if j < len(src) && (src[j] == 'e' || src[j] == 'E') {
				k := j + 1
				if k < len(src) && (src[k] == '+' || src[k] == '-') {
					k++
				}
				if k < len(src) && src[k] >= '0' && src[k] <= '9' {
					isFloat = true
					for k < len(src) && src[k] >= '0' && src[k] <= '9' {
						k++
					}
					j = k
				}
			}
			lit := strings.ReplaceAll(src[i:j], "_", "")
			t := token{line: line}
			if isFloat {
				var f float64
				if _, err := fmt.Sscan(lit, &f); err != nil {
					return nil, &Error{Line: line, Msg: fmt.Sprintf("bad number %q", src[i:j])}
				}
				t.kind, t.f = tokFloat, f
			} else {
				var n int64
				if _, err := fmt.Sscan(lit, &n); err != nil {
					return nil, &Error{Line: line, Msg: fmt.Sprintf("bad integer %q", src[i:j])}
				}
				t.kind, t.i = tokInt, n
			}
			toks = append(toks, t)
			i = j
		case c == '\'' || c == '"':
			s, n, err := unquote(src[i:])
			if err != nil {
				return nil, &Error{Line: line, Msg: err.Error()}
			}
			toks = append(toks, token{kind: tokString, s: s, line: line})
			line += strings.Count(src[i:i+n], "\n")
			i += n
		default:
			op := ""
			for _, o := range ops3 {
				if strings.HasPrefix(src[i:], o) {
					op = o
				}
			}
			if op == "" {
				for _, o := range ops2 {
					if strings.HasPrefix(src[i:], o) {
						op = o
						break
					}
				}
			}
			if op == "" && strings.ContainsRune("+-*/%~=<>()[]{},.:|!", rune(c)) {
				op = string(c)
			}
			if op == "" || op == "!" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, &Error{Line: line, Msg: fmt.Sprintf("unexpected character %q", r)}
			}
			toks = append(toks, token{kind: tokOp, s: op, line: line})
			i += len(op)
		}
	}
	return append(toks, token{kind: tokEOF, line: line}), nil
}

// unquote decodes a Python string literal at the start of s and returns it
// and the number of source bytes consumed.
func unquote(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); {
		c := s[i]
		switch {
		case c == q:
			return b.String(), i + 1, nil
		case c == '\\' && i+1 < len(s):
			e := s[i+1]
			i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'a':
				b.WriteByte(7)
			case 'b':
				b.WriteByte(8)
			case 'f':
				b.WriteByte(12)
			case 'v':
				b.WriteByte(11)
			case '\\', '\'', '"':
				b.WriteByte(e)
			case '\n':
				// line continuation
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if i+n > len(s) {
					return "", 0, fmt.Errorf("bad \\%c escape in string literal", e)
				}
				var r rune
				for _, h := range s[i : i+n] {
					d := strings.IndexRune("0123456789abcdef", unicode.ToLower(h))
					if d < 0 {
						return "", 0, fmt.Errorf("bad \\%c escape in string literal", e)
					}
					r = r*16 + rune(d)
				}
				b.WriteRune(r)
				i += n
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, fmt.Errorf("unterminated string literal")
}
