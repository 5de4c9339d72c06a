package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parsePyLiteral parses the subset of Python literals that lm-eval feeds to
// ast.literal_eval after rendering doc_to_choice / doc_to_target: lists,
// tuples and dicts of strings, integers, floats, True, False and None.
func parsePyLiteral(s string) (any, error) {
	p := &pyParser{s: s}
	p.space()
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

const maxLiteralDepth = 64

func (p *pyParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 12 {
		r = r[:12] + "..."
	}
	return r
}

func (p *pyParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) value(depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, fmt.Errorf("literal nested too deeply")
	}
	if p.i >= len(p.s) {
		return nil, fmt.Errorf("unexpected end of literal")
	}
	switch c := p.s[p.i]; {
	case c == '[':
		return p.seq(']', depth)
	case c == '(':
		return p.seq(')', depth)
	case c == '{':
		return p.dict(depth)
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.num()
	}
	for _, kw := range []struct {
		w string
		v any
	}{{"True", true}, {"False", false}, {"None", nil}} {
		if strings.HasPrefix(p.s[p.i:], kw.w) {
			p.i += len(kw.w)
			return kw.v, nil
		}
	}
	return nil, fmt.Errorf("unexpected %q at offset %d", p.rest(), p.i)
}

func (p *pyParser) seq(end byte, depth int) (any, error) {
	p.i++ // opening bracket
	out := []any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == end {
			p.i++
			return out, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("unterminated list")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case end:
			p.i++
			return out, nil
		default:
			return nil, fmt.Errorf("expected ',' or %q at offset %d, got %q", end, p.i, p.rest())
		}
	}
}

func (p *pyParser) dict(depth int) (any, error) {
	p.i++
	out := map[string]any{}
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return out, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return nil, fmt.Errorf("expected ':' in dict at offset %d", p.i)
		}
		p.i++
		p.space()
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[pyStr(k)] = v
		p.space()
		if p.i >= len(p.s) {
			return nil, fmt.Errorf("unterminated dict")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return out, nil
		default:
			return nil, fmt.Errorf("expected ',' or '}' at offset %d", p.i)
		}
	}
}

func (p *pyParser) str() (any, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\n':
			return nil, fmt.Errorf("newline in string literal")
		case c == '\\':
			if p.i+1 >= len(p.s) {
				return nil, fmt.Errorf("unterminated escape")
			}
			e := p.s[p.i+1]
			p.i += 2
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			case '\n':
			case 'x', 'u', 'U':
				n := map[byte]int{'x': 2, 'u': 4, 'U': 8}[e]
				if p.i+n > len(p.s) {
					return nil, fmt.Errorf("truncated \\%c escape", e)
				}
				r, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
				if err != nil || !utf8.ValidRune(rune(r)) {
					return nil, fmt.Errorf("bad \\%c escape", e)
				}
				b.WriteRune(rune(r))
				p.i += n
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return nil, fmt.Errorf("unterminated string literal")
}

func (p *pyParser) num() (any, error) {
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-0123456789.eE_", p.s[p.i]) >= 0 {
		p.i++
	}
	t := strings.ReplaceAll(p.s[start:p.i], "_", "")
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return nil, fmt.Errorf("bad number %q", t)
	}
	return f, nil
}
