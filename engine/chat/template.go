package chat

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Template is a compiled Jinja chat template. It implements the subset of
// Jinja2 that Hugging Face chat templates use, with Python semantics and in
// Hugging Face's configuration (trim_blocks, lstrip_blocks, loop controls,
// an immutable sandbox, and the raise_exception and strftime_now globals).
// A Template is safe for concurrent use.
//
// Supported: {% if/elif/else %}, {% for … in … [if …] %} with else and the
// loop variable, {% set %} (names, tuples, namespace attributes, blocks),
// {% macro %}, {% call %}, {% filter %}, {% break/continue %}, {% do %},
// {% raw %}, {% generation %}; literals, lists, dicts, tuples, attribute and
// item access, slices, calls, filters, tests, all operators. Anything else
// (include, extends, unknown filters, tests, tags or methods) is an *Error
// naming the construct and its line.
type Template struct {
	name  string
	nodes []node
}

// Compile parses template source. name identifies the template in errors.
func Compile(source, name string) (*Template, error) {
	nodes, err := parseTemplate(source, name)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Template = name
			return nil, e
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := validate(nodes); err != nil {
		err.Template = name
		return nil, err
	}
	return &Template{name: name, nodes: nodes}, nil
}

var knownFilters = setOf("safe", "e", "escape", "forceescape", "trim", "upper", "lower", "capitalize", "title",
	"string", "length", "count", "wordcount", "default", "d", "first", "last", "list", "reverse", "join",
	"replace", "int", "float", "abs", "round", "tojson", "items", "dictsort", "sort", "unique", "min", "max",
	"sum", "map", "select", "reject", "selectattr", "rejectattr", "attr", "indent", "format")

var knownTests = setOf("defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number",
	"string", "mapping", "iterable", "sequence", "callable", "sameas", "eq", "equalto", "==", "ne", "!=",
	"lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper", "even",
	"odd", "divisibleby")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// validate rejects unknown filters and tests at compile time, as Jinja does.
func validate(nodes []node) *Error {
	var err *Error
	var walkExpr func(x expr)
	walkExpr = func(x expr) {
		if err != nil || x == nil {
			return
		}
		switch x := x.(type) {
		case *listExpr:
			for _, e := range x.items {
				walkExpr(e)
			}
		case *dictExpr:
			for i := range x.keys {
				walkExpr(x.keys[i])
				walkExpr(x.vals[i])
			}
		case *attrExpr:
			walkExpr(x.x)
		case *indexExpr:
			walkExpr(x.x)
			walkExpr(x.i)
		case *sliceExpr:
			walkExpr(x.x)
			walkExpr(x.lo)
			walkExpr(x.hi)
			walkExpr(x.step)
		case *callExpr:
			walkExpr(x.fn)
			for _, a := range x.args {
				walkExpr(a)
			}
			for _, k := range x.kwargs {
				walkExpr(k.x)
			}
		case *filterExpr:
			if !knownFilters[x.name] {
				msg := fmt.Sprintf("unknown filter %q", x.name)
				if unsupportedFilters[x.name] {
					msg = fmt.Sprintf("unsupported filter %q", x.name)
				}
				err = &Error{Line: x.line, Msg: msg}
				return
			}
			walkExpr(x.x)
			for _, a := range x.args {
				walkExpr(a)
			}
			for _, k := range x.kwargs {
				walkExpr(k.x)
			}
		case *testExpr:
			if !knownTests[x.name] {
				err = &Error{Line: x.line, Msg: fmt.Sprintf("unknown test %q", x.name)}
				return
			}
			walkExpr(x.x)
			for _, a := range x.args {
				walkExpr(a)
			}
		case *unaryExpr:
			walkExpr(x.x)
		case *binaryExpr:
			walkExpr(x.l)
			walkExpr(x.r)
		case *compareExpr:
			walkExpr(x.first)
			for _, e := range x.rest {
				walkExpr(e)
			}
		case *condExpr:
			walkExpr(x.cond)
			walkExpr(x.then)
			walkExpr(x.els)
		}
	}
	var walk func(ns []node)
	walk = func(ns []node) {
		for _, n := range ns {
			if err != nil {
				return
			}
			switch n := n.(type) {
			case *outputNode:
				walkExpr(n.x)
			case *ifNode:
				for i := range n.conds {
					walkExpr(n.conds[i])
					walk(n.bodies[i])
				}
				walk(n.els)
			case *forNode:
				walkExpr(n.iter)
				walkExpr(n.cond)
				walk(n.body)
				walk(n.els)
			case *setNode:
				walkExpr(n.x)
				walk(n.body)
			case *macroNode:
				for _, d := range n.defaults {
					walkExpr(d)
				}
				walk(n.body)
			case *callBlockNode:
				walkExpr(n.call)
				walk(n.body)
			case *filterBlockNode:
				walkExpr(n.filter)
				walk(n.body)
			}
		}
	}
	walk(nodes)
	return err
}

// Name returns the name given to Compile.
func (t *Template) Name() string { return t.name }

// Execute renders the template with the given variables. Values may be Go
// strings, numbers, bools, nil, slices, maps with string keys (iterated in
// sorted key order), json.RawMessage (key order preserved) or structs
// (converted through encoding/json). now is the clock for strftime_now; nil
// means time.Now.
func (t *Template) Execute(vars map[string]any, now func() time.Time) (string, error) {
	if now == nil {
		now = time.Now
	}
	globals := &scope{vars: t.globals(now)}
	top := &scope{vars: map[string]any{}, parent: globals}
	for k, v := range vars {
		cv, err := fromGo(v)
		if err != nil {
			return "", fmt.Errorf("%s: variable %q: %w", t.name, k, err)
		}
		top.vars[k] = cv
	}
	var b strings.Builder
	r := &renderer{tpl: t, out: &b}
	if err := r.exec(t.nodes, top); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Template == "" {
			e.Template = t.name
		}
		return "", err
	}
	return b.String(), nil
}
