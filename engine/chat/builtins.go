package chat

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// pyIsSpace is Python's str.isspace for one character.
func pyIsSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// args is a helper for binding positional and keyword arguments.
type argSpec struct {
	what  string
	names []string
	args  []any
	kw    *dict
}

// bind returns the value of parameter i (positional or by name) or def.
func (a *argSpec) get(i int, def any) any {
	if i < len(a.args) {
		return a.args[i]
	}
	if a.kw != nil {
		if v, ok := a.kw.vals[a.names[i]]; ok {
			return v
		}
	}
	return def
}

func (a *argSpec) check() error {
	if len(a.args) > len(a.names) {
		return fmt.Errorf("%s takes at most %d arguments (%d given)", a.what, len(a.names), len(a.args))
	}
	if a.kw != nil {
		for _, k := range a.kw.keys {
			ok := false
			for _, n := range a.names {
				if n == k {
					ok = true
				}
			}
			if !ok {
				return fmt.Errorf("%s got an unexpected keyword argument %q", a.what, str(k))
			}
		}
	}
	return nil
}

func spec(what string, args []any, kw *dict, names ...string) (*argSpec, error) {
	a := &argSpec{what: what, names: names, args: args, kw: kw}
	return a, a.check()
}

func optString(v any, what string) (string, bool, error) {
	switch x := v.(type) {
	case nil, undefined:
		return "", false, nil
	case string:
		return x, true, nil
	}
	return "", false, fmt.Errorf("%s must be a string or None, not %s", what, typeName(v))
}

func intArg(v any, what string) (int64, error) {
	n, ok := asInt(v)
	if !ok {
		return 0, fmt.Errorf("%s must be an integer, not %s", what, typeName(v))
	}
	return n, nil
}

// ---- globals ----

func (t *Template) globals(now func() time.Time) map[string]any {
	return map[string]any{
		"range": &builtin{name: "range", fn: func(_ *renderer, args []any, kw *dict) (any, error) {
			if len(kw.keys) > 0 || len(args) == 0 || len(args) > 3 {
				return nil, errors.New("range expects 1 to 3 integer arguments")
			}
			var n [3]int64
			for i, a := range args {
				v, err := intArg(a, "range argument")
				if err != nil {
					return nil, err
				}
				n[i] = v
			}
			start, stop, step := int64(0), n[0], int64(1)
			if len(args) >= 2 {
				start, stop = n[0], n[1]
			}
			if len(args) == 3 {
				step = n[2]
			}
			if step == 0 {
				return nil, errors.New("range() arg 3 must not be zero")
			}
			var out []any
			for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
				out = append(out, i)
				if len(out) > 1_000_000 {
					return nil, errors.New("range too large")
				}
			}
			return out, nil
		}},
		"namespace": &builtin{name: "namespace", fn: func(_ *renderer, args []any, kw *dict) (any, error) {
			d, err := mergeDicts("namespace", args, kw)
			if err != nil {
				return nil, err
			}
			return &namespace{d}, nil
		}},
		"dict": &builtin{name: "dict", fn: func(_ *renderer, args []any, kw *dict) (any, error) {
			return mergeDicts("dict", args, kw)
		}},
		"raise_exception": &builtin{name: "raise_exception", fn: func(_ *renderer, args []any, _ *dict) (any, error) {
			msg := ""
			if len(args) > 0 {
				msg = str(args[0])
			}
			return nil, &raised{msg}
		}},
		"strftime_now": &builtin{name: "strftime_now", fn: func(_ *renderer, args []any, _ *dict) (any, error) {
			if len(args) != 1 {
				return nil, errors.New("strftime_now expects one format argument")
			}
			f, ok := args[0].(string)
			if !ok {
				return nil, fmt.Errorf("strftime_now format must be a string, not %s", typeName(args[0]))
			}
			return strftime(now(), f)
		}},
	}
}

// strftime implements Python's time.strftime for the common directives.
func strftime(t time.Time, format string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(format) {
			return "", errors.New("strftime: format ends with '%'")
		}
		pad := true
		if format[i] == '-' && i+1 < len(format) { // glibc: no padding
			pad = false
			i++
		}
		num := func(n, width int) {
			if pad {
				fmt.Fprintf(&b, "%0*d", width, n)
			} else {
				b.WriteString(strconv.Itoa(n))
			}
		}
		switch d := format[i]; d {
		case 'a':
			b.WriteString(t.Weekday().String()[:3])
		case 'A':
			b.WriteString(t.Weekday().String())
		case 'b', 'h':
			b.WriteString(t.Month().String()[:3])
		case 'B':
			b.WriteString(t.Month().String())
		case 'd':
			num(t.Day(), 2)
		case 'e':
			fmt.Fprintf(&b, "%2d", t.Day())
		case 'H':
			num(t.Hour(), 2)
		case 'I':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			num(h, 2)
		case 'j':
			num(t.YearDay(), 3)
		case 'm':
			num(int(t.Month()), 2)
		case 'M':
			num(t.Minute(), 2)
		case 'p':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'S':
			num(t.Second(), 2)
		case 'w':
			b.WriteString(strconv.Itoa(int(t.Weekday())))
		case 'y':
			num(t.Year()%100, 2)
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'Z':
			name, _ := t.Zone()
			b.WriteString(name)
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("strftime: unsupported directive %%%c", d)
		}
	}
	return b.String(), nil
}

// ---- tests ----

func (r *renderer) applyTest(name string, v any, args []any, line int) (bool, error) {
	need := func(n int) error {
		if len(args) != n {
			return r.errorf(line, "test %q takes %d argument(s), %d given", name, n, len(args))
		}
		return nil
	}
	switch name {
	case "defined":
		_, u := v.(undefined)
		return !u, nil
	case "undefined":
		_, u := v.(undefined)
		return u, nil
	case "none":
		return v == nil, nil
	case "boolean":
		_, ok := v.(bool)
		return ok, nil
	case "true":
		b, ok := v.(bool)
		return ok && b, nil
	case "false":
		b, ok := v.(bool)
		return ok && !b, nil
	case "integer":
		_, ok := v.(int64)
		return ok, nil
	case "float":
		_, ok := v.(float64)
		return ok, nil
	case "number":
		switch v.(type) {
		case int64, float64, bool:
			return true, nil
		}
		return false, nil
	case "string":
		_, ok := v.(string)
		return ok, nil
	case "mapping":
		switch v.(type) {
		case *dict:
			return true, nil
		}
		return false, nil
	case "iterable":
		switch v.(type) {
		case []any, tuple, *dict, string:
			return true, nil
		}
		return false, nil
	case "sequence":
		switch v.(type) {
		case []any, tuple, *dict, string:
			return true, nil
		}
		return false, nil
	case "callable":
		switch v.(type) {
		case *macro, *builtin, *boundMethod:
			return true, nil
		}
		return false, nil
	case "sameas":
		if err := need(1); err != nil {
			return false, err
		}
		a, b := v, args[0]
		if a == nil || b == nil {
			return a == nil && b == nil, nil
		}
		switch a.(type) {
		case bool:
			return a == b, nil
		}
		return false, nil
	case "eq", "equalto", "==":
		if err := need(1); err != nil {
			return false, err
		}
		return equal(v, args[0]), nil
	case "ne", "!=":
		if err := need(1); err != nil {
			return false, err
		}
		return !equal(v, args[0]), nil
	case "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=":
		if err := need(1); err != nil {
			return false, err
		}
		op := map[string]string{"lt": "<", "lessthan": "<", "le": "<=", "gt": ">", "greaterthan": ">", "ge": ">="}[name]
		if op == "" {
			op = name
		}
		ok, err := compare(op, v, args[0])
		if err != nil {
			return false, r.errorf(line, "test %q: %v", name, err)
		}
		return ok, nil
	case "in":
		if err := need(1); err != nil {
			return false, err
		}
		ok, err := contains(args[0], v)
		if err != nil {
			return false, r.errorf(line, "test %q: %v", name, err)
		}
		return ok, nil
	case "lower", "upper":
		s, ok := v.(string)
		if !ok {
			return false, nil
		}
		if name == "lower" {
			return s == strings.ToLower(s), nil
		}
		return s == strings.ToUpper(s), nil
	case "even", "odd", "divisibleby":
		n, ok := asInt(v)
		if !ok {
			return false, r.errorf(line, "test %q needs an integer, got %s", name, typeName(v))
		}
		switch name {
		case "even":
			return n%2 == 0, nil
		case "odd":
			return n%2 != 0, nil
		}
		if err := need(1); err != nil {
			return false, err
		}
		d, ok := asInt(args[0])
		if !ok || d == 0 {
			return false, r.errorf(line, "test divisibleby needs a non-zero integer")
		}
		return n%d == 0, nil
	}
	return false, r.errorf(line, "unknown test %q", name)
}

// ---- filters ----

func (r *renderer) applyFilter(f *filterExpr, v any, sc *scope) (any, error) {
	args, err := r.evalList(f.args, sc)
	if err != nil {
		return nil, err
	}
	kw, err := r.evalKwargs(f.kwargs, sc)
	if err != nil {
		return nil, err
	}
	out, err := r.filter(f.name, v, args, kw, f.line)
	if err != nil {
		var te *Error
		if errors.As(err, &te) {
			return nil, err
		}
		return nil, r.errorf(f.line, "filter %q: %v", f.name, err)
	}
	return out, nil
}

func (r *renderer) filter(name string, v any, args []any, kw *dict, line int) (any, error) {
	sp := func(names ...string) (*argSpec, error) { return spec("filter "+name, args, kw, names...) }
	switch name {
	case "safe", "e", "escape", "forceescape":
		if _, err := sp(); err != nil {
			return nil, err
		}
		if name == "safe" {
			return v, nil
		}
		return htmlEscape(str(v)), nil
	case "trim":
		a, err := sp("chars")
		if err != nil {
			return nil, err
		}
		chars, ok, err := optString(a.get(0, nil), "chars")
		if err != nil {
			return nil, err
		}
		return pyStrip(str(v), chars, ok, true, true), nil
	case "upper":
		return strings.ToUpper(str(v)), nil
	case "lower":
		return strings.ToLower(str(v)), nil
	case "capitalize":
		return capitalize(str(v)), nil
	case "title":
		return jinjaTitle(str(v)), nil
	case "string":
		return str(v), nil
	case "length", "count":
		n, err := length(v)
		return int64(n), err
	case "wordcount":
		return int64(len(strings.FieldsFunc(str(v), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }))), nil
	case "default", "d":
		a, err := sp("default_value", "boolean")
		if err != nil {
			return nil, err
		}
		_, isU := v.(undefined)
		if isU || truthy(a.get(1, false)) && !truthy(v) {
			return a.get(0, ""), nil
		}
		return v, nil
	case "first", "last":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undefined{}, nil
		}
		if name == "first" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "list":
		items, err := iterate(v)
		return append([]any{}, items...), err
	case "reverse":
		if s, ok := v.(string); ok {
			rs := []rune(s)
			for i, j := 0, len(rs)-1; i < j; i, j = i+1, j-1 {
				rs[i], rs[j] = rs[j], rs[i]
			}
			return string(rs), nil
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		for i, e := range items {
			out[len(items)-1-i] = e
		}
		return out, nil
	case "join":
		a, err := sp("d", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, e := range items {
			if attr := a.get(1, nil); attr != nil {
				if e, err = r.attrPath(e, attr, line); err != nil {
					return nil, err
				}
			}
			parts[i] = str(e)
		}
		return strings.Join(parts, str(a.get(0, ""))), nil
	case "replace":
		a, err := sp("old", "new", "count")
		if err != nil {
			return nil, err
		}
		n := int64(-1)
		if c := a.get(2, nil); c != nil {
			if n, err = intArg(c, "count"); err != nil {
				return nil, err
			}
		}
		return safeReplace(str(v), str(a.get(0, "")), str(a.get(1, "")), n)
	case "int":
		a, err := sp("default", "base")
		if err != nil {
			return nil, err
		}
		return toInt(v, a.get(0, int64(0))), nil
	case "float":
		a, err := sp("default")
		if err != nil {
			return nil, err
		}
		return toFloat(v, a.get(0, 0.0)), nil
	case "abs":
		switch x := v.(type) {
		case int64:
			if x < 0 {
				return -x, nil
			}
			return x, nil
		case float64:
			return math.Abs(x), nil
		}
		return nil, fmt.Errorf("bad operand type for abs(): %s", typeName(v))
	case "round":
		a, err := sp("precision", "method")
		if err != nil {
			return nil, err
		}
		f, ok := asFloat(v)
		if !ok {
			return nil, fmt.Errorf("cannot round %s", typeName(v))
		}
		p, err := intArg(a.get(0, int64(0)), "precision")
		if err != nil {
			return nil, err
		}
		m := math.Pow(10, float64(p))
		switch str(a.get(1, "common")) {
		case "common": // Python's round(): half to even
			return math.RoundToEven(f*m) / m, nil
		case "floor":
			return math.Floor(f*m) / m, nil
		case "ceil":
			return math.Ceil(f*m) / m, nil
		}
		return nil, errors.New("method must be common, ceil or floor")
	case "tojson":
		a, err := sp("indent", "ensure_ascii", "separators", "sort_keys")
		if err != nil {
			return nil, err
		}
		return r.tojson(v, a)
	case "items":
		if _, isU := v.(undefined); isU {
			return []any{}, nil
		}
		d, ok := v.(*dict)
		if !ok {
			return nil, fmt.Errorf("can only get item pairs from a mapping, not %s", typeName(v))
		}
		return dictItems(d), nil
	case "dictsort":
		a, err := sp("case_sensitive", "by", "reverse")
		if err != nil {
			return nil, err
		}
		d, ok := v.(*dict)
		if !ok {
			return nil, fmt.Errorf("dictsort needs a mapping, not %s", typeName(v))
		}
		items := dictItems(d)
		pos := 0
		if str(a.get(1, "key")) == "value" {
			pos = 1
		}
		cs := truthy(a.get(0, false))
		err = sortValues(items, func(x any) any { l, _ := asList(x); return l[pos] }, cs, truthy(a.get(2, false)))
		return items, err
	case "sort":
		a, err := sp("reverse", "case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		items = append([]any(nil), items...)
		key := func(x any) any { return x }
		if attr := a.get(2, nil); attr != nil {
			key = func(x any) any { y, _ := r.attrPath(x, attr, line); return y }
		}
		err = sortValues(items, key, truthy(a.get(1, false)), truthy(a.get(0, false)))
		return items, err
	case "unique":
		a, err := sp("case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		var out, seen []any
		for _, e := range items {
			k := e
			if attr := a.get(1, nil); attr != nil {
				if k, err = r.attrPath(e, attr, line); err != nil {
					return nil, err
				}
			}
			if s, ok := k.(string); ok && !truthy(a.get(0, false)) {
				k = strings.ToLower(s)
			}
			dup := false
			for _, s := range seen {
				if equal(s, k) {
					dup = true
					break
				}
			}
			if !dup {
				seen = append(seen, k)
				out = append(out, e)
			}
		}
		return out, nil
	case "min", "max":
		a, err := sp("case_sensitive", "attribute")
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return undefined{}, nil
		}
		items = append([]any(nil), items...)
		key := func(x any) any { return x }
		if attr := a.get(1, nil); attr != nil {
			key = func(x any) any { y, _ := r.attrPath(x, attr, line); return y }
		}
		if err := sortValues(items, key, truthy(a.get(0, false)), false); err != nil {
			return nil, err
		}
		if name == "min" {
			return items[0], nil
		}
		return items[len(items)-1], nil
	case "sum":
		a, err := sp("attribute", "start")
		if err != nil {
			return nil, err
		}
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		total := a.get(1, int64(0))
		for _, e := range items {
			if attr := a.get(0, nil); attr != nil {
				if e, err = r.attrPath(e, attr, line); err != nil {
					return nil, err
				}
			}
			if total, err = binaryOp("+", total, e); err != nil {
				return nil, err
			}
		}
		return total, nil
	case "map":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(items))
		if attr, ok := kw.vals["attribute"]; ok {
			def, hasDef := kw.vals["default"]
			for i, e := range items {
				y, err := r.attrPath(e, attr, line)
				if err != nil {
					return nil, err
				}
				if _, u := y.(undefined); u && hasDef {
					y = def
				}
				out[i] = y
			}
			return out, nil
		}
		if len(args) == 0 {
			return nil, errors.New("map needs a filter name or attribute=")
		}
		fname, ok := args[0].(string)
		if !ok {
			return nil, errors.New("map: filter name must be a string")
		}
		for i, e := range items {
			if out[i], err = r.filter(fname, e, args[1:], kw, line); err != nil {
				return nil, err
			}
		}
		return out, nil
	case "select", "reject", "selectattr", "rejectattr":
		items, err := iterate(v)
		if err != nil {
			return nil, err
		}
		rest := args
		var attr any
		if strings.HasSuffix(name, "attr") {
			if len(rest) == 0 {
				return nil, fmt.Errorf("%s needs an attribute name", name)
			}
			attr, rest = rest[0], rest[1:]
		}
		want := strings.HasPrefix(name, "select")
		var out []any
		for _, e := range items {
			x := e
			if attr != nil {
				if x, err = r.attrPath(e, attr, line); err != nil {
					return nil, err
				}
			}
			var ok bool
			if len(rest) == 0 {
				ok = truthy(x)
			} else {
				tname, isStr := rest[0].(string)
				if !isStr {
					return nil, fmt.Errorf("%s: test name must be a string", name)
				}
				if ok, err = r.applyTest(tname, x, rest[1:], line); err != nil {
					return nil, err
				}
			}
			if ok == want {
				out = append(out, e)
			}
		}
		return out, nil
	case "attr":
		a, err := sp("name")
		if err != nil {
			return nil, err
		}
		return r.getAttr(v, str(a.get(0, "")), line, &nameExpr{name: "value"})
	case "indent":
		a, err := sp("width", "first", "blank")
		if err != nil {
			return nil, err
		}
		ind := ""
		switch w := a.get(0, int64(4)).(type) {
		case string:
			ind = w
		default:
			n, err := intArg(w, "width")
			if err != nil {
				return nil, err
			}
			if n > 1024 {
				return nil, errTooLarge
			}
			ind = strings.Repeat(" ", int(max(n, 0)))
		}
		return indent(str(v), ind, truthy(a.get(1, false)), truthy(a.get(2, false))), nil
	case "format":
		if len(kw.keys) > 0 {
			return nil, errors.New("format: keyword arguments are not supported")
		}
		return percentFormat(str(v), args)
	}
	return nil, r.errorf(line, "unknown filter %q", name)
}

// safeReplace is strings.Replace with a bound on the result's size.
func safeReplace(s, old, new string, n int64) (any, error) {
	count := int64(strings.Count(s, old))
	if old == "" {
		count = int64(utf8.RuneCountInString(s)) + 1
	}
	if n >= 0 && n < count {
		count = n
	}
	if int64(len(s))+count*int64(len(new)-len(old)) > maxString {
		return nil, errTooLarge
	}
	return strings.Replace(s, old, new, int(n)), nil
}

// unsupportedFilters are Jinja built-ins this package does not implement.
var unsupportedFilters = setOf("batch", "slice", "center", "truncate", "wordwrap", "urlize", "urlencode",
	"xmlattr", "striptags", "filesizeformat", "groupby", "pprint", "random")

// attrPath resolves "a.b.c" (or an integer index) on v, as Jinja's
// attribute= arguments do.
func (r *renderer) attrPath(v, attr any, line int) (any, error) {
	if n, ok := attr.(int64); ok {
		return r.getItem(v, n, line, &nameExpr{name: "item"})
	}
	for _, part := range strings.Split(str(attr), ".") {
		var err error
		if n, e := strconv.Atoi(part); e == nil {
			v, err = r.getItem(v, int64(n), line, &nameExpr{name: "item"})
		} else {
			v, err = r.getItem(v, part, line, &nameExpr{name: "item"})
		}
		if err != nil {
			return nil, err
		}
	}
	return v, nil
}

func dictItems(d *dict) []any {
	out := make([]any, len(d.keys))
	for i, k := range d.keys {
		out[i] = tuple{k, d.vals[k]}
	}
	return out
}

func sortValues(items []any, key func(any) any, caseSensitive, reverse bool) error {
	var err error
	k := func(x any) any {
		y := key(x)
		if s, ok := y.(string); ok && !caseSensitive {
			return strings.ToLower(s)
		}
		return y
	}
	sort.SliceStable(items, func(i, j int) bool {
		c, e := order(k(items[i]), k(items[j]))
		if e != nil && err == nil {
			err = fmt.Errorf("cannot sort %s and %s", typeName(k(items[i])), typeName(k(items[j])))
		}
		if reverse {
			return c > 0
		}
		return c < 0
	})
	return err
}

func length(v any) (int, error) {
	switch x := untuple(v).(type) {
	case string:
		return utf8.RuneCountInString(x), nil
	case []any:
		return len(x), nil
	case *dict:
		return len(x.keys), nil
	case undefined:
		return 0, nil
	}
	return 0, fmt.Errorf("object of type %s has no len()", typeName(v))
}

func toInt(v, def any) any {
	switch x := v.(type) {
	case int64:
		return x
	case bool:
		return boolInt(x)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return def
		}
		return int64(x)
	case string:
		s := strings.TrimSpace(strings.ReplaceAll(x, "_", ""))
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return int64(f)
		}
	}
	return def
}

func toFloat(v, def any) any {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case bool:
		return float64(boolInt(x))
	case float64:
		return x
	case string:
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f
		}
	}
	return def
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + strings.ToLower(s[n:])
}

// jinjaTitle is Jinja's title filter: words start after whitespace and -({[<.
func jinjaTitle(s string) string {
	var b strings.Builder
	start := true
	for _, r := range s {
		if pyIsSpace(r) || strings.ContainsRune("-({[<", r) {
			b.WriteRune(r)
			start = true
			continue
		}
		if start {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = false
	}
	return b.String()
}

// pyTitle is Python's str.title.
func pyTitle(s string) string {
	var b strings.Builder
	prevCased := false
	for _, r := range s {
		if prevCased {
			b.WriteRune(unicode.ToLower(r))
		} else {
			b.WriteRune(unicode.ToTitle(r))
		}
		prevCased = unicode.IsLetter(r)
	}
	return b.String()
}

func indent(s, ind string, first, blank bool) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i == 0 && !first {
			continue
		}
		if l == "" && !blank {
			continue
		}
		lines[i] = ind + l
	}
	return strings.Join(lines, "\n")
}

// pyStrip is Python's str.strip/lstrip/rstrip.
func pyStrip(s, chars string, hasChars, left, right bool) string {
	f := pyIsSpace
	if hasChars {
		f = func(r rune) bool { return strings.ContainsRune(chars, r) }
	}
	if left {
		s = strings.TrimLeftFunc(s, f)
	}
	if right {
		s = strings.TrimRightFunc(s, f)
	}
	return s
}

func (r *renderer) tojson(v any, a *argSpec) (any, error) {
	indentStr, hasIndent := "", false
	switch x := a.get(0, nil).(type) {
	case nil, undefined:
	case string:
		indentStr, hasIndent = x, true
	default:
		n, err := intArg(x, "indent")
		if err != nil {
			return nil, err
		}
		if n > 1024 {
			return nil, errTooLarge
		}
		indentStr, hasIndent = strings.Repeat(" ", int(max(n, 0))), true
	}
	itemSep, keySep := ", ", ": "
	if hasIndent {
		itemSep = ","
	}
	if seps := a.get(2, nil); seps != nil {
		l, ok := asList(seps)
		if !ok || len(l) != 2 {
			return nil, errors.New("separators must be an (item_separator, key_separator) pair")
		}
		itemSep, keySep = str(l[0]), str(l[1])
	}
	s, err := toJSON(v, indentStr, hasIndent, itemSep, keySep, truthy(a.get(3, false)))
	if err != nil {
		return nil, err
	}
	if truthy(a.get(1, false)) {
		s = asciiEscape(s)
	}
	return s, nil
}

func asciiEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}

// ---- methods ----

var methodNames = map[string][]string{
	"str": {"startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "upper", "lower",
		"title", "capitalize", "replace", "find", "rfind", "count", "join", "isdigit", "isalpha",
		"isalnum", "isspace", "islower", "isupper", "splitlines", "format", "removeprefix", "removesuffix", "index", "rindex"},
	"dict": {"items", "keys", "values", "get"},
	"list": {"index", "count"},
	// Mutating methods exist but are refused, as in Hugging Face's
	// ImmutableSandboxedEnvironment.
	"list-mut": {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"},
	"dict-mut": {"update", "pop", "popitem", "setdefault", "clear"},
}

func isMethod(recv any, name string) bool {
	var kinds []string
	switch untuple(recv).(type) {
	case string:
		kinds = []string{"str"}
	case *dict:
		kinds = []string{"dict", "dict-mut"}
	case []any:
		kinds = []string{"list", "list-mut"}
	}
	for _, k := range kinds {
		for _, n := range methodNames[k] {
			if n == name {
				return true
			}
		}
	}
	return false
}

func callMethod(recv any, name string, args []any, kw *dict) (any, error) {
	what := typeName(recv) + "." + name + "()"
	sp := func(names ...string) (*argSpec, error) { return spec(what, args, kw, names...) }
	switch x := untuple(recv).(type) {
	case string:
		return strMethod(x, name, sp)
	case *dict:
		switch name {
		case "items":
			return dictItems(x), nil
		case "keys":
			return append([]any{}, x.keys...), nil
		case "values":
			out := make([]any, len(x.keys))
			for i, k := range x.keys {
				out[i] = x.vals[k]
			}
			return out, nil
		case "get":
			a, err := sp("key", "default")
			if err != nil {
				return nil, err
			}
			if v, ok := x.get(a.get(0, nil)); ok {
				return v, nil
			}
			return a.get(1, nil), nil
		}
	case []any:
		switch name {
		case "index", "count":
			a, err := sp("value")
			if err != nil {
				return nil, err
			}
			n := int64(0)
			for i, e := range x {
				if equal(e, a.get(0, nil)) {
					if name == "index" {
						return int64(i), nil
					}
					n++
				}
			}
			if name == "index" {
				return nil, fmt.Errorf("%s is not in list", repr(a.get(0, nil)))
			}
			return n, nil
		}
	}
	if isMethod(recv, name) {
		return nil, fmt.Errorf("unsafe: %s modifies its object, which chat templates may not do (Hugging Face renders them in an immutable sandbox)", what)
	}
	return nil, fmt.Errorf("unknown method %s", what)
}

func strMethod(s, name string, sp func(...string) (*argSpec, error)) (any, error) {
	switch name {
	case "startswith", "endswith":
		a, err := sp("prefix", "start", "end")
		if err != nil {
			return nil, err
		}
		sub := s
		if st := a.get(1, nil); st != nil || a.get(2, nil) != nil {
			rs := []rune(s)
			var lo, hi *int64
			if n, ok := asInt(st); ok {
				lo = &n
			}
			if n, ok := asInt(a.get(2, nil)); ok {
				hi = &n
			}
			idx, _ := sliceIndices(len(rs), lo, hi, nil)
			var b strings.Builder
			for _, i := range idx {
				b.WriteRune(rs[i])
			}
			sub = b.String()
		}
		var cands []any
		switch p := untuple(a.get(0, nil)).(type) {
		case string:
			cands = []any{p}
		case []any:
			cands = p
		default:
			return nil, fmt.Errorf("str.%s() argument must be str or a tuple of str, not %s", name, typeName(p))
		}
		for _, c := range cands {
			cs, ok := c.(string)
			if !ok {
				return nil, fmt.Errorf("str.%s() tuple must contain only strings", name)
			}
			if name == "startswith" && strings.HasPrefix(sub, cs) || name == "endswith" && strings.HasSuffix(sub, cs) {
				return true, nil
			}
		}
		return false, nil
	case "split", "rsplit":
		a, err := sp("sep", "maxsplit")
		if err != nil {
			return nil, err
		}
		sep, hasSep, err := optString(a.get(0, nil), "sep")
		if err != nil {
			return nil, err
		}
		maxsplit, err := intArg(a.get(1, int64(-1)), "maxsplit")
		if err != nil {
			return nil, err
		}
		if hasSep && sep == "" {
			return nil, errors.New("empty separator")
		}
		parts := pySplit(s, sep, hasSep, int(maxsplit), name == "rsplit")
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	case "strip", "lstrip", "rstrip":
		a, err := sp("chars")
		if err != nil {
			return nil, err
		}
		chars, has, err := optString(a.get(0, nil), "chars")
		if err != nil {
			return nil, err
		}
		return pyStrip(s, chars, has, name != "rstrip", name != "lstrip"), nil
	case "upper":
		return strings.ToUpper(s), nil
	case "lower":
		return strings.ToLower(s), nil
	case "title":
		return pyTitle(s), nil
	case "capitalize":
		return capitalize(s), nil
	case "replace":
		a, err := sp("old", "new", "count")
		if err != nil {
			return nil, err
		}
		n, err := intArg(a.get(2, int64(-1)), "count")
		if err != nil {
			return nil, err
		}
		return safeReplace(s, str(a.get(0, "")), str(a.get(1, "")), n)
	case "find", "rfind", "index", "rindex", "count":
		a, err := sp("sub")
		if err != nil {
			return nil, err
		}
		sub, ok := a.get(0, nil).(string)
		if !ok {
			return nil, fmt.Errorf("str.%s() argument must be str", name)
		}
		if name == "count" {
			if sub == "" {
				return int64(utf8.RuneCountInString(s) + 1), nil
			}
			return int64(strings.Count(s, sub)), nil
		}
		i := strings.Index(s, sub)
		if name[0] == 'r' {
			i = strings.LastIndex(s, sub)
		}
		if i < 0 {
			if strings.HasSuffix(name, "index") {
				return nil, errors.New("substring not found")
			}
			return int64(-1), nil
		}
		return int64(utf8.RuneCountInString(s[:i])), nil
	case "join":
		a, err := sp("iterable")
		if err != nil {
			return nil, err
		}
		items, err := iterate(a.get(0, nil))
		if err != nil {
			return nil, err
		}
		parts := make([]string, len(items))
		for i, e := range items {
			es, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("sequence item %d: expected str instance, %s found", i, typeName(e))
			}
			parts[i] = es
		}
		return strings.Join(parts, s), nil
	case "isdigit", "isalpha", "isalnum", "isspace":
		if s == "" {
			return false, nil
		}
		for _, r := range s {
			ok := false
			switch name {
			case "isdigit":
				ok = unicode.IsDigit(r)
			case "isalpha":
				ok = unicode.IsLetter(r)
			case "isalnum":
				ok = unicode.IsLetter(r) || unicode.IsNumber(r)
			case "isspace":
				ok = pyIsSpace(r)
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	case "islower", "isupper":
		cased := false
		for _, r := range s {
			if unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) {
				cased = true
				if name == "islower" && !unicode.IsLower(r) || name == "isupper" && !unicode.IsUpper(r) {
					return false, nil
				}
			}
		}
		return cased, nil
	case "splitlines":
		a, err := sp("keepends")
		if err != nil {
			return nil, err
		}
		var out []any
		keep := truthy(a.get(0, false))
		for s != "" {
			i := strings.IndexAny(s, "\n\r\v\f\x1c\x1d\x1e\u0085\u2028\u2029")
			if i < 0 {
				out = append(out, s)
				break
			}
			_, n := utf8.DecodeRuneInString(s[i:])
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				n = 2
			}
			if keep {
				out = append(out, s[:i+n])
			} else {
				out = append(out, s[:i])
			}
			s = s[i+n:]
		}
		if out == nil {
			out = []any{}
		}
		return out, nil
	case "removeprefix":
		a, err := sp("prefix")
		if err != nil {
			return nil, err
		}
		return strings.TrimPrefix(s, str(a.get(0, ""))), nil
	case "removesuffix":
		a, err := sp("suffix")
		if err != nil {
			return nil, err
		}
		return strings.TrimSuffix(s, str(a.get(0, ""))), nil
	case "format":
		return nil, errors.New("str.format() is not supported; use the ~ operator or the format filter")
	}
	return nil, fmt.Errorf("unknown method str.%s()", name)
}

// pySplit is Python's str.split/rsplit.
func pySplit(s, sep string, hasSep bool, maxsplit int, fromRight bool) []string {
	if hasSep {
		if maxsplit < 0 {
			return strings.Split(s, sep)
		}
		if !fromRight {
			return strings.SplitN(s, sep, maxsplit+1)
		}
		var out []string
		for len(out) < maxsplit {
			i := strings.LastIndex(s, sep)
			if i < 0 {
				break
			}
			out = append([]string{s[i+len(sep):]}, out...)
			s = s[:i]
		}
		return append([]string{s}, out...)
	}
	// Whitespace splitting: runs of whitespace, no empty strings; the
	// unsplit remainder keeps its inner and far-side whitespace.
	if maxsplit < 0 {
		fields := strings.FieldsFunc(s, pyIsSpace)
		if fields == nil {
			return []string{}
		}
		return fields
	}
	out := []string{}
	rest := s
	if !fromRight {
		for len(out) < maxsplit {
			rest = strings.TrimLeftFunc(rest, pyIsSpace)
			i := strings.IndexFunc(rest, pyIsSpace)
			if i < 0 {
				break
			}
			out = append(out, rest[:i])
			rest = rest[i:]
		}
		if rest = strings.TrimLeftFunc(rest, pyIsSpace); rest != "" {
			out = append(out, rest)
		}
		return out
	}
	for len(out) < maxsplit {
		rest = strings.TrimRightFunc(rest, pyIsSpace)
		i := strings.LastIndexFunc(rest, pyIsSpace)
		if i < 0 {
			break
		}
		_, n := utf8.DecodeRuneInString(rest[i:])
		out = append([]string{rest[i+n:]}, out...)
		rest = rest[:i+n]
	}
	if rest = strings.TrimRightFunc(rest, pyIsSpace); rest != "" {
		out = append([]string{rest}, out...)
	}
	return out
}

// mergeDicts is the body of dict(...) and namespace(...): the positional
// dicts' items in order, then the keyword arguments.
func mergeDicts(fn string, args []any, kw *dict) (*dict, error) {
	d := newDict()
	for _, a := range args {
		src, ok := a.(*dict)
		if !ok {
			return nil, fmt.Errorf("%s() positional argument must be a dict, not %s", fn, typeName(a))
		}
		for _, k := range src.keys {
			d.set(k, src.vals[k])
		}
	}
	for _, k := range kw.keys {
		d.set(k, kw.vals[k])
	}
	return d, nil
}
