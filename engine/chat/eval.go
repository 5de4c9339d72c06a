package chat

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// scope is a variable frame; lookups walk up to the globals.
type scope struct {
	vars   map[string]any
	parent *scope
}

func (s *scope) lookup(name string) (any, bool) {
	for ; s != nil; s = s.parent {
		if v, ok := s.vars[name]; ok {
			return v, true
		}
	}
	return nil, false
}

type macro struct {
	node *macroNode
	env  *scope // the scope the macro was defined in
}

type loopInfo struct {
	index0, length int
	items          []any
}

// renderer executes a compiled template.
type renderer struct {
	tpl   *Template
	out   *strings.Builder
	steps int // guards against runaway templates
	depth int
	ctl   int // loop control: 0, ctlBreak, ctlContinue
	// caller body for {% call %} blocks, innermost last
	callers []func() (string, error)
}

const (
	ctlBreak = iota + 1
	ctlContinue
)

// Limits that keep a hostile or broken template from exhausting the
// machine; real chat templates are far below them.
const (
	maxSteps  = 1_000_000 // executed nodes and loop iterations
	maxDepth  = 200
	maxString = 64 << 20 // bytes in any string value or the output
	maxList   = 1 << 20  // elements built by repetition
)

var errTooLarge = fmt.Errorf("value too large (limit %d MiB)", maxString>>20)

// errorf returns a render error at line.
func (r *renderer) errorf(line int, format string, args ...any) error {
	return &Error{Template: r.tpl.name, Line: line, Msg: fmt.Sprintf(format, args...)}
}

// raised is an error raised by the template through raise_exception.
type raised struct{ msg string }

func (e *raised) Error() string { return e.msg }

func (r *renderer) exec(nodes []node, sc *scope) error {
	for _, n := range nodes {
		if r.ctl != 0 {
			return nil
		}
		r.steps++
		if r.steps > maxSteps {
			return &Error{Template: r.tpl.name, Msg: "template exceeded the execution step limit"}
		}
		if err := r.execNode(n, sc); err != nil {
			return err
		}
		if r.out.Len() > maxString {
			return &Error{Template: r.tpl.name, Msg: "template output exceeds the size limit"}
		}
	}
	return nil
}

func (r *renderer) execNode(n node, sc *scope) error {
	switch n := n.(type) {
	case *textNode:
		r.out.WriteString(n.s)
	case *outputNode:
		v, err := r.eval(n.x, sc)
		if err != nil {
			return err
		}
		r.out.WriteString(str(v))
	case *ifNode:
		for i, c := range n.conds {
			v, err := r.eval(c, sc)
			if err != nil {
				return err
			}
			if truthy(v) {
				return r.exec(n.bodies[i], sc)
			}
		}
		return r.exec(n.els, sc)
	case *forNode:
		return r.execFor(n, sc)
	case *setNode:
		var v any
		if n.body != nil {
			s, err := r.capture(n.body, sc)
			if err != nil {
				return err
			}
			v = s
		} else {
			var err error
			if v, err = r.eval(n.x, sc); err != nil {
				return err
			}
		}
		if n.attr != "" {
			target, _ := sc.lookup(n.names[0])
			ns, ok := target.(*namespace)
			if !ok {
				return r.errorf(n.line, "cannot assign attribute %q on %s %q: only namespace objects support attribute assignment", n.attr, typeName(target), n.names[0])
			}
			ns.d.set(n.attr, v)
			return nil
		}
		if len(n.names) == 1 {
			sc.vars[n.names[0]] = v
			return nil
		}
		l, ok := asList(v)
		if !ok || len(l) != len(n.names) {
			return r.errorf(n.line, "cannot unpack %s into %d names", typeName(v), len(n.names))
		}
		for i, name := range n.names {
			sc.vars[name] = l[i]
		}
	case *macroNode:
		sc.vars[n.name] = &macro{node: n, env: sc}
	case *callBlockNode:
		body := func() (string, error) { return r.capture(n.body, sc) }
		r.callers = append(r.callers, body)
		defer func() { r.callers = r.callers[:len(r.callers)-1] }()
		v, err := r.eval(n.call, sc)
		if err != nil {
			return err
		}
		r.out.WriteString(str(v))
	case *filterBlockNode:
		s, err := r.capture(n.body, sc)
		if err != nil {
			return err
		}
		f := *n.filter
		v, err := r.applyFilter(&f, s, sc)
		if err != nil {
			return err
		}
		r.out.WriteString(str(v))
	case *breakNode:
		r.ctl = ctlBreak
	case *continueNode:
		r.ctl = ctlContinue
	default:
		return fmt.Errorf("internal error: unknown node %T", n)
	}
	return nil
}

// capture renders nodes into a string.
func (r *renderer) capture(nodes []node, sc *scope) (string, error) {
	saved := r.out
	var b strings.Builder
	r.out = &b
	err := r.exec(nodes, sc)
	r.out = saved
	return b.String(), err
}

func (r *renderer) execFor(n *forNode, sc *scope) error {
	it, err := r.eval(n.iter, sc)
	if err != nil {
		return err
	}
	items, err := iterate(it)
	if err != nil {
		return r.errorf(n.line, "for: %v", err)
	}
	// Each iteration gets a fresh scope: assignments in the body do not
	// carry over to the next iteration or out of the loop (Jinja semantics).
	inner := &scope{vars: map[string]any{}, parent: sc}
	bind := func(item any) error {
		if len(n.targets) == 1 {
			inner.vars[n.targets[0]] = item
			return nil
		}
		l, ok := asList(item)
		if !ok || len(l) != len(n.targets) {
			return r.errorf(n.line, "for: cannot unpack %s into %d names", typeName(item), len(n.targets))
		}
		for i, t := range n.targets {
			inner.vars[t] = l[i]
		}
		return nil
	}
	if n.cond != nil {
		var kept []any
		for _, item := range items {
			if err := bind(item); err != nil {
				return err
			}
			v, err := r.eval(n.cond, inner)
			if err != nil {
				return err
			}
			if truthy(v) {
				kept = append(kept, item)
			}
		}
		items = kept
	}
	if len(items) == 0 {
		return r.exec(n.els, sc)
	}
	loop := &loopInfo{length: len(items), items: items}
	for i, item := range items {
		r.steps++
		if r.steps > maxSteps {
			return &Error{Template: r.tpl.name, Line: n.line, Msg: "template exceeded the execution step limit"}
		}
		loop.index0 = i
		inner = &scope{vars: map[string]any{}, parent: sc}
		inner.vars["loop"] = loop
		if err := bind(item); err != nil {
			return err
		}
		if err := r.exec(n.body, inner); err != nil {
			return err
		}
		if r.ctl == ctlBreak {
			r.ctl = 0
			break
		}
		r.ctl = 0
	}
	return nil
}

// iterate returns the elements a for loop visits.
func iterate(v any) ([]any, error) {
	switch x := untuple(v).(type) {
	case []any:
		return x, nil
	case *dict:
		return append([]any(nil), x.keys...), nil
	case string:
		var out []any
		for _, c := range x {
			out = append(out, string(c))
		}
		return out, nil
	case undefined:
		return nil, nil
	}
	return nil, fmt.Errorf("%s object is not iterable", typeName(v))
}

func (r *renderer) eval(x expr, sc *scope) (any, error) {
	switch x := x.(type) {
	case *literal:
		return x.v, nil
	case *nameExpr:
		if v, ok := sc.lookup(x.name); ok {
			return v, nil
		}
		return undefined{x.name}, nil
	case *listExpr:
		l := make([]any, len(x.items))
		for i, e := range x.items {
			v, err := r.eval(e, sc)
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		if x.tuple {
			return tuple(l), nil
		}
		return l, nil
	case *dictExpr:
		d := newDict()
		for i := range x.keys {
			k, err := r.eval(x.keys[i], sc)
			if err != nil {
				return nil, err
			}
			v, err := r.eval(x.vals[i], sc)
			if err != nil {
				return nil, err
			}
			if !hashable(k) {
				return nil, fmt.Errorf("unhashable type: %s", typeName(k))
			}
			d.set(normKey(k), v)
		}
		return d, nil
	case *attrExpr:
		obj, err := r.eval(x.x, sc)
		if err != nil {
			return nil, err
		}
		return r.getAttr(obj, x.name, x.line, x.x)
	case *indexExpr:
		obj, err := r.eval(x.x, sc)
		if err != nil {
			return nil, err
		}
		idx, err := r.eval(x.i, sc)
		if err != nil {
			return nil, err
		}
		return r.getItem(obj, idx, x.line, x.x)
	case *sliceExpr:
		return r.evalSlice(x, sc)
	case *callExpr:
		return r.evalCall(x, sc)
	case *filterExpr:
		v, err := r.eval(x.x, sc)
		if err != nil {
			return nil, err
		}
		return r.applyFilter(x, v, sc)
	case *testExpr:
		v, err := r.eval(x.x, sc)
		if err != nil {
			return nil, err
		}
		args, err := r.evalList(x.args, sc)
		if err != nil {
			return nil, err
		}
		ok, err := r.applyTest(x.name, v, args, x.line)
		if err != nil {
			return nil, err
		}
		return ok != x.negate, nil
	case *unaryExpr:
		v, err := r.eval(x.x, sc)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "not":
			return !truthy(v), nil
		case "-":
			switch n := v.(type) {
			case int64:
				return -n, nil
			case float64:
				return -n, nil
			case bool:
				return -boolInt(n), nil
			}
			return nil, r.errorf(x.line, "bad operand type for unary -: %s", typeName(v))
		default:
			switch v.(type) {
			case int64, float64:
				return v, nil
			case bool:
				return boolInt(v.(bool)), nil
			}
			return nil, r.errorf(x.line, "bad operand type for unary +: %s", typeName(v))
		}
	case *binaryExpr:
		l, err := r.eval(x.l, sc)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "and":
			if !truthy(l) {
				return l, nil
			}
			return r.eval(x.r, sc)
		case "or":
			if truthy(l) {
				return l, nil
			}
			return r.eval(x.r, sc)
		}
		rv, err := r.eval(x.r, sc)
		if err != nil {
			return nil, err
		}
		v, err := binaryOp(x.op, l, rv)
		if err != nil {
			return nil, r.errorf(x.line, "%v", err)
		}
		return v, nil
	case *compareExpr:
		l, err := r.eval(x.first, sc)
		if err != nil {
			return nil, err
		}
		for i, op := range x.ops {
			rv, err := r.eval(x.rest[i], sc)
			if err != nil {
				return nil, err
			}
			ok, err := compare(op, l, rv)
			if err != nil {
				return nil, r.errorf(x.line, "%v", err)
			}
			if !ok {
				return false, nil
			}
			l = rv
		}
		return true, nil
	case *condExpr:
		c, err := r.eval(x.cond, sc)
		if err != nil {
			return nil, err
		}
		if truthy(c) {
			return r.eval(x.then, sc)
		}
		if x.els == nil {
			return undefined{}, nil
		}
		return r.eval(x.els, sc)
	}
	return nil, fmt.Errorf("internal error: unknown expression %T", x)
}

func (r *renderer) evalList(xs []expr, sc *scope) ([]any, error) {
	out := make([]any, len(xs))
	for i, x := range xs {
		v, err := r.eval(x, sc)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (r *renderer) evalKwargs(kws []kwarg, sc *scope) (*dict, error) {
	d := newDict()
	for _, kw := range kws {
		v, err := r.eval(kw.x, sc)
		if err != nil {
			return nil, err
		}
		d.set(kw.name, v)
	}
	return d, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// exprName renders an expression for error messages.
func exprName(x expr) string {
	switch x := x.(type) {
	case *nameExpr:
		return x.name
	case *attrExpr:
		return exprName(x.x) + "." + x.name
	case *indexExpr:
		if l, ok := x.i.(*literal); ok {
			return exprName(x.x) + "[" + repr(l.v) + "]"
		}
		return exprName(x.x) + "[…]"
	case *callExpr:
		return exprName(x.fn) + "(…)"
	}
	return "expression"
}

// getAttr implements obj.name: attribute first, then item (Jinja's getattr).
func (r *renderer) getAttr(obj any, name string, line int, src expr) (any, error) {
	switch o := obj.(type) {
	case undefined:
		return nil, r.errorf(line, "%s is undefined (cannot read attribute %q)", exprName(src), name)
	case *dict:
		if v, ok := o.vals[name]; ok {
			return v, nil
		}
		if isMethod(obj, name) {
			return &boundMethod{recv: obj, name: name}, nil
		}
		return undefined{name}, nil
	case *namespace:
		if v, ok := o.d.vals[name]; ok {
			return v, nil
		}
		return undefined{name}, nil
	case *loopInfo:
		return r.loopAttr(o, name, line)
	}
	if isMethod(obj, name) {
		return &boundMethod{recv: obj, name: name}, nil
	}
	return undefined{name}, nil
}

func (r *renderer) loopAttr(l *loopInfo, name string, line int) (any, error) {
	i, n := l.index0, l.length
	switch name {
	case "index":
		return int64(i + 1), nil
	case "index0":
		return int64(i), nil
	case "revindex":
		return int64(n - i), nil
	case "revindex0":
		return int64(n - i - 1), nil
	case "first":
		return i == 0, nil
	case "last":
		return i == n-1, nil
	case "length":
		return int64(n), nil
	case "depth":
		return int64(1), nil
	case "depth0":
		return int64(0), nil
	case "previtem":
		if i == 0 {
			return undefined{"previtem"}, nil
		}
		return l.items[i-1], nil
	case "nextitem":
		if i == n-1 {
			return undefined{"nextitem"}, nil
		}
		return l.items[i+1], nil
	case "cycle":
		return &builtin{name: "loop.cycle", fn: func(_ *renderer, args []any, _ *dict) (any, error) {
			if len(args) == 0 {
				return nil, errors.New("loop.cycle needs at least one argument")
			}
			return args[i%len(args)], nil
		}}, nil
	}
	return undefined{name}, nil
}

// getItem implements obj[idx]: item first, then attribute.
func (r *renderer) getItem(obj, idx any, line int, src expr) (any, error) {
	switch o := untuple(obj).(type) {
	case undefined:
		return nil, r.errorf(line, "%s is undefined (cannot read item %s)", exprName(src), repr(idx))
	case []any:
		i, ok := asInt(idx)
		if !ok {
			return nil, r.errorf(line, "list indices must be integers, not %s", typeName(idx))
		}
		if i < 0 {
			i += int64(len(o))
		}
		if i < 0 || i >= int64(len(o)) {
			return undefined{}, nil
		}
		return o[i], nil
	case string:
		i, ok := asInt(idx)
		if !ok {
			return nil, r.errorf(line, "string indices must be integers, not %s", typeName(idx))
		}
		rs := []rune(o)
		if i < 0 {
			i += int64(len(rs))
		}
		if i < 0 || i >= int64(len(rs)) {
			return undefined{}, nil
		}
		return string(rs[i]), nil
	case *dict:
		if v, ok := o.get(idx); ok {
			return v, nil
		}
	case *namespace:
		if v, ok := o.d.get(idx); ok {
			return v, nil
		}
	}
	if s, ok := idx.(string); ok {
		return r.getAttr(obj, s, line, src)
	}
	return undefined{}, nil
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case bool:
		return boolInt(x), true
	}
	return 0, false
}

func (r *renderer) evalSlice(x *sliceExpr, sc *scope) (any, error) {
	obj, err := r.eval(x.x, sc)
	if err != nil {
		return nil, err
	}
	var bounds [3]*int64
	for i, e := range []expr{x.lo, x.hi, x.step} {
		if e == nil {
			continue
		}
		v, err := r.eval(e, sc)
		if err != nil {
			return nil, err
		}
		if v == nil {
			continue
		}
		n, ok := asInt(v)
		if !ok {
			return nil, r.errorf(x.line, "slice indices must be integers or None, not %s", typeName(v))
		}
		bounds[i] = &n
	}
	var seq []any
	var rs []rune
	switch o := untuple(obj).(type) {
	case []any:
		seq = o
	case string:
		rs = []rune(o)
		seq = make([]any, len(rs))
		for i, c := range rs {
			seq[i] = string(c)
		}
	case undefined:
		return nil, r.errorf(x.line, "%s is undefined (cannot slice it)", exprName(x.x))
	default:
		return nil, r.errorf(x.line, "%s object is not subscriptable", typeName(obj))
	}
	idx, err := sliceIndices(len(seq), bounds[0], bounds[1], bounds[2])
	if err != nil {
		return nil, r.errorf(x.line, "%v", err)
	}
	if rs != nil {
		var b strings.Builder
		for _, i := range idx {
			b.WriteRune(rs[i])
		}
		return b.String(), nil
	}
	out := make([]any, len(idx))
	for k, i := range idx {
		out[k] = seq[i]
	}
	return out, nil
}

// sliceIndices implements Python's slice semantics.
func sliceIndices(n int, lo, hi, step *int64) ([]int, error) {
	st := int64(1)
	if step != nil {
		st = *step
	}
	if st == 0 {
		return nil, errors.New("slice step cannot be zero")
	}
	clamp := func(p *int64, def int64, lower, upper int64) int64 {
		if p == nil {
			return def
		}
		v := *p
		if v < 0 {
			v += int64(n)
			if v < lower {
				v = lower
			}
		} else if v > upper {
			v = upper
		}
		return v
	}
	var out []int
	if st > 0 {
		a, b := clamp(lo, 0, 0, int64(n)), clamp(hi, int64(n), 0, int64(n))
		for i := a; i < b; i += st {
			out = append(out, int(i))
		}
	} else {
		a, b := clamp(lo, int64(n)-1, -1, int64(n)-1), clamp(hi, -1, -1, int64(n)-1)
		if hi != nil && *hi < 0 && *hi+int64(n) < 0 {
			b = -1
		}
		for i := a; i > b; i += st {
			out = append(out, int(i))
		}
	}
	return out, nil
}

func (r *renderer) evalCall(x *callExpr, sc *scope) (any, error) {
	fn, err := r.eval(x.fn, sc)
	if err != nil {
		return nil, err
	}
	args, err := r.evalList(x.args, sc)
	if err != nil {
		return nil, err
	}
	kw, err := r.evalKwargs(x.kwargs, sc)
	if err != nil {
		return nil, err
	}
	r.depth++
	defer func() { r.depth-- }()
	if r.depth > maxDepth {
		return nil, r.errorf(x.line, "maximum call depth exceeded")
	}
	switch f := fn.(type) {
	case *builtin:
		v, err := f.fn(r, args, kw)
		if err != nil {
			return nil, r.wrapCallErr(err, x.line, f.name)
		}
		return v, nil
	case *boundMethod:
		v, err := callMethod(f.recv, f.name, args, kw)
		if err != nil {
			return nil, r.wrapCallErr(err, x.line, typeName(f.recv)+"."+f.name)
		}
		return v, nil
	case *macro:
		return r.callMacro(f, args, kw, x.line)
	case undefined:
		if a, isAttr := x.fn.(*attrExpr); isAttr {
			return nil, r.errorf(x.line, "unknown method %s.%s()", r.describeRecv(x.fn, sc), a.name)
		}
		return nil, r.errorf(x.line, "unknown function %s()", exprName(x.fn))
	}
	return nil, r.errorf(x.line, "%s object is not callable", typeName(fn))
}

func (r *renderer) describeRecv(fn expr, sc *scope) string {
	if a, ok := fn.(*attrExpr); ok {
		if v, err := r.eval(a.x, sc); err == nil {
			return typeName(v)
		}
	}
	return "value"
}

func (r *renderer) wrapCallErr(err error, line int, name string) error {
	var re *raised
	var te *Error
	switch {
	case errors.As(err, &re):
		return &Error{Template: r.tpl.name, Line: line, Msg: "raise_exception: " + re.msg}
	case errors.As(err, &te):
		return err
	}
	return r.errorf(line, "%s: %v", name, err)
}

func (r *renderer) callMacro(m *macro, args []any, kw *dict, line int) (any, error) {
	n := m.node
	sc := &scope{vars: map[string]any{}, parent: m.env}
	if len(args) > len(n.params) {
		return nil, r.errorf(line, "macro %s takes %d arguments, %d given", n.name, len(n.params), len(args))
	}
	for i, p := range n.params {
		switch {
		case i < len(args):
			sc.vars[p] = args[i]
		default:
			if v, ok := kw.vals[p]; ok {
				sc.vars[p] = v
			} else if n.defaults[i] != nil {
				v, err := r.eval(n.defaults[i], sc)
				if err != nil {
					return nil, err
				}
				sc.vars[p] = v
			} else {
				sc.vars[p] = undefined{p}
			}
		}
	}
	for _, k := range kw.keys {
		found := false
		for _, p := range n.params {
			if p == k {
				found = true
			}
		}
		if !found {
			return nil, r.errorf(line, "macro %s has no parameter %q", n.name, str(k))
		}
	}
	if len(r.callers) > 0 {
		body := r.callers[len(r.callers)-1]
		sc.vars["caller"] = &builtin{name: "caller", fn: func(*renderer, []any, *dict) (any, error) { return body() }}
	}
	saved := r.ctl
	s, err := r.capture(n.body, sc)
	r.ctl = saved
	return s, err
}

// binaryOp implements + - * / // % ** ~.
func binaryOp(op string, l, r any) (any, error) {
	if op == "~" {
		a, b := str(l), str(r)
		if len(a)+len(b) > maxString {
			return nil, errTooLarge
		}
		return a + b, nil
	}
	if _, ok := l.(undefined); ok {
		return nil, fmt.Errorf("unsupported operand: %s is undefined", undefName(l))
	}
	if _, ok := r.(undefined); ok {
		return nil, fmt.Errorf("unsupported operand: %s is undefined", undefName(r))
	}
	switch op {
	case "+":
		switch a := l.(type) {
		case string:
			if b, ok := r.(string); ok {
				if len(a)+len(b) > maxString {
					return nil, errTooLarge
				}
				return a + b, nil
			}
		case []any, tuple:
			la, _ := asList(a)
			if b, ok := asList(r); ok {
				out := append(append([]any(nil), la...), b...)
				return out, nil
			}
		}
	case "*":
		if s, ok := l.(string); ok {
			if n, ok := asInt(r); ok {
				return repeatString(s, n)
			}
		}
		if s, ok := r.(string); ok {
			if n, ok := asInt(l); ok {
				return repeatString(s, n)
			}
		}
		if s, ok := asList(l); ok {
			if n, ok := asInt(r); ok {
				if n > 0 && int64(len(s))*n > maxList {
					return nil, errTooLarge
				}
				var out []any
				for k := int64(0); k < n; k++ {
					out = append(out, s...)
				}
				return out, nil
			}
		}
	case "%":
		if s, ok := l.(string); ok {
			return percentFormat(s, r)
		}
	}
	ai, aInt := asInt(l)
	bi, bInt := asInt(r)
	af, aNum := asFloat(l)
	bf, bNum := asFloat(r)
	if !aNum || !bNum {
		return nil, fmt.Errorf("unsupported operand type(s) for %s: %s and %s", op, typeName(l), typeName(r))
	}
	bothInt := aInt && bInt
	switch op {
	case "+":
		if bothInt {
			return ai + bi, nil
		}
		return af + bf, nil
	case "-":
		if bothInt {
			return ai - bi, nil
		}
		return af - bf, nil
	case "*":
		if bothInt {
			return ai * bi, nil
		}
		return af * bf, nil
	case "/":
		if bf == 0 {
			return nil, errors.New("division by zero")
		}
		return af / bf, nil
	case "//":
		if bf == 0 {
			return nil, errors.New("integer division or modulo by zero")
		}
		if bothInt {
			q := ai / bi
			if (ai%bi != 0) && ((ai < 0) != (bi < 0)) {
				q--
			}
			return q, nil
		}
		return math.Floor(af / bf), nil
	case "%":
		if bf == 0 {
			return nil, errors.New("integer division or modulo by zero")
		}
		if bothInt {
			m := ai % bi
			if m != 0 && (m < 0) != (bi < 0) {
				m += bi
			}
			return m, nil
		}
		m := math.Mod(af, bf)
		if m != 0 && (m < 0) != (bf < 0) {
			m += bf
		}
		return m, nil
	case "**":
		if bothInt && bi >= 0 {
			res := int64(1)
			for k := int64(0); k < bi; k++ {
				res *= ai
			}
			return res, nil
		}
		return math.Pow(af, bf), nil
	}
	return nil, fmt.Errorf("unsupported operator %s", op)
}

func repeatString(s string, n int64) (any, error) {
	if n <= 0 {
		return "", nil
	}
	if int64(len(s))*n > maxString {
		return nil, errTooLarge
	}
	return strings.Repeat(s, int(n)), nil
}

func undefName(v any) string {
	if u, ok := v.(undefined); ok && u.name != "" {
		return fmt.Sprintf("%q", u.name)
	}
	return "a value"
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case int64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		return float64(boolInt(x)), true
	}
	return 0, false
}

// percentFormat implements the common "%s"/"%d" string formatting.
func percentFormat(format string, arg any) (any, error) {
	args, ok := asList(arg)
	if !ok {
		args = []any{arg}
	}
	var b strings.Builder
	k := 0
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return nil, errors.New("incomplete format")
		}
		if format[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if k >= len(args) {
			return nil, errors.New("not enough arguments for format string")
		}
		switch format[i] {
		case 's':
			b.WriteString(str(args[k]))
		case 'r':
			b.WriteString(repr(args[k]))
		case 'd', 'i':
			f, ok := asFloat(args[k])
			if !ok {
				return nil, fmt.Errorf("%%d format: a number is required, not %s", typeName(args[k]))
			}
			fmt.Fprintf(&b, "%d", int64(f))
		default:
			return nil, fmt.Errorf("unsupported format character %q", format[i])
		}
		k++
	}
	if k < len(args) {
		return nil, errors.New("not all arguments converted during string formatting")
	}
	return b.String(), nil
}

// equal is Python's ==.
func equal(a, b any) bool {
	a, b = untuple(a), untuple(b)
	switch x := a.(type) {
	case nil:
		return b == nil
	case undefined:
		_, ok := b.(undefined)
		return ok
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case *dict:
		y, ok := b.(*dict)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			v, ok := y.vals[k]
			if !ok || !equal(x.vals[k], v) {
				return false
			}
		}
		return true
	}
	if af, ok := asFloat(a); ok {
		bf, ok := asFloat(b)
		return ok && af == bf
	}
	return a == b
}

func compare(op string, a, b any) (bool, error) {
	switch op {
	case "==":
		return equal(a, b), nil
	case "!=":
		return !equal(a, b), nil
	case "in", "notin":
		in, err := contains(b, a)
		return in == (op == "in"), err
	}
	c, err := order(a, b)
	if err != nil {
		return false, fmt.Errorf("'%s' not supported between instances of %s and %s", op, typeName(a), typeName(b))
	}
	switch op {
	case "<":
		return c < 0, nil
	case ">":
		return c > 0, nil
	case "<=":
		return c <= 0, nil
	default:
		return c >= 0, nil
	}
}

// order compares numbers, strings and lists as Python does.
func order(a, b any) (int, error) {
	if af, ok := asFloat(a); ok {
		if bf, ok := asFloat(b); ok {
			switch {
			case af < bf:
				return -1, nil
			case af > bf:
				return 1, nil
			}
			return 0, nil
		}
	}
	if as, ok := a.(string); ok {
		if bs, ok := b.(string); ok {
			return strings.Compare(as, bs), nil
		}
	}
	if al, ok := asList(a); ok {
		if bl, ok := asList(b); ok {
			for i := 0; i < len(al) && i < len(bl); i++ {
				if !equal(al[i], bl[i]) {
					return order(al[i], bl[i])
				}
			}
			return order(int64(len(al)), int64(len(bl)))
		}
	}
	return 0, errors.New("unorderable")
}

// contains implements "needle in container".
func contains(container, needle any) (bool, error) {
	switch c := untuple(container).(type) {
	case string:
		n, ok := needle.(string)
		if !ok {
			return false, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(needle))
		}
		return strings.Contains(c, n), nil
	case []any:
		for _, e := range c {
			if equal(e, needle) {
				return true, nil
			}
		}
		return false, nil
	case *dict:
		_, ok := c.get(needle)
		return ok, nil
	case *namespace:
		_, ok := c.d.get(needle)
		return ok, nil
	case undefined:
		return false, nil
	}
	return false, fmt.Errorf("argument of type %s is not iterable", typeName(container))
}
