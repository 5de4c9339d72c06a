package chat

import "fmt"

// Error is a template error: a syntax error found while compiling, or a
// failure while rendering. It names the template line and the construct.
type Error struct {
	Template string // template name, if known
	Line     int
	Msg      string
}

func (e *Error) Error() string {
	name := e.Template
	if name == "" {
		name = "chat template"
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s: line %d: %s", name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", name, e.Msg)
}

// ---- AST ----

type node interface{}

type textNode struct{ s string }
type outputNode struct {
	x    expr
	line int
}
type ifNode struct {
	conds  []expr
	bodies [][]node
	els    []node
}
type forNode struct {
	targets []string
	iter    expr
	cond    expr // optional "if" filter
	body    []node
	els     []node
	line    int
}
type setNode struct {
	names []string // one or more names (tuple unpacking)
	attr  string   // for "set ns.attr = x": names[0] is ns
	x     expr
	body  []node // block set
	line  int
}
type macroNode struct {
	name     string
	params   []string
	defaults []expr // nil where no default
	body     []node
}
type callBlockNode struct { // {% call macro(args) %}body{% endcall %}
	call *callExpr
	body []node
	line int
}
type filterBlockNode struct {
	filter *filterExpr // x is nil: applied to the body
	body   []node
}
type breakNode struct{}
type continueNode struct{}

type expr interface{}

type literal struct{ v any }
type nameExpr struct {
	name string
	line int
}
type listExpr struct {
	items []expr
	tuple bool
}
type dictExpr struct{ keys, vals []expr }
type attrExpr struct {
	x    expr
	name string
	line int
}
type indexExpr struct {
	x, i expr
	line int
}
type sliceExpr struct {
	x            expr
	lo, hi, step expr
	line         int
}
type callExpr struct {
	fn     expr
	args   []expr
	kwargs []kwarg
	line   int
}
type kwarg struct {
	name string
	x    expr
}
type filterExpr struct {
	x      expr // nil inside filter blocks
	name   string
	args   []expr
	kwargs []kwarg
	line   int
}
type testExpr struct {
	x      expr
	name   string
	args   []expr
	negate bool
	line   int
}
type unaryExpr struct {
	op   string // "-", "+", "not"
	x    expr
	line int
}
type binaryExpr struct {
	op   string // + - * / // % ** ~ and or
	l, r expr
	line int
}
type compareExpr struct {
	first expr
	ops   []string // == != < > <= >= in notin
	rest  []expr
	line  int
}
type condExpr struct {
	cond, then, els expr // els may be nil
	line            int
}

// ---- parser ----

type parser struct {
	segs    []seg
	pos     int
	name    string
	endToks *tokStream // tokens of the end tag that stopped parseBody
}

// parseTemplate compiles template source into a node list.
func parseTemplate(src, name string) ([]node, error) {
	segs, err := split(src)
	if err != nil {
		return nil, err
	}
	p := &parser{segs: segs, name: name}
	body, end, err := p.parseBody(nil)
	if err != nil {
		return nil, err
	}
	if end != "" {
		return nil, &Error{Line: p.segs[p.pos-1].line, Msg: fmt.Sprintf("unexpected {%% %s %%}", end)}
	}
	return body, nil
}

// parseBody parses nodes until one of the given end keywords (returned, with
// its tokens in p.endToks) or the end of input.
func (p *parser) parseBody(ends []string) ([]node, string, error) {
	var body []node
	for p.pos < len(p.segs) {
		s := p.segs[p.pos]
		p.pos++
		switch s.kind {
		case segText:
			body = append(body, &textNode{s.text})
		case segOutput:
			toks, err := lexExpr(s.text, s.line)
			if err != nil {
				return nil, "", err
			}
			ts := &tokStream{toks: toks}
			x, err := ts.parseExpr()
			if err != nil {
				return nil, "", err
			}
			if err := ts.expectEOF("expression"); err != nil {
				return nil, "", err
			}
			body = append(body, &outputNode{x, s.line})
		case segStmt:
			toks, err := lexExpr(s.text, s.line)
			if err != nil {
				return nil, "", err
			}
			ts := &tokStream{toks: toks}
			kw := ts.peek()
			if kw.kind != tokName {
				return nil, "", &Error{Line: s.line, Msg: "statement must start with a tag name"}
			}
			for _, e := range ends {
				if kw.s == e {
					p.endToks = ts
					return body, e, nil
				}
			}
			ts.next()
			n, err := p.parseStmt(kw.s, ts, s.line)
			if err != nil {
				return nil, "", err
			}
			if n != nil {
				body = append(body, n)
			}
		}
	}
	if len(ends) > 0 {
		return nil, "", &Error{Msg: fmt.Sprintf("unexpected end of template: missing {%% %s %%}", ends[len(ends)-1])}
	}
	return body, "", nil
}

func (p *parser) parseStmt(kw string, ts *tokStream, line int) (node, error) {
	switch kw {
	case "if":
		n := &ifNode{}
		cond, err := ts.parseExpr()
		if err != nil {
			return nil, err
		}
		if err := ts.expectEOF("if"); err != nil {
			return nil, err
		}
		for {
			body, end, err := p.parseBody([]string{"elif", "else", "endif"})
			if err != nil {
				return nil, withMissing(err, "endif", line)
			}
			n.conds = append(n.conds, cond)
			n.bodies = append(n.bodies, body)
			et := p.endToks
			et.next()
			switch end {
			case "elif":
				if cond, err = et.parseExpr(); err != nil {
					return nil, err
				}
				if err := et.expectEOF("elif"); err != nil {
					return nil, err
				}
				continue
			case "else":
				if err := et.expectEOF("else"); err != nil {
					return nil, err
				}
				if n.els, end, err = p.parseBody([]string{"endif"}); err != nil {
					return nil, withMissing(err, "endif", line)
				}
				p.endToks.next()
			}
			if err := p.endToks.expectEOF("endif"); err != nil {
				return nil, err
			}
			return n, nil
		}
	case "for":
		n := &forNode{line: line}
		for {
			t := ts.next()
			if t.kind != tokName {
				return nil, &Error{Line: line, Msg: "for: expected a loop variable name"}
			}
			n.targets = append(n.targets, t.s)
			if !ts.acceptOp(",") {
				break
			}
		}
		if !ts.acceptName("in") {
			return nil, &Error{Line: line, Msg: `for: expected "in"`}
		}
		var err error
		if n.iter, err = ts.parseOr(); err != nil {
			return nil, err
		}
		if ts.acceptName("if") {
			if n.cond, err = ts.parseOr(); err != nil {
				return nil, err
			}
		}
		if ts.acceptName("recursive") {
			return nil, &Error{Line: line, Msg: "unsupported construct: recursive for loops"}
		}
		if err := ts.expectEOF("for"); err != nil {
			return nil, err
		}
		body, end, err := p.parseBody([]string{"else", "endfor"})
		if err != nil {
			return nil, withMissing(err, "endfor", line)
		}
		n.body = body
		p.endToks.next()
		if end == "else" {
			if err := p.endToks.expectEOF("else"); err != nil {
				return nil, err
			}
			if n.els, _, err = p.parseBody([]string{"endfor"}); err != nil {
				return nil, withMissing(err, "endfor", line)
			}
			p.endToks.next()
		}
		if err := p.endToks.expectEOF("endfor"); err != nil {
			return nil, err
		}
		return n, nil
	case "set":
		n := &setNode{line: line}
		t := ts.next()
		if t.kind != tokName {
			return nil, &Error{Line: line, Msg: "set: expected a variable name"}
		}
		n.names = []string{t.s}
		if ts.acceptOp(".") {
			a := ts.next()
			if a.kind != tokName {
				return nil, &Error{Line: line, Msg: "set: expected an attribute name after '.'"}
			}
			n.attr = a.s
		} else {
			for ts.acceptOp(",") {
				t := ts.next()
				if t.kind != tokName {
					return nil, &Error{Line: line, Msg: "set: expected a variable name"}
				}
				n.names = append(n.names, t.s)
			}
		}
		if ts.acceptOp("=") {
			x, err := ts.parseTuple()
			if err != nil {
				return nil, err
			}
			n.x = x
			return n, ts.expectEOF("set")
		}
		if len(n.names) != 1 || n.attr != "" {
			return nil, &Error{Line: line, Msg: "set: expected '='"}
		}
		if err := ts.expectEOF("set"); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endset"})
		if err != nil {
			return nil, withMissing(err, "endset", line)
		}
		p.endToks.next()
		n.body = body
		return n, p.endToks.expectEOF("endset")
	case "macro":
		n := &macroNode{}
		t := ts.next()
		if t.kind != tokName {
			return nil, &Error{Line: line, Msg: "macro: expected a name"}
		}
		n.name = t.s
		if !ts.acceptOp("(") {
			return nil, &Error{Line: line, Msg: "macro: expected '('"}
		}
		for !ts.acceptOp(")") {
			a := ts.next()
			if a.kind != tokName {
				return nil, &Error{Line: line, Msg: "macro: expected a parameter name"}
			}
			n.params = append(n.params, a.s)
			var def expr
			if ts.acceptOp("=") {
				var err error
				if def, err = ts.parseExpr(); err != nil {
					return nil, err
				}
			}
			n.defaults = append(n.defaults, def)
			if !ts.acceptOp(",") {
				if !ts.acceptOp(")") {
					return nil, &Error{Line: line, Msg: "macro: expected ',' or ')'"}
				}
				break
			}
		}
		if err := ts.expectEOF("macro"); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endmacro"})
		if err != nil {
			return nil, withMissing(err, "endmacro", line)
		}
		p.endToks.next()
		n.body = body
		return n, p.endToks.expectEOF("endmacro")
	case "call":
		x, err := ts.parseExpr()
		if err != nil {
			return nil, err
		}
		c, ok := x.(*callExpr)
		if !ok {
			return nil, &Error{Line: line, Msg: "call: expected a macro call"}
		}
		if err := ts.expectEOF("call"); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endcall"})
		if err != nil {
			return nil, withMissing(err, "endcall", line)
		}
		p.endToks.next()
		return &callBlockNode{call: c, body: body, line: line}, p.endToks.expectEOF("endcall")
	case "filter":
		f, err := ts.parseFilterCall(nil, line)
		if err != nil {
			return nil, err
		}
		if err := ts.expectEOF("filter"); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endfilter"})
		if err != nil {
			return nil, withMissing(err, "endfilter", line)
		}
		p.endToks.next()
		return &filterBlockNode{filter: f, body: body}, p.endToks.expectEOF("endfilter")
	case "generation":
		// Hugging Face's AssistantTracker extension marks assistant text for
		// training masks; for rendering it is transparent.
		if err := ts.expectEOF("generation"); err != nil {
			return nil, err
		}
		body, _, err := p.parseBody([]string{"endgeneration"})
		if err != nil {
			return nil, withMissing(err, "endgeneration", line)
		}
		p.endToks.next()
		return &ifNode{conds: []expr{&literal{true}}, bodies: [][]node{body}}, p.endToks.expectEOF("endgeneration")
	case "break":
		return &breakNode{}, ts.expectEOF("break")
	case "continue":
		return &continueNode{}, ts.expectEOF("continue")
	case "do":
		x, err := ts.parseExpr()
		if err != nil {
			return nil, err
		}
		return &setNode{names: []string{"_"}, x: x, line: line}, ts.expectEOF("do")
	case "elif", "else", "endif", "endfor", "endset", "endmacro", "endcall", "endfilter", "endgeneration", "endraw":
		return nil, &Error{Line: line, Msg: fmt.Sprintf("unexpected {%% %s %%} without a matching opening tag", kw)}
	case "include", "import", "from", "extends", "block", "with", "autoescape", "trans":
		return nil, &Error{Line: line, Msg: fmt.Sprintf("unsupported tag %q", kw)}
	default:
		return nil, &Error{Line: line, Msg: fmt.Sprintf("unknown tag %q", kw)}
	}
}

func withMissing(err error, tag string, line int) error {
	if e, ok := err.(*Error); ok && e.Line == 0 {
		return &Error{Line: line, Msg: fmt.Sprintf("block opened here is never closed: missing {%% %s %%}", tag)}
	}
	return err
}

// ---- expressions ----

type tokStream struct {
	toks []token
	pos  int
}

func (ts *tokStream) peek() token { return ts.toks[ts.pos] }
func (ts *tokStream) next() token {
	t := ts.toks[ts.pos]
	if t.kind != tokEOF {
		ts.pos++
	}
	return t
}
func (ts *tokStream) isOp(op string) bool {
	t := ts.peek()
	return t.kind == tokOp && t.s == op
}
func (ts *tokStream) acceptOp(op string) bool {
	if ts.isOp(op) {
		ts.pos++
		return true
	}
	return false
}
func (ts *tokStream) isName(n string) bool {
	t := ts.peek()
	return t.kind == tokName && t.s == n
}
func (ts *tokStream) acceptName(n string) bool {
	if ts.isName(n) {
		ts.pos++
		return true
	}
	return false
}
func (ts *tokStream) expectOp(op string) error {
	if !ts.acceptOp(op) {
		return ts.errorf("expected %q, found %s", op, describe(ts.peek()))
	}
	return nil
}
func (ts *tokStream) expectEOF(what string) error {
	if t := ts.peek(); t.kind != tokEOF {
		return &Error{Line: t.line, Msg: fmt.Sprintf("%s: unexpected %s", what, describe(t))}
	}
	return nil
}
func (ts *tokStream) errorf(format string, args ...any) error {
	return &Error{Line: ts.peek().line, Msg: fmt.Sprintf(format, args...)}
}

func describe(t token) string {
	switch t.kind {
	case tokEOF:
		return "end of tag"
	case tokName:
		return fmt.Sprintf("name %q", t.s)
	case tokString:
		return fmt.Sprintf("string %q", t.s)
	case tokInt, tokFloat:
		return "number"
	}
	return fmt.Sprintf("%q", t.s)
}

// parseTuple parses "a" or "a, b, …" (a tuple, represented as a list).
func (ts *tokStream) parseTuple() (expr, error) {
	x, err := ts.parseExpr()
	if err != nil || !ts.isOp(",") {
		return x, err
	}
	items := []expr{x}
	for ts.acceptOp(",") {
		if t := ts.peek(); t.kind == tokEOF {
			break
		}
		y, err := ts.parseExpr()
		if err != nil {
			return nil, err
		}
		items = append(items, y)
	}
	return &listExpr{items: items, tuple: true}, nil
}

// parseExpr parses a conditional expression: or-expr [if or-expr [else expr]].
func (ts *tokStream) parseExpr() (expr, error) {
	line := ts.peek().line
	x, err := ts.parseOr()
	if err != nil {
		return nil, err
	}
	for ts.acceptName("if") {
		cond, err := ts.parseOr()
		if err != nil {
			return nil, err
		}
		var els expr
		if ts.acceptName("else") {
			if els, err = ts.parseExpr(); err != nil {
				return nil, err
			}
		}
		x = &condExpr{cond: cond, then: x, els: els, line: line}
	}
	return x, nil
}

func (ts *tokStream) parseOr() (expr, error) {
	x, err := ts.parseAnd()
	for err == nil && ts.isName("or") {
		line := ts.next().line
		var y expr
		if y, err = ts.parseAnd(); err == nil {
			x = &binaryExpr{op: "or", l: x, r: y, line: line}
		}
	}
	return x, err
}

func (ts *tokStream) parseAnd() (expr, error) {
	x, err := ts.parseNot()
	for err == nil && ts.isName("and") {
		line := ts.next().line
		var y expr
		if y, err = ts.parseNot(); err == nil {
			x = &binaryExpr{op: "and", l: x, r: y, line: line}
		}
	}
	return x, err
}

func (ts *tokStream) parseNot() (expr, error) {
	if ts.isName("not") {
		line := ts.next().line
		x, err := ts.parseNot()
		if err != nil {
			return nil, err
		}
		return &unaryExpr{op: "not", x: x, line: line}, nil
	}
	return ts.parseCompare()
}

func (ts *tokStream) parseCompare() (expr, error) {
	line := ts.peek().line
	x, err := ts.parseMath1()
	if err != nil {
		return nil, err
	}
	c := &compareExpr{first: x, line: line}
	for {
		t := ts.peek()
		var op string
		switch {
		case t.kind == tokOp && (t.s == "==" || t.s == "!=" || t.s == "<" || t.s == ">" || t.s == "<=" || t.s == ">="):
			op = t.s
			ts.next()
		case t.kind == tokName && t.s == "in":
			op = "in"
			ts.next()
		case t.kind == tokName && t.s == "not" && ts.toks[ts.pos+1].kind == tokName && ts.toks[ts.pos+1].s == "in":
			op = "notin"
			ts.next()
			ts.next()
		}
		if op == "" {
			break
		}
		y, err := ts.parseMath1()
		if err != nil {
			return nil, err
		}
		c.ops = append(c.ops, op)
		c.rest = append(c.rest, y)
	}
	if len(c.ops) == 0 {
		return x, nil
	}
	return c, nil
}

func (ts *tokStream) parseMath1() (expr, error) {
	x, err := ts.parseConcat()
	for err == nil && (ts.isOp("+") || ts.isOp("-")) {
		t := ts.next()
		var y expr
		if y, err = ts.parseConcat(); err == nil {
			x = &binaryExpr{op: t.s, l: x, r: y, line: t.line}
		}
	}
	return x, err
}

func (ts *tokStream) parseConcat() (expr, error) {
	x, err := ts.parseMath2()
	for err == nil && ts.isOp("~") {
		t := ts.next()
		var y expr
		if y, err = ts.parseMath2(); err == nil {
			x = &binaryExpr{op: "~", l: x, r: y, line: t.line}
		}
	}
	return x, err
}

func (ts *tokStream) parseMath2() (expr, error) {
	x, err := ts.parsePow()
	for err == nil && (ts.isOp("*") || ts.isOp("/") || ts.isOp("//") || ts.isOp("%")) {
		t := ts.next()
		var y expr
		if y, err = ts.parsePow(); err == nil {
			x = &binaryExpr{op: t.s, l: x, r: y, line: t.line}
		}
	}
	return x, err
}

func (ts *tokStream) parsePow() (expr, error) {
	x, err := ts.parseUnary()
	for err == nil && ts.isOp("**") {
		t := ts.next()
		var y expr
		if y, err = ts.parseUnary(); err == nil {
			x = &binaryExpr{op: "**", l: x, r: y, line: t.line}
		}
	}
	return x, err
}

func (ts *tokStream) parseUnary() (expr, error) {
	return ts.parseUnaryFiltered(true)
}

// parseUnaryFiltered follows Jinja: in "-x|f" the filter applies to -x.
func (ts *tokStream) parseUnaryFiltered(withFilter bool) (expr, error) {
	var x expr
	if ts.isOp("-") || ts.isOp("+") {
		t := ts.next()
		y, err := ts.parseUnaryFiltered(false)
		if err != nil {
			return nil, err
		}
		x = &unaryExpr{op: t.s, x: y, line: t.line}
	} else {
		var err error
		if x, err = ts.parsePrimary(); err != nil {
			return nil, err
		}
	}
	x, err := ts.parsePostfix(x)
	if err != nil || !withFilter {
		return x, err
	}
	return ts.parseFilters(x)
}

func (ts *tokStream) parsePrimary() (expr, error) {
	t := ts.next()
	switch t.kind {
	case tokString:
		s := t.s
		for ts.peek().kind == tokString { // adjacent literals concatenate
			s += ts.next().s
		}
		return &literal{s}, nil
	case tokInt:
		return &literal{t.i}, nil
	case tokFloat:
		return &literal{t.f}, nil
	case tokName:
		switch t.s {
		case "true", "True":
			return &literal{true}, nil
		case "false", "False":
			return &literal{false}, nil
		case "none", "None":
			return &literal{nil}, nil
		}
		return &nameExpr{t.s, t.line}, nil
	case tokOp:
		switch t.s {
		case "(":
			if ts.acceptOp(")") {
				return &listExpr{tuple: true}, nil
			}
			x, err := ts.parseExpr()
			if err != nil {
				return nil, err
			}
			if ts.isOp(",") {
				items := []expr{x}
				for ts.acceptOp(",") {
					if ts.isOp(")") {
						break
					}
					y, err := ts.parseExpr()
					if err != nil {
						return nil, err
					}
					items = append(items, y)
				}
				x = &listExpr{items: items, tuple: true}
			}
			return x, ts.expectOp(")")
		case "[":
			l := &listExpr{}
			for !ts.acceptOp("]") {
				x, err := ts.parseExpr()
				if err != nil {
					return nil, err
				}
				l.items = append(l.items, x)
				if !ts.acceptOp(",") {
					if err := ts.expectOp("]"); err != nil {
						return nil, err
					}
					break
				}
			}
			return l, nil
		case "{":
			d := &dictExpr{}
			for !ts.acceptOp("}") {
				k, err := ts.parseExpr()
				if err != nil {
					return nil, err
				}
				if err := ts.expectOp(":"); err != nil {
					return nil, err
				}
				v, err := ts.parseExpr()
				if err != nil {
					return nil, err
				}
				d.keys = append(d.keys, k)
				d.vals = append(d.vals, v)
				if !ts.acceptOp(",") {
					if err := ts.expectOp("}"); err != nil {
						return nil, err
					}
					break
				}
			}
			return d, nil
		}
	}
	return nil, &Error{Line: t.line, Msg: fmt.Sprintf("unexpected %s", describe(t))}
}

func (ts *tokStream) parsePostfix(x expr) (expr, error) {
	for {
		t := ts.peek()
		switch {
		case t.kind == tokOp && t.s == ".":
			ts.next()
			a := ts.next()
			switch a.kind {
			case tokName:
				x = &attrExpr{x: x, name: a.s, line: a.line}
			case tokInt:
				x = &indexExpr{x: x, i: &literal{a.i}, line: a.line}
			default:
				return nil, &Error{Line: a.line, Msg: "expected an attribute name after '.'"}
			}
		case t.kind == tokOp && t.s == "[":
			ts.next()
			var parts [3]expr
			n, colons := 0, 0
			for {
				if ts.isOp(":") {
					ts.next()
					colons++
					n++
					if n > 2 {
						return nil, ts.errorf("bad slice")
					}
					continue
				}
				if ts.isOp("]") {
					ts.next()
					break
				}
				if parts[n] != nil {
					return nil, ts.errorf("expected ']' in subscript")
				}
				y, err := ts.parseExpr()
				if err != nil {
					return nil, err
				}
				parts[n] = y
			}
			if colons == 0 {
				if parts[0] == nil {
					return nil, &Error{Line: t.line, Msg: "empty subscript"}
				}
				x = &indexExpr{x: x, i: parts[0], line: t.line}
			} else {
				x = &sliceExpr{x: x, lo: parts[0], hi: parts[1], step: parts[2], line: t.line}
			}
		case t.kind == tokOp && t.s == "(":
			ts.next()
			args, kwargs, err := ts.parseArgs()
			if err != nil {
				return nil, err
			}
			x = &callExpr{fn: x, args: args, kwargs: kwargs, line: t.line}
		default:
			return x, nil
		}
	}
}

// parseArgs parses call arguments after "(" up to and including ")".
func (ts *tokStream) parseArgs() ([]expr, []kwarg, error) {
	var args []expr
	var kwargs []kwarg
	for !ts.acceptOp(")") {
		if t := ts.peek(); t.kind == tokName && ts.toks[ts.pos+1].kind == tokOp && ts.toks[ts.pos+1].s == "=" {
			ts.next()
			ts.next()
			x, err := ts.parseExpr()
			if err != nil {
				return nil, nil, err
			}
			kwargs = append(kwargs, kwarg{t.s, x})
		} else {
			if ts.isOp("*") || ts.isOp("**") {
				return nil, nil, ts.errorf("unsupported construct: *args/**kwargs in calls")
			}
			x, err := ts.parseExpr()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, x)
		}
		if !ts.acceptOp(",") {
			if err := ts.expectOp(")"); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	return args, kwargs, nil
}

func (ts *tokStream) parseFilters(x expr) (expr, error) {
	for {
		switch {
		case ts.isOp("|"):
			line := ts.next().line
			f, err := ts.parseFilterCall(x, line)
			if err != nil {
				return nil, err
			}
			x = f
		case ts.isName("is"):
			line := ts.next().line
			neg := ts.acceptName("not")
			t := ts.next()
			if t.kind != tokName {
				return nil, &Error{Line: line, Msg: "expected a test name after 'is'"}
			}
			te := &testExpr{x: x, name: t.s, negate: neg, line: line}
			if ts.acceptOp("(") {
				args, kwargs, err := ts.parseArgs()
				if err != nil {
					return nil, err
				}
				if len(kwargs) > 0 {
					return nil, &Error{Line: line, Msg: fmt.Sprintf("test %q: keyword arguments are not supported", t.s)}
				}
				te.args = args
			} else if p := ts.peek(); p.kind == tokString || p.kind == tokInt || p.kind == tokFloat ||
				p.kind == tokName && !isKeyword(p.s) || p.kind == tokOp && (p.s == "[" || p.s == "{") {
				// "x is divisibleby 3", "x is sameas none"
				arg, err := ts.parsePrimary()
				if err != nil {
					return nil, err
				}
				if arg, err = ts.parsePostfix(arg); err != nil {
					return nil, err
				}
				te.args = []expr{arg}
			}
			x = te
		default:
			return x, nil
		}
	}
}

func isKeyword(s string) bool {
	switch s {
	case "and", "or", "not", "in", "is", "if", "else":
		return true
	}
	return false
}

func (ts *tokStream) parseFilterCall(x expr, line int) (*filterExpr, error) {
	t := ts.next()
	if t.kind != tokName {
		return nil, &Error{Line: line, Msg: "expected a filter name after '|'"}
	}
	name := t.s
	for ts.isOp(".") { // dotted filter names
		ts.next()
		name += "." + ts.next().s
	}
	f := &filterExpr{x: x, name: name, line: t.line}
	if ts.acceptOp("(") {
		args, kwargs, err := ts.parseArgs()
		if err != nil {
			return nil, err
		}
		f.args, f.kwargs = args, kwargs
	}
	return f, nil
}
