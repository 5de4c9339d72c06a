package mathgrade

import (
	"math"
	"math/big"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// MaxEquivLen bounds the answers Equivalent parses; longer answers are
// compared as strings only.
const MaxEquivLen = 1000

// Equivalent is a sympy-free grader for final answers of math problems
// (intended for Minerva-normalised answers, but usable on raw ones). It
// decides equality of:
//
//   - integers, decimals and fractions exactly (0.5 = \frac{1}{2} = 1/2 =
//     \dfrac12 = 2/4), with thousands separators (1,000 = 1000) when the whole
//     answer is one such number;
//   - percentages and degrees by dropping the sign (50\% = 50 = 50^\circ);
//   - arithmetic expressions over + - * / ^, \cdot, \times, \div, implicit
//     multiplication, \frac, \sqrt, \sqrt[n], !, \pi, \infty and the functions
//     \sin \cos \tan \sec \csc \cot \ln \log \exp: exactly over the rationals
//     when no irrational operation occurs, otherwise numerically with a
//     relative tolerance of 1e-9;
//   - expressions with variables (single letters, Greek letters, subscripts)
//     by evaluating both sides at several fixed points (a numeric identity
//     test: 2(x+1) = 2x+2);
//   - tuples and intervals element-wise, in order, with matching brackets
//     ((1,2) ≠ [1,2)), unions of intervals with \cup, and unordered lists
//     and sets (1,2 = 2,1; \{1,2\} = \{2,1\});
//   - \pm / \mp, expanded into the unordered list of both values
//     (1\pm\sqrt2 = 1+\sqrt2,1-\sqrt2).
//
// \left, \right, spacing commands, \text{}, \mathrm{}, \mathbf{}, \boxed{},
// dollar signs, surrounding whitespace and a trailing period are ignored,
// only the text after the last "=" is kept, and a leading "x \in" is
// dropped. Two answers that are equal
// as strings after this cleaning are equivalent. Anything it cannot parse
// (matrices, inequalities, set-builder notation, words other than
// identical strings) is not equivalent. It never calls out to a CAS, so it
// can neither prove nor refute identities that need symbolic simplification
// beyond numeric evaluation.
func Equivalent(pred, gold string) bool {
	if pred == gold {
		return true
	}
	if len(pred) > MaxEquivLen || len(gold) > MaxEquivLen {
		return false
	}
	a, b := cleanAnswer(pred), cleanAnswer(gold)
	if a == b {
		return true
	}
	va, ok := parseAnswer(a, 0)
	if !ok {
		return false
	}
	vb, ok := parseAnswer(b, 0)
	if !ok {
		return false
	}
	return va.equal(vb)
}

var (
	reTextLike = regexp.MustCompile(`\\(?:text|textbf|textit|mathrm|mathbf|mathit|mbox|operatorname)\s*\{([^{}]*)\}`)
	reThousand = regexp.MustCompile(`^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$`)
)

var cleanReplacer = strings.NewReplacer(
	`\dfrac`, `\frac`, `\tfrac`, `\frac`,
	`\left`, "", `\right`, "", `\bigl`, "", `\bigr`, "", `\Bigl`, "", `\Bigr`, "",
	`\!`, "", `\,`, "", `\;`, "", `\:`, "", `\ `, "", "~", "",
	`^{\circ}`, "", `^\circ`, "", `\circ`, "", "°", "",
	`\%`, "", "%", "", `\$`, "", "$", "",
	`\displaystyle`, "", `\qquad`, "", `\quad`, "",
)

// reInPrefix matches a leading "x \in" (membership written before an
// interval or set).
var reInPrefix = regexp.MustCompile(`^[A-Za-z]\\in(?:[^A-Za-z]|$)`)

func cleanAnswer(s string) string {
	s = pystr.Strip(s)
	for i := 0; i < 4; i++ {
		if v, ok := RemoveBoxed(s); ok && strings.HasPrefix(s, `\boxed{`) {
			s = v
		} else {
			break
		}
	}
	s = cleanReplacer.Replace(s)
	for i := 0; i < 4 && strings.Contains(s, `\`); i++ {
		t := reTextLike.ReplaceAllString(s, "$1")
		if t == s {
			break
		}
		s = t
	}
	s = strings.Map(func(r rune) rune {
		if pystr.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if i := strings.LastIndexByte(s, '='); i >= 0 {
		s = s[i+1:]
	}
	if reInPrefix.MatchString(s) {
		s = s[len(`x\in`):]
	}
	s = strings.TrimSuffix(s, ".")
	return s
}

// ---- answers: scalars, tuples/intervals, unordered lists, unions ----

type answerKind int

const (
	kScalar answerKind = iota
	kTuple
	kList
	kUnion
)

type answer struct {
	kind        answerKind
	open, close byte
	scalar      *node
	items       []answer
}

func (a answer) equal(b answer) bool {
	if a.kind != b.kind {
		// A one-element list equals a scalar (e.g. after ± expansion).
		if a.kind == kList && len(a.items) == 1 {
			return a.items[0].equal(b)
		}
		if b.kind == kList && len(b.items) == 1 {
			return a.equal(b.items[0])
		}
		return false
	}
	switch a.kind {
	case kScalar:
		return scalarEqual(a.scalar, b.scalar)
	case kTuple, kUnion:
		if a.open != b.open || a.close != b.close || len(a.items) != len(b.items) {
			return false
		}
		for i := range a.items {
			if !a.items[i].equal(b.items[i]) {
				return false
			}
		}
		return true
	case kList:
		if len(a.items) != len(b.items) {
			return false
		}
		used := make([]bool, len(b.items))
	outer:
		for _, x := range a.items {
			for j, y := range b.items {
				if !used[j] && x.equal(y) {
					used[j] = true
					continue outer
				}
			}
			return false
		}
		return true
	}
	return false
}

// splitTop splits s at top-level occurrences of sep (outside (), [], {}).
func splitTop(s, sep string) []string {
	var parts []string
	depth, last := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		default:
			if depth == 0 && strings.HasPrefix(s[i:], sep) {
				parts = append(parts, s[last:i])
				last = i + len(sep)
				i += len(sep) - 1
			}
		}
	}
	return append(parts, s[last:])
}

// enclosed reports whether s[0] opens a bracket that closes exactly at the
// last byte (either kind of bracket, so intervals like [2,5) qualify).
func enclosed(s string) bool {
	if len(s) < 2 || (s[0] != '(' && s[0] != '[') || (s[len(s)-1] != ')' && s[len(s)-1] != ']') {
		return false
	}
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 && i != len(s)-1 {
				return false
			}
		}
	}
	return depth == 0
}

func parseAnswer(s string, depth int) (answer, bool) {
	if s == "" || depth > 4 {
		return answer{}, false
	}
	for _, pm := range []string{`\pm`, `\mp`} {
		if i := strings.Index(s, pm); i >= 0 {
			signs := "+-"
			if pm == `\mp` {
				signs = "-+"
			}
			var out answer
			out.kind = kList
			for _, sg := range signs {
				v, ok := parseAnswer(s[:i]+string(sg)+s[i+len(pm):], depth+1)
				if !ok {
					return answer{}, false
				}
				out.appendFlat(v)
			}
			return out, true
		}
	}
	if parts := splitTop(s, `\cup`); len(parts) > 1 {
		out := answer{kind: kUnion}
		for _, p := range parts {
			v, ok := parseAnswer(p, depth+1)
			if !ok || v.kind != kTuple {
				return answer{}, false
			}
			out.items = append(out.items, v)
		}
		return out, true
	}
	if reThousand.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	if strings.HasPrefix(s, `\{`) && strings.HasSuffix(s, `\}`) && len(s) >= 4 {
		return parseList(s[2:len(s)-2], depth)
	}
	if enclosed(s) {
		inner := s[1 : len(s)-1]
		if parts := splitTop(inner, ","); len(parts) > 1 {
			out := answer{kind: kTuple, open: s[0], close: s[len(s)-1]}
			for _, p := range parts {
				v, ok := parseAnswer(p, depth+1)
				if !ok || v.kind != kScalar {
					return answer{}, false
				}
				out.items = append(out.items, v)
			}
			return out, true
		}
	}
	if parts := splitTop(s, ","); len(parts) > 1 {
		return parseList(s, depth)
	}
	n, ok := parseExpr(s)
	if !ok {
		return answer{}, false
	}
	return answer{kind: kScalar, scalar: n}, true
}

func parseList(s string, depth int) (answer, bool) {
	out := answer{kind: kList}
	for _, p := range splitTop(s, ",") {
		v, ok := parseAnswer(p, depth+1)
		if !ok {
			return answer{}, false
		}
		out.appendFlat(v)
	}
	return out, true
}

// appendFlat adds v to a list answer, splicing in v's items when v is
// itself a list (lists never nest).
func (a *answer) appendFlat(v answer) {
	if v.kind == kList {
		a.items = append(a.items, v.items...)
	} else {
		a.items = append(a.items, v)
	}
}

// ---- expressions ----

type nodeOp int

const (
	opNum nodeOp = iota
	opVar
	opConst // pi, inf
	opAdd
	opSub
	opMul
	opDiv
	opPow
	opNeg
	opRoot // a = radicand, b = index
	opFunc
	opFact
)

type node struct {
	op   nodeOp
	num  *big.Rat
	name string // variable, constant or function name
	a, b *node
}

type tokKind int

const (
	tNum tokKind = iota
	tVar
	tCmd
	tSym
)

type token struct {
	kind tokKind
	text string
}

var unicodeSyms = map[rune]string{
	'−': "-", '×': `\times`, '÷': `\div`, '·': `\cdot`, 'π': `\pi`, '√': `\sqrt`, '∞': `\infty`,
}

func tokenize(s string) ([]token, bool) {
	rs := []rune(s)
	var toks []token
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case r >= '0' && r <= '9' || (r == '.' && i+1 < len(rs) && rs[i+1] >= '0' && rs[i+1] <= '9'):
			j := i
			if len(toks) > 0 && toks[len(toks)-1].kind == tSym && (toks[len(toks)-1].text == "^" || toks[len(toks)-1].text == "_") {
				// LaTeX: an unbraced exponent or subscript is one character.
				toks = append(toks, token{tNum, string(r)})
				i++
				continue
			}
			dot := false
			for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || (rs[j] == '.' && !dot)) {
				if rs[j] == '.' {
					dot = true
				}
				j++
			}
			toks = append(toks, token{tNum, string(rs[i:j])})
			i = j
		case r < 128 && unicode.IsLetter(r):
			toks = append(toks, token{tVar, string(r)})
			i++
		case r == '\\':
			j := i + 1
			for j < len(rs) && rs[j] < 128 && unicode.IsLetter(rs[j]) {
				j++
			}
			if j == i+1 {
				if j < len(rs) {
					j++
				} else {
					return nil, false
				}
			}
			toks = append(toks, token{tCmd, string(rs[i:j])})
			i = j
		case strings.ContainsRune("+-*/^_()[]{}!", r):
			toks = append(toks, token{tSym, string(r)})
			i++
		default:
			if t, ok := unicodeSyms[r]; ok {
				k := tSym
				if strings.HasPrefix(t, `\`) {
					k = tCmd
				}
				toks = append(toks, token{k, t})
				i++
				continue
			}
			return nil, false
		}
	}
	return toks, true
}

var greek = map[string]bool{
	`\alpha`: true, `\beta`: true, `\gamma`: true, `\delta`: true, `\epsilon`: true, `\varepsilon`: true,
	`\zeta`: true, `\eta`: true, `\theta`: true, `\vartheta`: true, `\iota`: true, `\kappa`: true,
	`\lambda`: true, `\mu`: true, `\nu`: true, `\xi`: true, `\rho`: true, `\sigma`: true, `\tau`: true,
	`\phi`: true, `\varphi`: true, `\chi`: true, `\psi`: true, `\omega`: true,
	`\Gamma`: true, `\Delta`: true, `\Theta`: true, `\Lambda`: true, `\Sigma`: true, `\Phi`: true, `\Omega`: true,
}

var funcs = map[string]func(float64) float64{
	`\sin`: math.Sin, `\cos`: math.Cos, `\tan`: math.Tan,
	`\sec`:    func(x float64) float64 { return 1 / math.Cos(x) },
	`\csc`:    func(x float64) float64 { return 1 / math.Sin(x) },
	`\cot`:    func(x float64) float64 { return 1 / math.Tan(x) },
	`\arcsin`: math.Asin, `\arccos`: math.Acos, `\arctan`: math.Atan,
	`\ln`: math.Log, `\log`: math.Log, `\exp`: math.Exp,
}

type parser struct {
	toks  []token
	pos   int
	depth int
}

const maxDepth = 100

func parseExpr(s string) (*node, bool) {
	toks, ok := tokenize(s)
	if !ok || len(toks) == 0 {
		return nil, false
	}
	p := &parser{toks: toks}
	n, ok := p.expr()
	if !ok || p.pos != len(p.toks) {
		return nil, false
	}
	return n, true
}

func (p *parser) peek() (token, bool) {
	if p.pos < len(p.toks) {
		return p.toks[p.pos], true
	}
	return token{}, false
}

func (p *parser) isSym(s string) bool {
	t, ok := p.peek()
	return ok && t.kind == tSym && t.text == s
}

func (p *parser) isCmd(s string) bool {
	t, ok := p.peek()
	return ok && t.kind == tCmd && t.text == s
}

func (p *parser) expr() (*node, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, false
	}
	left, ok := p.term()
	if !ok {
		return nil, false
	}
	for {
		switch {
		case p.isSym("+"):
			p.pos++
			r, ok := p.term()
			if !ok {
				return nil, false
			}
			left = &node{op: opAdd, a: left, b: r}
		case p.isSym("-"):
			p.pos++
			r, ok := p.term()
			if !ok {
				return nil, false
			}
			left = &node{op: opSub, a: left, b: r}
		default:
			return left, true
		}
	}
}

func (p *parser) startsAtom() bool {
	t, ok := p.peek()
	if !ok {
		return false
	}
	switch t.kind {
	case tNum, tVar:
		return true
	case tSym:
		return t.text == "(" || t.text == "{" || t.text == "["
	case tCmd:
		return t.text == `\frac` || t.text == `\sqrt` || t.text == `\pi` || t.text == `\infty` ||
			greek[t.text] || funcs[t.text] != nil
	}
	return false
}

func (p *parser) term() (*node, bool) {
	left, ok := p.unary()
	if !ok {
		return nil, false
	}
	for {
		var op nodeOp
		switch {
		case p.isSym("*") || p.isCmd(`\cdot`) || p.isCmd(`\times`):
			op = opMul
			p.pos++
		case p.isSym("/") || p.isCmd(`\div`):
			op = opDiv
			p.pos++
		case p.startsAtom():
			if t, _ := p.peek(); t.kind == tNum && left.op == opNum {
				return nil, false // "2 3" is not a product
			}
			r, ok := p.power()
			if !ok {
				return nil, false
			}
			left = &node{op: opMul, a: left, b: r}
			continue
		default:
			return left, true
		}
		r, ok := p.unary()
		if !ok {
			return nil, false
		}
		left = &node{op: op, a: left, b: r}
	}
}

func (p *parser) unary() (*node, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, false
	}
	if p.isSym("-") {
		p.pos++
		x, ok := p.unary()
		if !ok {
			return nil, false
		}
		return &node{op: opNeg, a: x}, true
	}
	if p.isSym("+") {
		p.pos++
		return p.unary()
	}
	return p.power()
}

func (p *parser) power() (*node, bool) {
	base, ok := p.postfix()
	if !ok {
		return nil, false
	}
	if p.isSym("^") {
		p.pos++
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, false
		}
		var exp *node
		if p.isSym("-") { // x^-1
			p.pos++
			e, ok := p.arg()
			if !ok {
				return nil, false
			}
			exp = &node{op: opNeg, a: e}
		} else if exp, ok = p.arg(); !ok {
			return nil, false
		}
		return &node{op: opPow, a: base, b: exp}, true
	}
	return base, true
}

func (p *parser) postfix() (*node, bool) {
	x, ok := p.atom()
	if !ok {
		return nil, false
	}
	for p.isSym("!") {
		p.pos++
		x = &node{op: opFact, a: x}
	}
	return x, true
}

// arg reads a LaTeX argument: a braced expression or a single token.
func (p *parser) arg() (*node, bool) {
	if p.isSym("{") {
		return p.atom()
	}
	t, ok := p.peek()
	if !ok {
		return nil, false
	}
	if t.kind == tNum {
		// \frac12: an unbraced argument is a single digit.
		if len(t.text) > 1 && t.text[0] != '.' {
			p.toks[p.pos].text = t.text[1:]
			return &node{op: opNum, num: new(big.Rat).SetInt64(int64(t.text[0] - '0'))}, true
		}
	}
	return p.atom()
}

func (p *parser) atom() (*node, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, false
	}
	t, ok := p.peek()
	if !ok {
		return nil, false
	}
	p.pos++
	switch t.kind {
	case tNum:
		r, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return nil, false
		}
		return &node{op: opNum, num: r}, true
	case tVar:
		return p.subscripted(t.text), true
	case tSym:
		closer := map[string]string{"(": ")", "{": "}", "[": "]"}[t.text]
		if closer == "" {
			return nil, false
		}
		x, ok := p.expr()
		if !ok || !p.isSym(closer) {
			return nil, false
		}
		p.pos++
		return x, true
	case tCmd:
		switch {
		case t.text == `\frac`:
			num, ok := p.arg()
			if !ok {
				return nil, false
			}
			den, ok := p.arg()
			if !ok {
				return nil, false
			}
			return &node{op: opDiv, a: num, b: den}, true
		case t.text == `\sqrt`:
			idx := &node{op: opNum, num: big.NewRat(2, 1)}
			if p.isSym("[") {
				p.pos++
				var ok bool
				if idx, ok = p.expr(); !ok || !p.isSym("]") {
					return nil, false
				}
				p.pos++
			}
			rad, ok := p.arg()
			if !ok {
				return nil, false
			}
			return &node{op: opRoot, a: rad, b: idx}, true
		case t.text == `\pi` || t.text == `\infty`:
			return &node{op: opConst, name: t.text}, true
		case greek[t.text]:
			return p.subscripted(t.text), true
		case funcs[t.text] != nil:
			x, ok := p.power()
			if !ok {
				return nil, false
			}
			return &node{op: opFunc, name: t.text, a: x}, true
		}
	}
	return nil, false
}

// subscripted reads an optional subscript after a variable into its name.
func (p *parser) subscripted(name string) *node {
	if p.isSym("_") && p.pos+1 < len(p.toks) {
		p.pos++
		if p.isSym("{") {
			start := p.pos
			depth := 0
			for ; p.pos < len(p.toks); p.pos++ {
				if p.isSym("{") {
					depth++
				} else if p.isSym("}") {
					depth--
					if depth == 0 {
						p.pos++
						break
					}
				}
			}
			for _, t := range p.toks[start:p.pos] {
				name += t.text
			}
		} else {
			name += "_" + p.toks[p.pos].text
			p.pos++
		}
	}
	return &node{op: opVar, name: name}
}

// ---- evaluation ----

const maxRatBits = 4096

// evalRat evaluates exactly over the rationals; ok is false when the
// expression has variables, constants, functions or irrational roots, or
// when numbers would grow too large.
func evalRat(n *node) (*big.Rat, bool) {
	switch n.op {
	case opNum:
		return n.num, true
	case opNeg:
		x, ok := evalRat(n.a)
		if !ok {
			return nil, false
		}
		return new(big.Rat).Neg(x), true
	case opAdd, opSub, opMul, opDiv:
		x, ok := evalRat(n.a)
		if !ok {
			return nil, false
		}
		y, ok := evalRat(n.b)
		if !ok {
			return nil, false
		}
		z := new(big.Rat)
		switch n.op {
		case opAdd:
			z.Add(x, y)
		case opSub:
			z.Sub(x, y)
		case opMul:
			z.Mul(x, y)
		case opDiv:
			if y.Sign() == 0 {
				return nil, false
			}
			z.Quo(x, y)
		}
		if z.Num().BitLen()+z.Denom().BitLen() > maxRatBits {
			return nil, false
		}
		return z, true
	case opPow:
		x, ok := evalRat(n.a)
		if !ok {
			return nil, false
		}
		y, ok := evalRat(n.b)
		if !ok || !y.IsInt() || !y.Num().IsInt64() {
			return nil, false
		}
		e := y.Num().Int64()
		if e < -64 || e > 64 || (x.Sign() == 0 && e < 0) {
			return nil, false
		}
		if int64(x.Num().BitLen()+x.Denom().BitLen())*abs64(e) > maxRatBits {
			return nil, false
		}
		z := big.NewRat(1, 1)
		for i := int64(0); i < abs64(e); i++ {
			z.Mul(z, x)
		}
		if e < 0 {
			z.Inv(z)
		}
		return z, true
	case opRoot:
		x, ok := evalRat(n.a)
		if !ok || x.Sign() < 0 {
			return nil, false
		}
		k, ok := evalRat(n.b)
		if !ok || k.Cmp(big.NewRat(2, 1)) != 0 {
			return nil, false
		}
		num, okN := isqrt(x.Num())
		den, okD := isqrt(x.Denom())
		if !okN || !okD {
			return nil, false
		}
		return new(big.Rat).SetFrac(num, den), true
	case opFact:
		x, ok := evalRat(n.a)
		if !ok || !x.IsInt() || x.Sign() < 0 || x.Num().Cmp(big.NewInt(170)) > 0 {
			return nil, false
		}
		z := big.NewInt(1)
		for i := int64(2); i <= x.Num().Int64(); i++ {
			z.Mul(z, big.NewInt(i))
		}
		return new(big.Rat).SetInt(z), true
	}
	return nil, false
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func isqrt(x *big.Int) (*big.Int, bool) {
	r := new(big.Int).Sqrt(x)
	return r, new(big.Int).Mul(r, r).Cmp(x) == 0
}

func evalFloat(n *node, env map[string]float64) float64 {
	switch n.op {
	case opNum:
		f, _ := n.num.Float64()
		return f
	case opVar:
		return env[n.name]
	case opConst:
		if n.name == `\pi` {
			return math.Pi
		}
		return math.Inf(1)
	case opNeg:
		return -evalFloat(n.a, env)
	case opAdd:
		return evalFloat(n.a, env) + evalFloat(n.b, env)
	case opSub:
		return evalFloat(n.a, env) - evalFloat(n.b, env)
	case opMul:
		return evalFloat(n.a, env) * evalFloat(n.b, env)
	case opDiv:
		return evalFloat(n.a, env) / evalFloat(n.b, env)
	case opPow:
		return math.Pow(evalFloat(n.a, env), evalFloat(n.b, env))
	case opRoot:
		x, k := evalFloat(n.a, env), evalFloat(n.b, env)
		if k == 2 {
			return math.Sqrt(x)
		}
		if x < 0 && k == math.Trunc(k) && int64(k)%2 == 1 {
			return -math.Pow(-x, 1/k)
		}
		return math.Pow(x, 1/k)
	case opFunc:
		return funcs[n.name](evalFloat(n.a, env))
	case opFact:
		x := evalFloat(n.a, env)
		if x < 0 || x != math.Trunc(x) {
			return math.NaN()
		}
		return math.Gamma(x + 1)
	}
	return math.NaN()
}

func collectVars(n *node, into map[string]bool) {
	if n == nil {
		return
	}
	if n.op == opVar {
		into[n.name] = true
	}
	collectVars(n.a, into)
	collectVars(n.b, into)
}

func closeEnough(x, y float64) bool {
	if x == y {
		return true
	}
	if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
		return false
	}
	return math.Abs(x-y) <= 1e-9*math.Max(1, math.Max(math.Abs(x), math.Abs(y)))
}

// evalPoints are the fixed values variables take in the numeric identity
// test (irrational-looking, away from 0 and small integers).
var evalPoints = []float64{0.5772156649, 1.3247179572, 2.6651441426, 0.9159655941, 1.6180339887}

func scalarEqual(a, b *node) bool {
	if x, ok := evalRat(a); ok {
		if y, ok := evalRat(b); ok {
			return x.Cmp(y) == 0
		}
	}
	vars := map[string]bool{}
	collectVars(a, vars)
	collectVars(b, vars)
	if len(vars) == 0 {
		return closeEnough(evalFloat(a, nil), evalFloat(b, nil))
	}
	names := make([]string, 0, len(vars))
	for v := range vars {
		names = append(names, v)
	}
	// Deterministic assignment order.
	sort.Strings(names)
	compared := 0
	for p := 0; p < 3; p++ {
		env := make(map[string]float64, len(names))
		for i, v := range names {
			env[v] = evalPoints[(p+i)%len(evalPoints)] + float64(p)*0.25 + float64(i)*0.0371
		}
		x, y := evalFloat(a, env), evalFloat(b, env)
		if math.IsNaN(x) && math.IsNaN(y) {
			continue
		}
		if !closeEnough(x, y) {
			return false
		}
		compared++
	}
	return compared > 0
}
