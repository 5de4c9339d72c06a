package scoring

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// args reads the keyword arguments of one filter step or metric, as decoded
// from YAML or JSON, and reports bad or unknown keys with the owner's name.
type args struct {
	owner string // e.g. `filter "regex"` or `metric "exact_match"`
	m     map[string]any
	used  map[string]bool
}

func newArgs(owner string, m map[string]any) *args {
	return &args{owner: owner, m: m, used: map[string]bool{}}
}

func (a *args) has(key string) bool {
	_, ok := a.m[key]
	return ok
}

func (a *args) str(key, def string) (string, error) {
	a.used[key] = true
	v, ok := a.m[key]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: argument %q must be a string, got %T (%v)", a.owner, key, v, v)
	}
	return s, nil
}

func (a *args) integer(key string, def int) (int, error) {
	a.used[key] = true
	v, ok := a.m[key]
	if !ok || v == nil {
		return def, nil
	}
	switch x := v.(type) {
	case int:
		return x, nil
	case int64:
		return int(x), nil
	case int32:
		return int(x), nil
	case uint64:
		if x > math.MaxInt32 {
			break
		}
		return int(x), nil
	case uint:
		if x > math.MaxInt32 {
			break
		}
		return int(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<31 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("%s: argument %q must be an integer, got %T (%v)", a.owner, key, v, v)
}

func (a *args) boolean(key string, def bool) (bool, error) {
	a.used[key] = true
	v, ok := a.m[key]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: argument %q must be true or false, got %T (%v)", a.owner, key, v, v)
	}
	return b, nil
}

func (a *args) strList(key string) ([]string, error) {
	a.used[key] = true
	v, ok := a.m[key]
	if !ok || v == nil {
		return nil, nil
	}
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s: argument %q item %d must be a string, got %T (%v)", a.owner, key, i, e, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: argument %q must be a list of strings, got %T", a.owner, key, v)
}

// ignore marks keys as known without reading them.
func (a *args) ignore(keys ...string) {
	for _, k := range keys {
		a.used[k] = true
	}
}

// done reports any key that was never read.
func (a *args) done() error {
	var unknown, known []string
	for k := range a.m {
		if !a.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for k := range a.used {
		known = append(known, k)
	}
	sort.Strings(unknown)
	sort.Strings(known)
	if len(known) == 0 {
		return fmt.Errorf("%s: unknown argument(s) %s (it takes none)", a.owner, strings.Join(unknown, ", "))
	}
	return fmt.Errorf("%s: unknown argument(s) %s (valid: %s)", a.owner, strings.Join(unknown, ", "), strings.Join(known, ", "))
}
