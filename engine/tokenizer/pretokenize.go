package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
	"golang.org/x/text/unicode/norm"
)

// gpt2Pattern is the split pattern of the ByteLevel pre-tokenizer with
// use_regex: true.
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// normalizer transforms text before pre-tokenization.
type normalizer func(string) string

func parseNormalizer(raw json.RawMessage) (normalizer, error) {
	if isNull(raw) {
		return nil, nil
	}
	var n struct {
		Type        string            `json:"type"`
		Normalizers []json.RawMessage `json:"normalizers"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, err
	}
	switch n.Type {
	case "NFC":
		return norm.NFC.String, nil
	case "NFD":
		return norm.NFD.String, nil
	case "NFKC":
		return norm.NFKC.String, nil
	case "NFKD":
		return norm.NFKD.String, nil
	case "Lowercase":
		return strings.ToLower, nil
	case "Sequence":
		var seq []normalizer
		for i, sub := range n.Normalizers {
			f, err := parseNormalizer(sub)
			if err != nil {
				return nil, fmt.Errorf("normalizers[%d]: %w", i, err)
			}
			if f != nil {
				seq = append(seq, f)
			}
		}
		switch len(seq) {
		case 0:
			return nil, nil
		case 1:
			return seq[0], nil
		}
		return func(s string) string {
			for _, f := range seq {
				s = f(s)
			}
			return s
		}, nil
	case "":
		return nil, errors.New(`normalizer has no "type"`)
	default:
		return nil, fmt.Errorf("normalizer type %q is not supported (supported: NFC, NFD, NFKC, NFKD, Lowercase, Sequence)", n.Type)
	}
}

type preKind int

const (
	preSplit preKind = iota
	preDigits
	preByteLevel
)

// splitBehavior says what happens to the pieces matched by a splitting
// pattern; the names are those of Hugging Face tokenizers.
type splitBehavior int

const (
	splitRemoved splitBehavior = iota
	splitIsolated
	splitMergedWithPrevious
	splitMergedWithNext
	splitContiguous
)

var behaviors = map[string]splitBehavior{
	"Removed":            splitRemoved,
	"Isolated":           splitIsolated,
	"MergedWithPrevious": splitMergedWithPrevious,
	"MergedWithNext":     splitMergedWithNext,
	"Contiguous":         splitContiguous,
}

// preStep is one pre-tokenization step.
type preStep struct {
	kind     preKind
	re       *regexp2.Regexp             // Split with a Regex pattern; ByteLevel with use_regex
	fast     func(string, []span) []span // hand-written equivalent of re, if any
	literal  string                      // Split with a String pattern
	behavior splitBehavior
	invert   bool

	addPrefixSpace bool // ByteLevel
}

func parsePreTokenizer(raw json.RawMessage) ([]preStep, error) {
	if isNull(raw) {
		return nil, nil
	}
	var p struct {
		Type             string            `json:"type"`
		Pretokenizers    []json.RawMessage `json:"pretokenizers"`
		Pattern          *struct{ String, Regex *string }
		Behavior         string `json:"behavior"`
		Invert           bool   `json:"invert"`
		IndividualDigits bool   `json:"individual_digits"`
		AddPrefixSpace   bool   `json:"add_prefix_space"`
		UseRegex         *bool  `json:"use_regex"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, err
	}
	switch p.Type {
	case "Sequence":
		var steps []preStep
		for i, sub := range p.Pretokenizers {
			s, err := parsePreTokenizer(sub)
			if err != nil {
				return nil, fmt.Errorf("pretokenizers[%d]: %w", i, err)
			}
			steps = append(steps, s...)
		}
		return steps, nil
	case "Split":
		b, ok := behaviors[p.Behavior]
		if !ok {
			return nil, fmt.Errorf("Split: unknown behavior %q", p.Behavior)
		}
		s := preStep{kind: preSplit, behavior: b, invert: p.Invert}
		switch {
		case p.Pattern == nil:
			return nil, errors.New("Split has no pattern")
		case p.Pattern.Regex != nil:
			re, err := compileRegex(*p.Pattern.Regex)
			if err != nil {
				return nil, fmt.Errorf("Split: %w", err)
			}
			s.re = re
			s.fast = fastMatcher(*p.Pattern.Regex)
		case p.Pattern.String != nil:
			s.literal = *p.Pattern.String
		default:
			return nil, errors.New(`Split pattern has neither "String" nor "Regex"`)
		}
		return []preStep{s}, nil
	case "Digits":
		s := preStep{kind: preDigits, behavior: splitContiguous}
		if p.IndividualDigits {
			s.behavior = splitIsolated
		}
		return []preStep{s}, nil
	case "ByteLevel":
		s := preStep{kind: preByteLevel, addPrefixSpace: p.AddPrefixSpace, behavior: splitIsolated}
		if p.UseRegex == nil || *p.UseRegex { // Hugging Face's default is true
			re, err := compileRegex(gpt2Pattern)
			if err != nil {
				return nil, err
			}
			s.re, s.fast = re, gpt2Matches
		}
		return []preStep{s}, nil
	case "":
		return nil, errors.New(`pre-tokenizer has no "type"`)
	default:
		return nil, fmt.Errorf("pre-tokenizer type %q is not supported (supported: Sequence, Split, Digits, ByteLevel)", p.Type)
	}
}

func compileRegex(pattern string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("cannot compile regex %q: %w", truncate(pattern, 200), err)
	}
	return re, nil
}

// span is a half-open byte range.
type span struct{ start, end int }

// matches returns the non-overlapping matches of the step's pattern in s, in
// order, as byte ranges.
func (p *preStep) matches(s string, buf []span) []span {
	buf = buf[:0]
	switch {
	case p.kind == preDigits:
		// Rust's char::is_numeric: general categories Nd, Nl and No.
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r >= '0' && r <= '9' || r >= 0x80 && unicode.IsNumber(r) {
				buf = append(buf, span{i, i + n})
			}
			i += n
		}
	case p.fast != nil:
		buf = p.fast(s, buf)
	case p.re != nil:
		buf = regexMatches(p.re, s, buf)
	case p.literal != "":
		for off := 0; off < len(s); {
			i := strings.Index(s[off:], p.literal)
			if i < 0 {
				break
			}
			buf = append(buf, span{off + i, off + i + len(p.literal)})
			off += i + len(p.literal)
		}
	}
	return buf
}

// regexMatches runs re over s. regexp2 works on runes; byte offsets are
// recovered from a table built while decoding, so that invalid UTF-8 (each bad
// byte becomes one U+FFFD rune) keeps its exact bytes.
func regexMatches(re *regexp2.Regexp, s string, buf []span) []span {
	runes := make([]rune, 0, len(s))
	offs := make([]int, 0, len(s)+1)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		runes = append(runes, r)
		offs = append(offs, i)
		i += n
	}
	offs = append(offs, len(s))
	m, err := re.FindRunesMatch(runes)
	for err == nil && m != nil {
		if m.Length > 0 {
			buf = append(buf, span{offs[m.Index], offs[m.Index+m.Length]})
		}
		m, err = re.FindNextMatch(m)
	}
	// err can only be a timeout, and no timeout is set.
	return buf
}

// split cuts s into pieces according to matches and the step's behaviour and
// appends the non-empty pieces to out.
func (p *preStep) split(s string, ms []span, out []string) []string {
	p.each(s, ms, func(piece string) { out = append(out, piece) })
	return out
}

// each calls emit for every non-empty piece of s, in order, according to
// the matches ms and the step's behaviour (Hugging Face's
// SplitDelimiterBehavior, optionally inverted).
func (p *preStep) each(s string, ms []span, emit func(string)) {
	if p.behavior == splitIsolated {
		// Gaps and matches alike become pieces; invert changes nothing.
		prev := 0
		for _, m := range ms {
			if m.start > prev {
				emit(s[prev:m.start])
			}
			if m.end > m.start {
				emit(s[m.start:m.end])
			}
			prev = m.end
		}
		if prev < len(s) {
			emit(s[prev:])
		}
		return
	}
	// Walk the alternating sequence of gaps and matches.
	type piece struct {
		span
		match bool
	}
	pieces := make([]piece, 0, 2*len(ms)+1)
	prev := 0
	for _, m := range ms {
		if m.start > prev {
			pieces = append(pieces, piece{span{prev, m.start}, false})
		}
		pieces = append(pieces, piece{m, true})
		prev = m.end
	}
	if prev < len(s) {
		pieces = append(pieces, piece{span{prev, len(s)}, false})
	}
	if p.invert {
		for i := range pieces {
			pieces[i].match = !pieces[i].match
		}
	}
	var res []span
	switch p.behavior {
	case splitRemoved:
		for _, pc := range pieces {
			if !pc.match {
				res = append(res, pc.span)
			}
		}
	case splitContiguous:
		prevMatch := false
		for _, pc := range pieces {
			if pc.match && prevMatch {
				res[len(res)-1].end = pc.end
			} else {
				res = append(res, pc.span)
			}
			prevMatch = pc.match
		}
	case splitMergedWithPrevious:
		prevMatch := false
		for _, pc := range pieces {
			if pc.match && !prevMatch && len(res) > 0 {
				res[len(res)-1].end = pc.end
			} else {
				res = append(res, pc.span)
			}
			prevMatch = pc.match
		}
	case splitMergedWithNext:
		prevMatch := false
		var rev []span
		for i := len(pieces) - 1; i >= 0; i-- {
			pc := pieces[i]
			if pc.match && !prevMatch && len(rev) > 0 {
				rev[len(rev)-1].start = pc.start
			} else {
				rev = append(rev, pc.span)
			}
			prevMatch = pc.match
		}
		for i := len(rev) - 1; i >= 0; i-- {
			res = append(res, rev[i])
		}
	}
	for _, r := range res {
		if r.end > r.start {
			emit(s[r.start:r.end])
		}
	}
}

// preTokenizer runs the pre-tokenizer steps depth first, so that no list of
// all pre-tokens of a long text is ever built; bufs holds one match buffer
// per step.
type preTokenizer struct {
	t    *Tokenizer
	bufs [][]span
	out  []int
}

func (pt *preTokenizer) run(s string, level int) {
	if level == len(pt.t.pre) {
		pt.out = pt.t.bpe(s, pt.out)
		return
	}
	p := &pt.t.pre[level]
	if p.kind == preByteLevel {
		if p.addPrefixSpace && !strings.HasPrefix(s, " ") {
			s = " " + s
		}
		if p.re == nil {
			pt.run(s, level+1)
			return
		}
	}
	pt.bufs[level] = p.matches(s, pt.bufs[level][:0])
	ms := pt.bufs[level]
	if len(ms) == 0 && !p.invert && p.behavior != splitRemoved {
		pt.run(s, level+1)
		return
	}
	p.each(s, ms, func(piece string) { pt.run(piece, level+1) })
}

// preTokenize returns the pre-tokens of one segment of normalized text as
// raw byte strings (used by tests; encoding uses preTokenizer directly).
func (t *Tokenizer) preTokenize(s string) []string {
	pieces := []string{s}
	var next []string
	for i := range t.pre {
		p := &t.pre[i]
		next = next[:0]
		for _, pc := range pieces {
			if p.kind == preByteLevel {
				if p.addPrefixSpace && !strings.HasPrefix(pc, " ") {
					pc = " " + pc
				}
				if p.re == nil {
					next = append(next, pc)
					continue
				}
			}
			ms := p.matches(pc, nil)
			if len(ms) == 0 && !p.invert && p.behavior != splitRemoved {
				next = append(next, pc)
				continue
			}
			next = p.split(pc, ms, next)
		}
		pieces, next = next, pieces
	}
	return pieces
}
