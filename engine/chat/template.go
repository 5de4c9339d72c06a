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
	return &Template{name: name, nodes: nodes}, nil
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
