// Package pyre runs Python `re` patterns in Go with the semantics of
// Python's re.findall, re.search and re.sub (replacement by the empty
// string), which is what lm-evaluation-harness task files assume.
//
// A pattern is first translated from Python syntax: (?P<name>…) groups become
// plain numbered groups (Python numbers every group left to right), (?P=name)
// becomes a numbered back-reference, {,n} becomes {0,n}, \Z becomes \z,
// verbose-mode whitespace and comments are removed, and the Unicode-aware
// Python classes \d \w \s (and their negations) are spelled out explicitly
// (\d = \p{Nd}, \w = [\p{L}\p{N}_], \s = the exact set of characters for which
// Python's str.isspace() is true), or as ASCII classes under (?a).
//
// The translated pattern runs on Go's linear-time regexp engine (RE2) when
// that engine gives the same answers as Python: the pattern has no
// look-around, back-reference, atomic group, conditional, \b or \B, and
// cannot match the empty string (Python and Go disagree on where the next
// search starts after an empty match). Python's `$` (outside multi-line
// mode) also matches just before a final newline; a pattern whose only
// obstacle is `$` runs on RE2 with `$` read as \z whenever the input does not
// end in a newline (then the two are the same). Every other case runs on
// github.com/dlclark/regexp2, a backtracking engine with .NET semantics
// whose `$`, look-around and leftmost-first alternation agree with Python's,
// under a match timeout so that an adversarial input cannot backtrack
// without bound.
//
// CPython's iteration rule is kept: after an empty match at p the next
// match may be a non-empty one starting at p. Known, documented differences
// from CPython: inside a character class \S and \W use the engine's own definition
// (ASCII for RE2, .NET Unicode for regexp2);
// possessive quantifiers and the (?L) flag are rejected; invalid UTF-8 in the
// input is read as U+FFFD by the backtracking engine.
package pyre

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// DefaultTimeout bounds one match attempt of a pattern that needs the
// backtracking engine.
const DefaultTimeout = 250 * time.Millisecond

// ErrTimeout reports that a backtracking match exceeded its time bound.
var ErrTimeout = errors.New("pyre: match timed out (catastrophic backtracking?)")

// Regexp is a compiled Python regular expression. It is safe for concurrent
// use.
type Regexp struct {
	src     string
	ngroups int
	// lin runs every input when set; linNoNL runs inputs that do not end in
	// "\n" (the pattern's `$` read as \z); bt runs the rest.
	lin     *linear
	linNoNL *linear
	bt      *regexp2.Regexp
	// btNonEmpty is \G(?:pattern)(?<!\G): a non-empty match starting
	// exactly at the search position, used for CPython's rule that after
	// an empty match at p the next search may still find a non-empty
	// match at p.
	btNonEmpty *regexp2.Regexp
	// behind and btAt serve patterns that start with a look-behind on a
	// literal, (?<=behind)…: every match starts right after an occurrence of
	// behind, so only those positions are tried, with btAt = \G(?:pattern).
	behind []rune
	btAt   *regexp2.Regexp
}

// leadingLookbehind matches a pattern that starts with a look-behind whose
// body is a plain literal (escaped punctuation allowed).
var leadingLookbehind = regexp.MustCompile(`^\(\?<=((?:[^\\()\[\]{}.*+?|^$]|\\[^A-Za-z0-9])+)\)`)

// linear is an RE2 program with fast paths. literal is set when the
// pattern is a plain case-sensitive string without groups. anchored (the
// pattern prefixed with \A) and first (the bytes that can start a match)
// are set when the pattern has no start anchor, so a match can be tried at
// any candidate position of a suffix without changing its meaning.
type linear struct {
	re        *regexp.Regexp
	literal   string
	isLiteral bool
	// dotStarLiteral: the pattern is (?s).*LITERAL (lm-eval's GSM8K
	// ignore-regex); its only match runs from 0 through the last LITERAL.
	dotStarLiteral bool
	anchored       *regexp.Regexp
	first          [256]bool
}

// Compile compiles a Python regular expression with DefaultTimeout.
func Compile(pattern string) (*Regexp, error) {
	return CompileTimeout(pattern, DefaultTimeout)
}

// MustCompile is Compile that panics on error; for package-level patterns
// that are constants of the program.
func MustCompile(pattern string) *Regexp {
	r, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return r
}

// CompileTimeout compiles a Python regular expression; timeout bounds each
// match attempt when the backtracking engine is needed.
func CompileTimeout(pattern string, timeout time.Duration) (*Regexp, error) {
	tr := translator{p: []rune(pattern), names: map[string]int{}}
	if err := tr.run(); err != nil {
		return nil, fmt.Errorf("python regex %q: %w", pattern, err)
	}
	out, outZ := tr.out.a.String(), tr.out.z.String()
	r := &Regexp{src: pattern, ngroups: tr.groups}
	if !tr.needBT {
		if l := newLinear(outZ, r.ngroups); l != nil {
			if !tr.dollar {
				r.lin = l
				return r, nil
			}
			r.linNoNL = l
		}
	}
	bt, err := regexp2.Compile(out, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("python regex %q: %v", pattern, err)
	}
	bt.MatchTimeout = timeout
	r.bt = bt
	if ne, err := regexp2.Compile(`\G(?:`+out+`)(?<!\G)`, regexp2.None); err == nil {
		ne.MatchTimeout = timeout
		r.btNonEmpty = ne
	}
	if m := leadingLookbehind.FindStringSubmatch(pattern); m != nil && !topLevelBar(pattern) && !strings.Contains(pattern, "(?x") {
		if at, err := regexp2.Compile(`\G(?:`+out+`)`, regexp2.None); err == nil {
			at.MatchTimeout = timeout
			var lit []rune
			esc := false
			for _, c := range m[1] {
				if c == '\\' && !esc {
					esc = true
					continue
				}
				esc = false
				lit = append(lit, c)
			}
			r.behind, r.btAt = lit, at
		}
	}
	return r, nil
}

// topLevelBar reports whether a Python pattern has an alternation at the
// top level (outside groups and classes), where a leading look-behind
// would bind only the first alternative.
func topLevelBar(p string) bool {
	depth, inClass := 0, false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\':
			i++
		case inClass:
			if c == ']' {
				inClass = false
			}
		case c == '[':
			inClass = true
			if i+1 < len(p) && p[i+1] == '^' {
				i++
			}
			if i+1 < len(p) && p[i+1] == ']' {
				i++
			}
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == '|' && depth == 0:
			return true
		}
	}
	return false
}

// indexRunes returns the first index >= from where sub occurs in rs, or -1.
func indexRunes(rs []rune, sub []rune, from int) int {
outer:
	for i := from; i+len(sub) <= len(rs); i++ {
		for j, c := range sub {
			if rs[i+j] != c {
				continue outer
			}
		}
		return i
	}
	return -1
}

// btEach calls fn on every match of the backtracking engine, in CPython's
// order: after an empty match at p it first looks for a non-empty match
// starting at p, then resumes at p+1.
func (r *Regexp) btEach(s string, fn func(m *regexp2.Match)) error {
	runes := []rune(s)
	if r.btAt != nil {
		return r.btEachBehind(runes, fn)
	}
	m, err := r.bt.FindRunesMatch(runes)
	for m != nil && err == nil {
		fn(m)
		if m.Length == 0 && r.btNonEmpty != nil && m.Index < len(runes) {
			m2, err2 := r.btNonEmpty.FindRunesMatchStartingAt(runes, m.Index)
			if err2 != nil {
				return wrapErr(err2)
			}
			if m2 != nil {
				m = m2
				fn(m)
			}
		}
		m, err = r.bt.FindNextMatch(m)
	}
	if err != nil {
		return wrapErr(err)
	}
	return nil
}

// newLinear compiles an RE2 pattern, or returns nil when RE2 rejects it or
// it can match the empty string.
func newLinear(pattern string, ngroups int) *linear {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil
	}
	tree, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || canBeEmpty(tree) {
		return nil
	}
	l := &linear{re: re}
	// U+FFFD in a pattern also matches invalid UTF-8 in the input, which
	// a byte search would miss.
	if tree.Op == syntax.OpLiteral && tree.Flags&syntax.FoldCase == 0 && ngroups == 0 && !slices.Contains(tree.Rune, utf8.RuneError) {
		l.literal, l.isLiteral = string(tree.Rune), true
		return l
	}
	if tree.Op == syntax.OpConcat && len(tree.Sub) == 2 && ngroups == 0 &&
		tree.Sub[0].Op == syntax.OpStar && tree.Sub[0].Flags&syntax.NonGreedy == 0 &&
		tree.Sub[0].Sub[0].Op == syntax.OpAnyChar &&
		tree.Sub[1].Op == syntax.OpLiteral && tree.Sub[1].Flags&syntax.FoldCase == 0 &&
		!slices.Contains(tree.Sub[1].Rune, utf8.RuneError) {
		l.literal, l.dotStarLiteral = string(tree.Sub[1].Rune), true
		return l
	}
	if hasStartAnchor(tree) {
		return l
	}
	if firstBytes(tree, &l.first) {
		return l
	}
	n := 0
	for _, b := range l.first {
		if b {
			n++
		}
	}
	if n >= 128 {
		return l // most bytes can start a match: skipping gains nothing
	}
	anchored, err := regexp.Compile(`\A(?:` + pattern + `)`)
	if err != nil {
		return l
	}
	l.anchored = anchored
	return l
}

// linearFor returns the linear program valid for s, or nil.
func (r *Regexp) linearFor(s string) *linear {
	if r.lin != nil {
		return r.lin
	}
	if r.linNoNL != nil && !strings.HasSuffix(s, "\n") {
		return r.linNoNL
	}
	return nil
}

// String returns the Python source pattern.
func (r *Regexp) String() string { return r.src }

// NumGroups returns the number of capturing groups, like Python's
// Pattern.groups.
func (r *Regexp) NumGroups() int { return r.ngroups }

// Linear reports whether the pattern always runs on the linear-time engine.
func (r *Regexp) Linear() bool { return r.lin != nil }

// LinearUnlessTrailingNewline reports whether the pattern runs on the
// linear-time engine for every input that does not end in a newline.
func (r *Regexp) LinearUnlessTrailingNewline() bool { return r.lin != nil || r.linNoNL != nil }

// FindAll returns every non-overlapping match, left to right, like Python's
// re.finditer: element [0] of each match is the whole match and [i] is group
// i ("" when the group did not take part in the match).
func (r *Regexp) FindAll(s string) ([][]string, error) {
	if l := r.linearFor(s); l != nil {
		idx := l.findAll(s)
		if len(idx) == 0 {
			return nil, nil
		}
		out := make([][]string, len(idx))
		for i, m := range idx {
			out[i] = groupStrings(s, m)
		}
		return out, nil
	}
	var out [][]string
	if err := r.btEach(s, func(m *regexp2.Match) { out = append(out, groupsOf(m, r.ngroups)) }); err != nil {
		return nil, err
	}
	return out, nil
}

func groupStrings(s string, m []int) []string {
	g := make([]string, len(m)/2)
	for j := range g {
		if m[2*j] >= 0 {
			g[j] = s[m[2*j]:m[2*j+1]]
		}
	}
	return g
}

// pythonItem converts a match (whole match then groups) into the item
// Python's findall returns for it.
func (r *Regexp) pythonItem(m []string) []string {
	if r.ngroups == 0 {
		return m[:1]
	}
	return m[1:]
}

// FindAllPython returns the items of Python's re.findall: the whole match
// when the pattern has no group, group 1 when it has exactly one, and all the
// groups otherwise.
func (r *Regexp) FindAllPython(s string) ([][]string, error) {
	ms, err := r.FindAll(s)
	if err != nil {
		return nil, err
	}
	for i, m := range ms {
		ms[i] = r.pythonItem(m)
	}
	return ms, nil
}

// FindPython returns item i of Python's re.findall(pattern, s) (negative i
// counts from the end) and the number of items; item is nil when i is out
// of range. It avoids building the items that are not selected.
func (r *Regexp) FindPython(s string, i int) (item []string, n int, err error) {
	if l := r.linearFor(s); l != nil {
		idx := l.findAll(s)
		n = len(idx)
		if i < 0 {
			i += n
		}
		if i < 0 || i >= n {
			return nil, n, nil
		}
		return r.pythonItem(groupStrings(s, idx[i])), n, nil
	}
	ms, err := r.FindAll(s)
	if err != nil {
		return nil, 0, err
	}
	n = len(ms)
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return nil, n, nil
	}
	return r.pythonItem(ms[i]), n, nil
}

// btEachBehind is btEach for a pattern with a leading literal
// look-behind: candidate start positions are the ends of the literal's
// occurrences, each tried with the \G-anchored program.
func (r *Regexp) btEachBehind(runes []rune, fn func(m *regexp2.Match)) error {
	pos := 0 // the next match may start at pos or later
	for pos <= len(runes) {
		// The earliest candidate start >= pos is the end of an occurrence
		// of behind that begins at pos-len(behind) or later.
		i := indexRunes(runes, r.behind, max(0, pos-len(r.behind)))
		for i >= 0 && i+len(r.behind) < pos {
			i = indexRunes(runes, r.behind, i+1)
		}
		if i < 0 {
			return nil
		}
		start := i + len(r.behind)
		m, err := r.btAt.FindRunesMatchStartingAt(runes, start)
		if err != nil {
			return wrapErr(err)
		}
		if m == nil {
			pos = start + 1
			continue
		}
		fn(m)
		if m.Length > 0 {
			pos = m.Index + m.Length
			continue
		}
		if r.btNonEmpty != nil && start < len(runes) {
			m2, err := r.btNonEmpty.FindRunesMatchStartingAt(runes, start)
			if err != nil {
				return wrapErr(err)
			}
			if m2 != nil {
				fn(m2)
				pos = m2.Index + m2.Length
				continue
			}
		}
		pos = start + 1
	}
	return nil
}

// findAll is FindAllStringSubmatchIndex with the literal and first-byte
// fast paths.
func (l *linear) findAll(s string) [][]int {
	switch {
	case l.dotStarLiteral:
		if i := strings.LastIndex(s, l.literal); i >= 0 {
			return [][]int{{0, i + len(l.literal)}}
		}
		return nil
	case l.isLiteral:
		var out [][]int
		for pos := 0; ; {
			i := strings.Index(s[pos:], l.literal)
			if i < 0 {
				return out
			}
			out = append(out, []int{pos + i, pos + i + len(l.literal)})
			pos += i + len(l.literal)
		}
	case l.anchored != nil:
		var out [][]int
		for pos := 0; pos < len(s); {
			c := s[pos]
			if !l.first[c] {
				if c < utf8.RuneSelf {
					pos++
				} else {
					_, w := utf8.DecodeRuneInString(s[pos:])
					pos += w
				}
				continue
			}
			m := l.anchored.FindStringSubmatchIndex(s[pos:])
			if m == nil {
				_, w := utf8.DecodeRuneInString(s[pos:])
				pos += w
				continue
			}
			for j := range m {
				if m[j] >= 0 {
					m[j] += pos
				}
			}
			out = append(out, m)
			pos = m[1]
		}
		return out
	}
	return l.re.FindAllStringSubmatchIndex(s, -1)
}

// Search returns the first match like Python's re.search (whole match first,
// then the groups), or nil when there is none.
func (r *Regexp) Search(s string) ([]string, error) {
	if l := r.linearFor(s); l != nil {
		var m []int
		if l.isLiteral || l.dotStarLiteral || l.anchored != nil {
			if all := l.findAll(s); len(all) > 0 {
				m = all[0]
			}
		} else {
			m = l.re.FindStringSubmatchIndex(s)
		}
		if m == nil {
			return nil, nil
		}
		return groupStrings(s, m), nil
	}
	m, err := r.bt.FindStringMatch(s)
	if err != nil {
		return nil, wrapErr(err)
	}
	if m == nil {
		return nil, nil
	}
	return groupsOf(m, r.ngroups), nil
}

// RemoveAll returns s with every match removed, like Python's
// re.sub(pattern, "", s).
func (r *Regexp) RemoveAll(s string) (string, error) {
	if l := r.linearFor(s); l != nil {
		if l.isLiteral {
			return strings.ReplaceAll(s, l.literal, ""), nil
		}
		if l.dotStarLiteral {
			if i := strings.LastIndex(s, l.literal); i >= 0 {
				return s[i+len(l.literal):], nil
			}
			return s, nil
		}
		if l.anchored == nil {
			return l.re.ReplaceAllLiteralString(s, ""), nil
		}
		idx := l.findAll(s)
		if len(idx) == 0 {
			return s, nil
		}
		var b strings.Builder
		last := 0
		for _, m := range idx {
			b.WriteString(s[last:m[0]])
			last = m[1]
		}
		b.WriteString(s[last:])
		return b.String(), nil
	}
	runes := []rune(s)
	var b strings.Builder
	last, any := 0, false
	err := r.btEach(s, func(m *regexp2.Match) {
		any = true
		if m.Index > last {
			b.WriteString(string(runes[last:m.Index]))
		}
		if end := m.Index + m.Length; end > last {
			last = end
		}
	})
	if err != nil {
		return "", err
	}
	if !any {
		return s, nil
	}
	b.WriteString(string(runes[last:]))
	return b.String(), nil
}

func hasStartAnchor(re *syntax.Regexp) bool {
	if re.Op == syntax.OpBeginLine || re.Op == syntax.OpBeginText {
		return true
	}
	for _, s := range re.Sub {
		if hasStartAnchor(s) {
			return true
		}
	}
	return false
}

// addRune marks the first byte of r's UTF-8 encoding (and, under case
// folding, of every rune in its fold orbit).
func addRune(set *[256]bool, r rune, fold bool) {
	if r == utf8.RuneError {
		// Invalid UTF-8 bytes decode as U+FFFD.
		for b := 0x80; b < 0x100; b++ {
			set[b] = true
		}
	}
	var buf [utf8.UTFMax]byte
	utf8.EncodeRune(buf[:], r)
	set[buf[0]] = true
	if fold {
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			utf8.EncodeRune(buf[:], f)
			set[buf[0]] = true
		}
	}
}

func addAll(set *[256]bool, except int) {
	for i := range set {
		if i != except {
			set[i] = true
		}
	}
}

// firstBytes adds to set every byte that can begin a match of re and
// reports whether re can match the empty string.
func firstBytes(re *syntax.Regexp, set *[256]bool) bool {
	switch re.Op {
	case syntax.OpNoMatch:
		return false
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		if len(re.Rune) == 0 {
			return true
		}
		addRune(set, re.Rune[0], re.Flags&syntax.FoldCase != 0)
		return false
	case syntax.OpCharClass:
		for i := 0; i+1 < len(re.Rune); i += 2 {
			lo, hi := re.Rune[i], re.Rune[i+1]
			if hi >= utf8.RuneSelf {
				for b := 0x80; b < 0x100; b++ {
					set[b] = true
				}
				hi = utf8.RuneSelf - 1
			}
			for c := lo; c <= hi; c++ {
				addRune(set, c, re.Flags&syntax.FoldCase != 0)
			}
		}
		return false
	case syntax.OpAnyCharNotNL:
		addAll(set, '\n')
		return false
	case syntax.OpAnyChar:
		addAll(set, -1)
		return false
	case syntax.OpCapture, syntax.OpPlus:
		return firstBytes(re.Sub[0], set)
	case syntax.OpStar, syntax.OpQuest:
		firstBytes(re.Sub[0], set)
		return true
	case syntax.OpRepeat:
		n := firstBytes(re.Sub[0], set)
		return n || re.Min == 0
	case syntax.OpConcat:
		for _, sub := range re.Sub {
			if !firstBytes(sub, set) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		null := false
		for _, sub := range re.Sub {
			if firstBytes(sub, set) {
				null = true
			}
		}
		return null
	}
	addAll(set, -1)
	return true
}

// Search returns the first match like Python's re.search (whole match first,
// then the groups), or nil when there is none.

func groupsOf(m *regexp2.Match, ngroups int) []string {
	g := make([]string, ngroups+1)
	g[0] = m.String()
	for i := 1; i <= ngroups; i++ {
		if grp := m.GroupByNumber(i); grp != nil && len(grp.Captures) > 0 {
			g[i] = grp.String()
		}
	}
	return g
}

func wrapErr(err error) error {
	if strings.Contains(err.Error(), "timeout") {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

func canBeEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpNoMatch, syntax.OpLiteral, syntax.OpCharClass, syntax.OpAnyCharNotNL, syntax.OpAnyChar:
		return re.Op == syntax.OpLiteral && len(re.Rune) == 0
	case syntax.OpCapture:
		return canBeEmpty(re.Sub[0])
	case syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpPlus:
		return canBeEmpty(re.Sub[0])
	case syntax.OpRepeat:
		return re.Min == 0 || canBeEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !canBeEmpty(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if canBeEmpty(s) {
				return true
			}
		}
		return false
	default: // empty match, anchors, word boundaries
		return true
	}
}

// pyWhitespace lists, as class items, exactly the characters for which
// Python's str.isspace() is true (and which Python's \s matches).
const pyWhitespace = "\t-\r\x1c- \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"

type flagSet struct{ ascii, verbose, multiline bool }

// dualBuilder writes the translation twice: a keeps Python's `$`, z reads
// it as \z (see Regexp.linNoNL).
type dualBuilder struct{ a, z strings.Builder }

func (d *dualBuilder) WriteString(s string) { d.a.WriteString(s); d.z.WriteString(s) }
func (d *dualBuilder) writeByte(c byte)     { d.a.WriteByte(c); d.z.WriteByte(c) }
func (d *dualBuilder) WriteRune(r rune)     { d.a.WriteRune(r); d.z.WriteRune(r) }
func (d *dualBuilder) Write(p []byte) (int, error) {
	d.a.Write(p)
	return d.z.Write(p)
}

type translator struct {
	p      []rune
	pos    int
	out    dualBuilder
	needBT bool // only the backtracking engine can run the pattern
	dollar bool // the pattern has a non-multi-line `$`
	groups int
	names  map[string]int
	fl     flagSet
	stack  []flagSet
}

func (t *translator) peek(off int) rune {
	if t.pos+off < len(t.p) {
		return t.p[t.pos+off]
	}
	return -1
}

func (t *translator) hasPrefix(s string) bool {
	rs := []rune(s)
	if t.pos+len(rs) > len(t.p) {
		return false
	}
	for i, r := range rs {
		if t.p[t.pos+i] != r {
			return false
		}
	}
	return true
}

func (t *translator) run() error {
	for t.pos < len(t.p) {
		c := t.p[t.pos]
		switch {
		case t.fl.verbose && isPyVerboseSpace(c):
			t.pos++
		case t.fl.verbose && c == '#':
			for t.pos < len(t.p) && t.p[t.pos] != '\n' {
				t.pos++
			}
		case c == '\\':
			if err := t.escape(); err != nil {
				return err
			}
		case c == '[':
			if err := t.class(); err != nil {
				return err
			}
		case c == '(':
			if err := t.group(); err != nil {
				return err
			}
		case c == ')':
			if len(t.stack) == 0 {
				return fmt.Errorf("unbalanced parenthesis at position %d", t.pos)
			}
			t.fl = t.stack[len(t.stack)-1]
			t.stack = t.stack[:len(t.stack)-1]
			t.out.writeByte(')')
			t.pos++
		case c == '{':
			t.brace()
		case c == '$':
			if t.fl.multiline {
				t.needBT = true
				t.out.writeByte('$')
			} else {
				t.dollar = true
				t.out.a.WriteByte('$')
				t.out.z.WriteString(`\z`)
			}
			t.pos++
		case c == '}' || c == ']' || c == '#':
			t.out.WriteString(literal(c))
			t.pos++
		case c == '*' || c == '+' || c == '?':
			t.out.WriteRune(c)
			t.pos++
			if t.peek(0) == '+' {
				return fmt.Errorf("possessive quantifier at position %d is not supported", t.pos)
			}
		default:
			t.out.WriteRune(c)
			t.pos++
		}
	}
	if len(t.stack) != 0 {
		return errors.New("missing ), unterminated subpattern")
	}
	return nil
}

func isPyVerboseSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// literal renders one character so that both engines read it literally.
func literal(r rune) string {
	if strings.ContainsRune(`\.+*?()|[]{}^$#`, r) {
		return `\` + string(r)
	}
	return string(r)
}

func classLiteral(r rune) string {
	if strings.ContainsRune(`\]-[^`, r) {
		return `\` + string(r)
	}
	return string(r)
}

// brace handles '{' outside a class: a quantifier in Python's syntax or a
// literal brace.
func (t *translator) brace() {
	i := t.pos + 1
	lo, hi := "", ""
	for i < len(t.p) && t.p[i] >= '0' && t.p[i] <= '9' {
		lo += string(t.p[i])
		i++
	}
	comma := false
	if i < len(t.p) && t.p[i] == ',' {
		comma = true
		i++
		for i < len(t.p) && t.p[i] >= '0' && t.p[i] <= '9' {
			hi += string(t.p[i])
			i++
		}
	} else {
		hi = lo
	}
	if t.pos+1 < len(t.p) && t.p[t.pos+1] == '}' || i >= len(t.p) || t.p[i] != '}' || (!comma && lo == "") {
		t.out.WriteString(`\{`)
		t.pos++
		return
	}
	if lo == "" {
		lo = "0"
	}
	t.out.WriteString("{" + lo + ",")
	if comma {
		t.out.WriteString(hi)
	} else {
		t.out.WriteString(lo)
	}
	t.out.WriteString("}")
	t.pos = i + 1
	if t.peek(0) == '+' {
		t.needBT = true // possessive: rejected by both engines, reported at compile
	}
}

func (t *translator) group() error {
	t.pos++ // '('
	t.stack = append(t.stack, t.fl)
	if t.peek(0) != '?' {
		t.groups++
		t.out.writeByte('(')
		return nil
	}
	switch {
	case t.hasPrefix("?P<") || (t.hasPrefix("?<") && t.peek(2) != '=' && t.peek(2) != '!'):
		if t.peek(1) == 'P' {
			t.pos += 3
		} else {
			t.pos += 2
		}
		name := t.readUntil('>')
		if name == "" || !isIdent(name) {
			return fmt.Errorf("bad character in group name %q", name)
		}
		if _, dup := t.names[name]; dup {
			return fmt.Errorf("redefinition of group name %q", name)
		}
		t.groups++
		t.names[name] = t.groups
		t.out.writeByte('(')
	case t.hasPrefix("?P="):
		t.pos += 3
		t.stack = t.stack[:len(t.stack)-1]
		name := t.readUntil(')')
		n, ok := t.names[name]
		if !ok {
			return fmt.Errorf("unknown group name %q", name)
		}
		t.needBT = true
		fmt.Fprintf(&t.out, `(?:\%d)`, n)
	case t.hasPrefix("?#"):
		t.stack = t.stack[:len(t.stack)-1]
		t.readUntil(')')
	case t.hasPrefix("?:"):
		t.pos += 2
		t.out.WriteString("(?:")
	case t.hasPrefix("?="), t.hasPrefix("?!"), t.hasPrefix("?>"):
		t.needBT = true
		t.out.WriteString("(" + string(t.p[t.pos:t.pos+2]))
		t.pos += 2
	case t.hasPrefix("?<="), t.hasPrefix("?<!"):
		t.needBT = true
		t.out.WriteString("(" + string(t.p[t.pos:t.pos+3]))
		t.pos += 3
	case t.hasPrefix("?("):
		t.pos += 2
		ref := t.readUntil(')')
		if n, ok := t.names[ref]; ok {
			ref = fmt.Sprint(n)
		}
		t.needBT = true
		t.out.WriteString("(?(" + ref + ")")
	default:
		return t.flags()
	}
	return nil
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') || r > 127) {
			return false
		}
	}
	return true
}

// readUntil consumes up to and including the terminator and returns what
// precedes it.
func (t *translator) readUntil(term rune) string {
	start := t.pos
	for t.pos < len(t.p) && t.p[t.pos] != term {
		t.pos++
	}
	s := string(t.p[start:t.pos])
	if t.pos < len(t.p) {
		t.pos++
	}
	return s
}

// flags handles (?aiLmsux) and (?aiLmsux-imsx:...).
func (t *translator) flags() error {
	t.pos++ // '?'
	var on, off strings.Builder
	cur := &on
	for t.pos < len(t.p) {
		c := t.p[t.pos]
		t.pos++
		switch c {
		case 'i', 's':
			cur.WriteRune(c)
		case 'm':
			cur.WriteRune(c)
			t.fl.multiline = cur == &on
		case 'x':
			if cur == &on {
				t.fl.verbose = true
			} else {
				t.fl.verbose = false
			}
		case 'a':
			t.fl.ascii = cur == &on
		case 'u':
		case 'L':
			return errors.New("the (?L) locale flag is not supported")
		case '-':
			cur = &off
		case ')', ':':
			spec := on.String()
			if off.Len() > 0 {
				spec += "-" + off.String()
			}
			if c == ')' {
				// Global flags: they apply to the whole pattern in Python
				// (which requires them at the start).
				t.stack = t.stack[:len(t.stack)-1]
				if spec != "" {
					t.out.WriteString("(?" + spec + ")")
				}
				return nil
			}
			t.out.WriteString("(?" + spec + ":")
			return nil
		default:
			return fmt.Errorf("unknown extension ?%c", c)
		}
	}
	return errors.New("missing ), unterminated subpattern")
}

func hexVal(rs []rune) (rune, bool) {
	var v rune
	for _, r := range rs {
		switch {
		case r >= '0' && r <= '9':
			v = v*16 + r - '0'
		case r >= 'a' && r <= 'f':
			v = v*16 + r - 'a' + 10
		case r >= 'A' && r <= 'F':
			v = v*16 + r - 'A' + 10
		default:
			return 0, false
		}
	}
	return v, true
}

// escapeChar decodes the escapes that denote a single character; ok is false
// for class escapes, anchors and back-references.
func (t *translator) escapeChar(inClass bool) (r rune, ok bool, err error) {
	c := t.peek(1)
	simple := map[rune]rune{'a': 7, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11}
	if v, found := simple[c]; found {
		t.pos += 2
		return v, true, nil
	}
	if inClass && c == 'b' {
		t.pos += 2
		return 8, true, nil
	}
	var width int
	switch c {
	case 'x':
		width = 2
	case 'u':
		width = 4
	case 'U':
		width = 8
	}
	if width > 0 {
		if t.pos+2+width > len(t.p) {
			return 0, false, fmt.Errorf("incomplete escape \\%c at position %d", c, t.pos)
		}
		v, good := hexVal(t.p[t.pos+2 : t.pos+2+width])
		if !good || v > utf8.MaxRune {
			return 0, false, fmt.Errorf("bad escape \\%c at position %d", c, t.pos)
		}
		t.pos += 2 + width
		return v, true, nil
	}
	if c >= '0' && c <= '7' {
		// Octal: \0, \0NN, or three octal digits (otherwise a back-reference).
		n := 0
		for n < 3 && t.peek(1+n) >= '0' && t.peek(1+n) <= '7' {
			n++
		}
		if c == '0' || n == 3 || inClass {
			var v rune
			for _, d := range t.p[t.pos+1 : t.pos+1+n] {
				v = v*8 + d - '0'
			}
			t.pos += 1 + n
			return v, true, nil
		}
	}
	if c == -1 {
		return 0, false, errors.New("bad escape (end of pattern)")
	}
	if (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
		return 0, false, nil
	}
	t.pos += 2
	return c, true, nil
}

func (t *translator) escape() error {
	r, ok, err := t.escapeChar(false)
	if err != nil {
		return err
	}
	if ok {
		t.out.WriteString(literal(r))
		return nil
	}
	c := t.peek(1)
	switch c {
	case 'd', 'D', 's', 'S', 'w', 'W':
		t.out.WriteString(t.classEscape(c, false))
		t.pos += 2
	case 'b', 'B':
		// Python's word boundary uses Python's \w; spell it out with
		// look-around so the backtracking engine's own \w does not leak in.
		t.needBT = true
		w := `[\p{L}\p{N}_]`
		if t.fl.ascii {
			w = `[0-9A-Za-z_]`
		}
		if c == 'b' {
			t.out.WriteString(`(?:(?<=` + w + `)(?!` + w + `)|(?<!` + w + `)(?=` + w + `))`)
		} else {
			t.out.WriteString(`(?:(?<=` + w + `)(?=` + w + `)|(?<!` + w + `)(?!` + w + `))`)
		}
		t.pos += 2
	case 'A':
		t.out.WriteString(`\A`)
		t.pos += 2
	case 'Z', 'z':
		t.out.WriteString(`\z`)
		t.pos += 2
	default:
		if c >= '1' && c <= '9' {
			n := int(c - '0')
			t.pos += 2
			if d := t.peek(0); d >= '0' && d <= '9' {
				n = n*10 + int(d-'0')
				t.pos++
			}
			if n > t.groups {
				return fmt.Errorf("invalid group reference %d", n)
			}
			t.needBT = true
			fmt.Fprintf(&t.out, `(?:\%d)`, n)
			return nil
		}
		return fmt.Errorf("bad escape \\%c at position %d", c, t.pos)
	}
	return nil
}

// classEscape renders \d \D \s \S \w \W with Python's Unicode (or, under
// (?a), ASCII) meaning, as a stand-alone class or as class items.
func (t *translator) classEscape(c rune, inClass bool) string {
	var items string
	neg := c == 'D' || c == 'S' || c == 'W'
	switch c {
	case 'd', 'D':
		if t.fl.ascii {
			items = "0-9"
		} else {
			items = `\p{Nd}`
		}
	case 's', 'S':
		if t.fl.ascii {
			items = "\t-\r "
		} else {
			items = pyWhitespace
		}
	case 'w', 'W':
		if t.fl.ascii {
			items = "0-9A-Za-z_"
		} else {
			items = `\p{L}\p{N}_`
		}
	}
	if inClass {
		if !neg {
			return items
		}
		if c == 'D' && !t.fl.ascii {
			return `\P{Nd}`
		}
		return `\` + string(c) // engine's own negated class (documented approximation)
	}
	if neg {
		return "[^" + items + "]"
	}
	return "[" + items + "]"
}

func (t *translator) class() error {
	start := t.pos
	t.pos++ // '['
	t.out.writeByte('[')
	if t.peek(0) == '^' {
		t.out.writeByte('^')
		t.pos++
	}
	first := true
	for {
		if t.pos >= len(t.p) {
			return fmt.Errorf("unterminated character set at position %d", start)
		}
		c := t.p[t.pos]
		if c == ']' && !first {
			t.pos++
			t.out.writeByte(']')
			return nil
		}
		first = false
		lo, isChar, err := t.classAtom()
		if err != nil {
			return err
		}
		if !isChar {
			continue
		}
		if t.peek(0) == '-' && t.peek(1) != ']' && t.peek(1) != -1 {
			t.pos++
			hi, hiChar, err := t.classAtom()
			if err != nil {
				return err
			}
			if !hiChar {
				return fmt.Errorf("bad character range at position %d", t.pos)
			}
			if hi < lo {
				return fmt.Errorf("bad character range %c-%c", lo, hi)
			}
			t.out.WriteString(classLiteral(lo) + "-" + classLiteral(hi))
			continue
		}
		t.out.WriteString(classLiteral(lo))
	}
}

// classAtom reads one class item; when it is a single character it is
// returned (unwritten) with isChar true, otherwise it has been written.
func (t *translator) classAtom() (r rune, isChar bool, err error) {
	c := t.p[t.pos]
	if c != '\\' {
		t.pos++
		return c, true, nil
	}
	r, ok, err := t.escapeChar(true)
	if err != nil {
		return 0, false, err
	}
	if ok {
		return r, true, nil
	}
	e := t.peek(1)
	switch e {
	case 'd', 'D', 's', 'S', 'w', 'W':
		t.out.WriteString(t.classEscape(e, true))
		t.pos += 2
		return 0, false, nil
	}
	return 0, false, fmt.Errorf("bad escape \\%c in character set at position %d", e, t.pos)
}
