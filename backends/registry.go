package backends

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
)

// Opener opens a backend from a parsed model spec.
type Opener func(ctx context.Context, spec Spec) (Backend, error)

// Spec is a parsed model spec such as "engine:path/to/ckpt?R=4" or "chance".
type Spec struct {
	// Scheme selects the adapter ("engine", "openai", "chance").
	Scheme string
	// Target is what follows the scheme up to '?' (a path, a model name).
	Target string
	// Params holds the query parameters.
	Params url.Values
	// Raw is the spec as written.
	Raw string
}

// ParseSpec parses "scheme[:target][?k=v&...]".
func ParseSpec(s string) (Spec, error) {
	sp := Spec{Raw: s}
	if strings.TrimSpace(s) == "" {
		return sp, fmt.Errorf("backends: empty model spec")
	}
	rest := s
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		q, err := url.ParseQuery(rest[i+1:])
		if err != nil {
			return sp, fmt.Errorf("backends: model spec %q: bad parameters: %v", s, err)
		}
		sp.Params = q
		rest = rest[:i]
	} else {
		sp.Params = url.Values{}
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		sp.Scheme, sp.Target = rest[:i], rest[i+1:]
	} else {
		sp.Scheme = rest
	}
	if sp.Scheme == "" {
		return sp, fmt.Errorf("backends: model spec %q has no scheme", s)
	}
	return sp, nil
}

// Registry maps spec schemes to openers. The zero value is empty and ready.
type Registry struct {
	openers map[string]Opener
}

// Register adds an opener for scheme, replacing any earlier one.
func (r *Registry) Register(scheme string, o Opener) {
	if r.openers == nil {
		r.openers = map[string]Opener{}
	}
	r.openers[scheme] = o
}

// Schemes lists the registered schemes, sorted.
func (r *Registry) Schemes() []string {
	out := make([]string, 0, len(r.openers))
	for k := range r.openers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Open parses spec and opens the backend it names.
func (r *Registry) Open(ctx context.Context, spec string) (Backend, error) {
	sp, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	o, ok := r.openers[sp.Scheme]
	if !ok {
		return nil, fmt.Errorf("backends: model spec %q: unknown backend %q (known: %s)", spec, sp.Scheme, strings.Join(r.Schemes(), ", "))
	}
	return o(ctx, sp)
}
