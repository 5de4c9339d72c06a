package chat

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/ouroeval/ouroeval/internal/pyrepr"
)

// Template values follow Python's data model:
//
//	nil        None
//	undefined  Jinja's Undefined
//	bool, int64, float64, string
//	[]any      list (and tuple)
//	*dict      dict, insertion-ordered
//	*namespace namespace()
//	*macro, builtin, *boundMethod  callables
//	*loopInfo  the loop variable

type undefined struct{ name string }

// tuple is a Python tuple: a list that prints with parentheses.
type tuple []any

// asList returns the elements of a list or tuple.
func asList(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case tuple:
		return x, true
	}
	return nil, false
}

// untuple turns a tuple into a list and leaves other values alone.
func untuple(v any) any {
	if t, ok := v.(tuple); ok {
		return []any(t)
	}
	return v
}

type dict struct {
	keys []any
	vals map[any]any
}

func newDict() *dict { return &dict{vals: map[any]any{}} }

func (d *dict) set(k, v any) {
	if _, ok := d.vals[k]; !ok {
		d.keys = append(d.keys, k)
	}
	d.vals[k] = v
}

func (d *dict) get(k any) (any, bool) {
	if !hashable(k) {
		return nil, false
	}
	k = normKey(k)
	v, ok := d.vals[k]
	return v, ok
}

type namespace struct{ d *dict }

type builtin struct {
	name string
	fn   func(r *renderer, args []any, kw *dict) (any, error)
}

type boundMethod struct {
	recv any
	name string
}

func hashable(k any) bool {
	switch k.(type) {
	case nil, bool, int64, float64, string:
		return true
	}
	return false
}

// normKey makes 1 and 1.0 the same key, as in Python.
func normKey(k any) any {
	if f, ok := k.(float64); ok && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return int64(f)
	}
	return k
}

// fromGo converts Go data (maps, slices, structs via JSON, numbers) into
// template values.
func fromGo(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case bool, string, int64, float64, *dict, *namespace, undefined:
		return x, nil
	case int:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case float32:
		return float64(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		return f, err
	case json.RawMessage:
		return fromJSONOrdered(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = fromGo(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case map[string]any:
		d := newDict()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			e, err := fromGo(x[k])
			if err != nil {
				return nil, err
			}
			d.set(k, e)
		}
		return d, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			var err error
			if out[i], err = fromGo(rv.Index(i).Interface()); err != nil {
				return nil, err
			}
		}
		return out, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("unsupported map key type %s", rv.Type().Key())
		}
		m := map[string]any{}
		for _, k := range rv.MapKeys() {
			m[k.String()] = rv.MapIndex(k).Interface()
		}
		return fromGo(m)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
		return fromGo(rv.Elem().Interface())
	case reflect.Struct:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return fromJSONOrdered(b)
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}

// fromJSONOrdered decodes JSON keeping object key order, as Python does.
func fromJSONOrdered(data []byte) (any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	v, err := decodeOrdered(dec)
	if err != nil {
		return nil, err
	}
	return v, nil
}

func decodeOrdered(dec *json.Decoder) (any, error) {
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			d := newDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				d.set(kt.(string), v)
			}
			_, err := dec.Token()
			return d, err
		case '[':
			l := []any{}
			for dec.More() {
				v, err := decodeOrdered(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			_, err := dec.Token()
			return l, err
		}
	case json.Number:
		return fromGo(x)
	}
	return t, nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case undefined:
		return "Undefined"
	case bool:
		return "bool"
	case int64:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []any:
		return "list"
	case tuple:
		return "tuple"
	case *dict:
		return "dict"
	case *namespace:
		return "Namespace"
	case *macro, *builtin, *boundMethod:
		return "function"
	case *loopInfo:
		return "LoopContext"
	}
	return fmt.Sprintf("%T", v)
}

func truthy(v any) bool {
	switch x := untuple(v).(type) {
	case nil, undefined:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case *dict:
		return len(x.keys) > 0
	}
	return true
}

// str is Python's str() (and Jinja's output conversion, except that
// Undefined prints as "").
func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case undefined:
		return ""
	}
	return repr(v)
}

// repr is Python's repr().
func repr(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case undefined:
		return ""
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return pyrepr.Float(x)
	case string:
		return pyrepr.Str(x)
	case tuple:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		if len(x) == 1 {
			return "(" + parts[0] + ",)"
		}
		return "(" + strings.Join(parts, ", ") + ")"
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = repr(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case *dict:
		parts := make([]string, len(x.keys))
		for i, k := range x.keys {
			parts[i] = repr(k) + ": " + repr(x.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case *namespace:
		return "<Namespace " + repr(x.d) + ">"
	case *macro:
		return "<Macro '" + x.node.name + "'>"
	case *builtin:
		return "<built-in function " + x.name + ">"
	case *boundMethod:
		return "<built-in method " + x.name + " of " + typeName(x.recv) + " object>"
	case *loopInfo:
		return "<LoopContext " + strconv.Itoa(x.index0+1) + "/" + strconv.Itoa(x.length) + ">"
	}
	return fmt.Sprint(v)
}

// toJSON formats like Python's json.dumps(v, ensure_ascii=False, indent,
// separators, sort_keys) as used by Hugging Face's tojson filter.
func toJSON(v any, indent string, hasIndent bool, itemSep, keySep string, sortKeys bool) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v, indent, hasIndent, itemSep, keySep, sortKeys, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, indent string, hasIndent bool, itemSep, keySep string, sortKeys bool, depth int) error {
	newline := func(d int) {
		if hasIndent {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(indent, d))
		}
	}
	switch x := untuple(v).(type) {
	case nil, undefined:
		if _, ok := x.(undefined); ok {
			return fmt.Errorf("Object of type Undefined is not JSON serializable")
		}
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(pyrepr.Float(x))
		}
	case string:
		jsonString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(depth + 1)
			if err := writeJSON(b, e, indent, hasIndent, itemSep, keySep, sortKeys, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte(']')
	case *dict, *namespace:
		d, _ := x.(*dict)
		if ns, ok := x.(*namespace); ok {
			d = ns.d
		}
		if len(d.keys) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := d.keys
		if sortKeys {
			keys = append([]any(nil), keys...)
			sort.SliceStable(keys, func(i, j int) bool { return str(keys[i]) < str(keys[j]) })
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(itemSep)
			}
			newline(depth + 1)
			var ks string
			switch kk := k.(type) {
			case string:
				ks = kk
			case nil:
				ks = "null"
			case bool, int64, float64:
				var sb strings.Builder
				writeJSON(&sb, kk, "", false, "", "", false, 0)
				ks = sb.String()
			}
			jsonString(b, ks)
			b.WriteString(keySep)
			if err := writeJSON(b, d.vals[k], indent, hasIndent, itemSep, keySep, sortKeys, depth+1); err != nil {
				return err
			}
		}
		newline(depth)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			if r < 0x20 {
				fmt.Fprintf(b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}
