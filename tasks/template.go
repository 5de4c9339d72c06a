package tasks

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ouroeval/ouroeval/internal/pyrepr"

	"github.com/nikolalohinski/gonja/v2/builtins"
	"github.com/nikolalohinski/gonja/v2/config"
	"github.com/nikolalohinski/gonja/v2/exec"
	"github.com/nikolalohinski/gonja/v2/loaders"
	"github.com/nikolalohinski/gonja/v2/nodes"
)

// Template is one compiled doc_to_* template with lm-eval semantics:
//   - a string that is exactly a dataset feature (a key of the first
//     document) and has no template syntax means that field's value;
//   - a string without template syntax is literal text;
//   - anything else is Jinja (gonja), rendered with StrictUndefined like
//     lm-eval's jinja2 environment, so a missing field is an error.
//
// A Template is safe for concurrent use.
type Template struct {
	src   string
	field string // bare field reference
	plain bool   // literal text, no template syntax
	tpl   *exec.Template
	cfg   *config.Config
	env   *exec.Environment
	// expr is set when the whole template is one {{ expression }}: Value
	// then evaluates it to a Go value (lists for doc_to_choice).
	expr nodes.Expression
	// segs, when non-nil, is the fast path: the template is only literal
	// text and {{ a.b.c }} field paths, rendered without gonja (values
	// printed like Python's str(), as Jinja does).
	segs []segment
}

// segment is literal text (path == nil) or a field path.
type segment struct {
	text string
	path []string
}

var pathRe = regexp.MustCompile(`^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*$`)

// fastSegments splits src into literal text and simple field paths; ok is
// false when src uses anything else (filters, calls, blocks, comments,
// whitespace control), which gonja then renders.
func fastSegments(src string) (segs []segment, ok bool) {
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		lit := rest
		if i >= 0 {
			lit = rest[:i]
		}
		if strings.Contains(lit, "{%") || strings.Contains(lit, "{#") || strings.Contains(lit, "}}") {
			return nil, false
		}
		if lit != "" {
			segs = append(segs, segment{text: lit})
		}
		if i < 0 {
			break
		}
		rest = rest[i+2:]
		j := strings.Index(rest, "}}")
		if j < 0 {
			return nil, false
		}
		m := pathRe.FindStringSubmatch(rest[:j])
		if m == nil {
			return nil, false
		}
		segs = append(segs, segment{path: strings.Split(m[1], ".")})
		rest = rest[j+2:]
	}
	return segs, true
}

// lookup walks a field path through nested mappings.
func lookup(doc Doc, path []string) (any, error) {
	var cur any = doc
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, &MissingFieldError{Field: p}
		}
		if cur, ok = m[p]; !ok {
			return nil, &MissingFieldError{Field: p}
		}
	}
	return cur, nil
}

// hasSyntax reports whether s contains Jinja delimiters.
func hasSyntax(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// CompileTemplate compiles src. features are the dataset's column names,
// deciding whether a bare word is a field reference (lm-eval checks
// `doc_to_text in self.features`).
func CompileTemplate(src string, features map[string]bool) (t *Template, err error) {
	t = &Template{src: src}
	if !hasSyntax(src) {
		if features[src] {
			t.field = src
		} else {
			t.plain = true
		}
		return t, nil
	}
	if segs, ok := fastSegments(src); ok {
		t.segs = segs
		return t, nil
	}
	return compileGonja(src)
}

// compileGonja compiles src with gonja (no fast path).
func compileGonja(src string) (t *Template, err error) {
	t = &Template{src: src}
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("template %q: %v", src, r)
		}
	}()
	cfg := config.New()
	cfg.StrictUndefined = true
	cfg.KeepTrailingNewline = true // lm-eval: keep_trailing_newline=True
	loader, err := loaders.NewShiftedLoader("template", bytes.NewReader([]byte(src)), nil)
	if err != nil {
		return nil, fmt.Errorf("template %q: %v", src, err)
	}
	env := newEnvironment()
	tpl, err := exec.NewTemplate("template", cfg, loader, env)
	if err != nil {
		return nil, fmt.Errorf("template %q: %v", src, cleanGonjaErr(err))
	}
	t.tpl, t.cfg, t.env = tpl, cfg, env
	if root := tpl.Root(); root != nil && len(root.Nodes) == 1 {
		if out, ok := root.Nodes[0].(*nodes.Output); ok && out.Condition == nil {
			t.expr = out.Expression
		}
	}
	return t, nil
}

func newEnvironment() *exec.Environment {
	m := builtins.Methods
	m.List = listMethods()
	return &exec.Environment{
		Context:           exec.EmptyContext().Update(builtins.GlobalFunctions).Update(builtins.GlobalVariables),
		Filters:           builtins.Filters,
		Tests:             builtins.Tests,
		ControlStructures: builtins.ControlStructures,
		Methods:           m,
	}
}

// listMethods is gonja's list methods plus Python's list.index and
// list.count, which lm-eval task YAMLs use (ARC:
// "{{choices.label.index(answerKey)}}").
func listMethods() *exec.MethodSet[[]any] {
	ms := map[string]exec.Method[[]any]{}
	for _, name := range []string{"append", "reverse", "copy"} {
		if f, ok := builtins.Methods.List.Get(name); ok {
			ms[name] = f
		}
	}
	arg := func(args *exec.VarArgs) (*exec.Value, error) {
		var x any
		if err := args.Take(exec.PositionalArgument("x", nil, exec.AnyArgument(&x))); err != nil {
			return nil, exec.ErrInvalidCall(err)
		}
		return exec.ToValue(x), nil
	}
	ms["index"] = func(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
		x, err := arg(args)
		if err != nil {
			return nil, err
		}
		for i, e := range self {
			if exec.ToValue(e).EqualValueTo(x) {
				return i, nil
			}
		}
		return nil, fmt.Errorf("%s is not in list", pyStr(x.Interface()))
	}
	ms["count"] = func(self []any, _ *exec.Value, args *exec.VarArgs) (any, error) {
		x, err := arg(args)
		if err != nil {
			return nil, err
		}
		n := 0
		for _, e := range self {
			if exec.ToValue(e).EqualValueTo(x) {
				n++
			}
		}
		return n, nil
	}
	return exec.NewMethodSet(ms)
}

// Source returns the template text.
func (t *Template) Source() string { return t.src }

// Field returns the field name when the template is a bare field reference.
func (t *Template) Field() string { return t.field }

// MissingFieldError reports a template that refers to a field the
// document does not have.
type MissingFieldError struct {
	Field    string
	Template string
}

func (e *MissingFieldError) Error() string {
	return fmt.Sprintf("field %q not found in the document (template %q)", e.Field, e.Template)
}

var missingRes = []*regexp.Regexp{
	regexp.MustCompile(`Unable to evaluate name "([^"]*)"`),
	regexp.MustCompile(`attribute '([^']*)' not found`),
	regexp.MustCompile(`item '([^']*)' not found`),
}

func (t *Template) wrapErr(err error) error {
	msg := err.Error()
	for _, re := range missingRes {
		if m := re.FindStringSubmatch(msg); m != nil {
			return &MissingFieldError{Field: m[1], Template: t.src}
		}
	}
	return fmt.Errorf("template %q: %v", t.src, cleanGonjaErr(err))
}

func cleanGonjaErr(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "unable to execute template: ")
	return s
}

// Render renders t against doc as text (Python str() of a bare field).
func (t *Template) Render(doc Doc) (s string, err error) {
	if t.plain {
		return t.src, nil
	}
	if t.field != "" {
		v, ok := doc[t.field]
		if !ok {
			return "", &MissingFieldError{Field: t.field, Template: t.src}
		}
		return pyStr(v), nil
	}
	if t.segs != nil {
		var b strings.Builder
		b.Grow(len(t.src) + 64)
		for _, sg := range t.segs {
			if sg.path == nil {
				b.WriteString(sg.text)
				continue
			}
			v, err := lookup(doc, sg.path)
			if err != nil {
				err.(*MissingFieldError).Template = t.src
				return "", err
			}
			if str, ok := v.(string); ok {
				b.WriteString(str)
			} else {
				pyRepr(&b, v, false)
			}
		}
		return b.String(), nil
	}
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("template %q: %v", t.src, r)
		}
	}()
	out, err := t.tpl.ExecuteToString(exec.NewContext(doc))
	if err != nil {
		return "", t.wrapErr(err)
	}
	return out, nil
}

// Value evaluates t against doc to a Go value: the raw field for a bare
// field reference, the expression's value for a single-expression template
// ("{{choices.text}}" gives a list), else the rendered string.
func (t *Template) Value(doc Doc) (v any, err error) {
	if t.field != "" {
		v, ok := doc[t.field]
		if !ok {
			return nil, &MissingFieldError{Field: t.field, Template: t.src}
		}
		return v, nil
	}
	if t.segs != nil {
		if len(t.segs) == 1 && t.segs[0].path != nil {
			v, err := lookup(doc, t.segs[0].path)
			if err != nil {
				err.(*MissingFieldError).Template = t.src
				return nil, err
			}
			return v, nil
		}
		return t.Render(doc)
	}
	if t.expr == nil {
		return t.Render(doc)
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("template %q: %v", t.src, r)
		}
	}()
	env := &exec.Environment{
		Context:           t.env.Context.Inherit().Update(exec.NewContext(doc)),
		Filters:           t.env.Filters,
		Tests:             t.env.Tests,
		ControlStructures: t.env.ControlStructures,
		Methods:           t.env.Methods,
	}
	r := exec.NewRenderer(env, io.Discard, t.cfg, nil, t.tpl)
	val := r.Eval(t.expr)
	if val.IsError() {
		return nil, t.wrapErr(fmt.Errorf("%s", val.Error()))
	}
	pv, err := plainValue(val, 0)
	if err != nil {
		return nil, t.wrapErr(err)
	}
	return pv, nil
}

// plainValue converts an evaluated expression to the Go values documents
// hold: a list or dict literal built by the template ("{{[sol1, sol2]}}",
// which lm-eval renders and reads back with ast.literal_eval) becomes
// []any or map[string]any, element by element; anything else is the value
// itself (document fields keep their own types).
func plainValue(v *exec.Value, depth int) (any, error) {
	if depth > maxLiteralDepth {
		return nil, fmt.Errorf("value nested deeper than %d levels", maxLiteralDepth)
	}
	switch x := v.Interface().(type) {
	case exec.ValuesList:
		out := make([]any, len(x))
		for i, e := range x {
			pv, err := plainValue(e, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = pv
		}
		return out, nil
	case *exec.Dict:
		out := make(map[string]any, len(x.Pairs))
		for _, p := range x.Pairs {
			if !p.Key.IsString() {
				return nil, fmt.Errorf("dict key %s is not a string", p.Key.String())
			}
			pv, err := plainValue(p.Value, depth+1)
			if err != nil {
				return nil, err
			}
			out[p.Key.String()] = pv
		}
		return out, nil
	}
	return v.Interface(), nil
}

// pyStr formats v like Python's str() of the equivalent Python value.
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	pyRepr(&b, v, false)
	return b.String()
}

// pyRepr writes Python's repr (or str when top is a string and !quote).
func pyRepr(b *strings.Builder, v any, quote bool) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case string:
		if quote {
			b.WriteString(pyrepr.Str(x))
		} else {
			b.WriteString(x)
		}
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float64:
		b.WriteString(pyrepr.Float(x))
	case float32:
		b.WriteString(pyrepr.Float(float64(x)))
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, e, true)
		}
		b.WriteByte(']')
	case []string:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyrepr.Str(e))
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(pyrepr.Str(k))
			b.WriteString(": ")
			pyRepr(b, x[k], true)
		}
		b.WriteByte('}')
	default:
		fmt.Fprint(b, x)
	}
}
