package scoring

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ouroeval/ouroeval/scoring/mathgrade"
	"github.com/ouroeval/ouroeval/scoring/pyre"
	"github.com/ouroeval/ouroeval/scoring/pystr"
)

// Invalid is lm-eval's default regex fallback: the filtered answer when
// extraction found nothing.
const Invalid = "[invalid]"

// InvalidAnswer is the Minerva "Final Answer" extractor's no-match marker
// (lm-eval's minerva_math utils).
const InvalidAnswer = mathgrade.InvalidAnswer

// DefaultRegexPattern is lm-eval's RegexFilter default pattern (GSM8K's).
const DefaultRegexPattern = `#### (\-?[0-9\.\,]+)`

// FilterStep is one step of a filter chain: an lm-eval filter function name
// and its keyword arguments (for example {Function: "regex", Args:
// {"regex_pattern": "...", "group_select": -1}}).
type FilterStep struct {
	Function string
	Args     map[string]any
}

// filter transforms the list of responses of one document.
type filter interface {
	apply(resps []string) ([]string, error)
}

// Chain is a compiled, named filter chain (one entry of lm-eval's
// filter_list). A Chain is immutable and safe for concurrent use.
type Chain struct {
	// Name is the chain name used in result keys ("strict-match", "none").
	Name string

	steps     []filter
	failMarks []string // fallback values that mean "nothing was extracted"
}

// FilterNames lists the filter functions NewChain accepts, sorted.
func FilterNames() []string {
	names := make([]string, 0, len(filterBuilders))
	for n := range filterBuilders {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

type filterBuilder func(a *args) (filter, string, error)

var filterBuilders map[string]filterBuilder

func init() {
	filterBuilders = map[string]filterBuilder{
		"regex":                 newRegexFilter,
		"multi_choice_regex":    newMultiChoiceFilter,
		"take_first":            simple(func(r []string) ([]string, error) { return takeFirstK(r, 1, true) }),
		"take_first_k":          newTakeFirstK,
		"majority_vote":         simple(majorityVote),
		"lowercase":             mapFilter(pystr.Lower),
		"uppercase":             mapFilter(pystr.Upper),
		"remove_whitespace":     mapFilter(removeLeadingSpace),
		"strip":                 mapFilter(pystr.Strip),
		"last_boxed":            newLastBoxed,
		"minerva_final_answer":  newMinervaFinalAnswer,
		"hendrycks_dollar_span": mapFilterBuilder(mathgrade.HendrycksDollarSpan),
		"hendrycks_extract":     mapFilterBuilder(mathgrade.HendrycksExtractAnswer),
	}
}

// NewChain compiles a filter chain. An unknown function, a missing required
// argument, an unknown argument or a pattern that does not compile is an
// error naming the chain, the step and the function.
func NewChain(name string, steps []FilterStep) (*Chain, error) {
	c := &Chain{Name: name, failMarks: []string{Invalid, InvalidAnswer}}
	if len(steps) == 0 {
		return nil, fmt.Errorf("filter chain %q: no steps (use take_first for the default)", name)
	}
	for i, st := range steps {
		b, ok := filterBuilders[st.Function]
		if !ok {
			return nil, fmt.Errorf("filter chain %q step %d: unknown filter function %q (known: %s)",
				name, i, st.Function, strings.Join(FilterNames(), ", "))
		}
		a := newArgs(fmt.Sprintf("filter chain %q step %d (%s)", name, i, st.Function), st.Args)
		f, failMark, err := b(a)
		if err == nil {
			err = a.done()
		}
		if err != nil {
			return nil, err
		}
		if failMark != "" && !contains(c.failMarks, failMark) {
			c.failMarks = append(c.failMarks, failMark)
		}
		c.steps = append(c.steps, f)
	}
	return c, nil
}

// DefaultChain is lm-eval's default: a chain named "none" that keeps the
// first response.
func DefaultChain() *Chain {
	c, err := NewChain("none", []FilterStep{{Function: "take_first"}})
	if err != nil {
		panic(err) // cannot happen: constant, valid chain
	}
	return c
}

// Apply runs the chain on the responses of one document (one per repeat)
// and returns the filtered list. A step that cannot run (a regex that timed
// out on an adversarial response, take_first_k with too few responses) makes
// the affected answer fall back to Invalid rather than failing the document;
// use ApplyErr to see such errors.
func (c *Chain) Apply(responses []string) []string {
	out, _ := c.ApplyErr(responses)
	return out
}

// ApplyErr is Apply that also reports the first error met; the returned
// list is the same as Apply's.
func (c *Chain) ApplyErr(responses []string) ([]string, error) {
	return c.ApplyChoicesErr(responses, nil)
}

// ApplyChoices is Apply for chains whose steps read the document's answer
// choices (multi_choice_regex reads lm-eval's doc["choices"]); other steps
// ignore them.
func (c *Chain) ApplyChoices(responses, choices []string) []string {
	out, _ := c.ApplyChoicesErr(responses, choices)
	return out
}

// UsesChoices reports whether some step reads the document's choices, so
// the caller should use ApplyChoices.
func (c *Chain) UsesChoices() bool {
	for _, f := range c.steps {
		if _, ok := f.(choiceFilter); ok {
			return true
		}
	}
	return false
}

// ApplyChoicesErr is ApplyChoices that also reports the first error met.
func (c *Chain) ApplyChoicesErr(responses, choices []string) ([]string, error) {
	cur := append([]string(nil), responses...)
	var first error
	for _, f := range c.steps {
		var next []string
		var err error
		if cf, ok := f.(choiceFilter); ok {
			next, err = cf.applyChoices(cur, choices)
		} else {
			next, err = f.apply(cur)
		}
		if err != nil && first == nil {
			first = fmt.Errorf("filter chain %q: %w", c.Name, err)
		}
		cur = next
	}
	return cur, first
}

// IsFailure reports whether filtered (this chain's output) is an extraction
// failure: empty, or a first answer that is empty or one of the chain's
// fallback values (Invalid, InvalidAnswer, or a custom regex fallback).
func (c *Chain) IsFailure(filtered []string) bool {
	if len(filtered) == 0 || filtered[0] == "" {
		return true
	}
	return contains(c.failMarks, filtered[0])
}

// IsExtractionFailure reports whether a chain's output means "nothing was
// extracted": no answer, or a first answer that is empty, Invalid or
// InvalidAnswer. Harnesses count these separately from wrong answers.
// Chains with a custom regex fallback should use Chain.IsFailure.
func IsExtractionFailure(filtered []string) bool {
	return len(filtered) == 0 || filtered[0] == "" || filtered[0] == Invalid || filtered[0] == InvalidAnswer
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

type funcFilter func([]string) ([]string, error)

func (f funcFilter) apply(r []string) ([]string, error) { return f(r) }

func simple(f func([]string) ([]string, error)) filterBuilder {
	return func(*args) (filter, string, error) { return funcFilter(f), "", nil }
}

func mapFilter(f func(string) string) filterBuilder {
	return func(*args) (filter, string, error) {
		return funcFilter(func(r []string) ([]string, error) {
			out := make([]string, len(r))
			for i, s := range r {
				out[i] = f(s)
			}
			return out, nil
		}), "", nil
	}
}

func mapFilterBuilder(f func(string) string) filterBuilder { return mapFilter(f) }

// removeLeadingSpace is lm-eval's remove_whitespace filter, which despite
// its name removes exactly one leading ASCII space and nothing else.
func removeLeadingSpace(s string) string {
	return strings.TrimPrefix(s, " ")
}

// regexFilter is lm-eval's RegexFilter.
type regexFilter struct {
	re          *pyre.Regexp
	groupSelect int
	fallback    string
}

func newRegexFilter(a *args) (filter, string, error) {
	f, err := regexArgs(a)
	if err != nil {
		return nil, "", err
	}
	return f, f.fallback, nil
}

// regexArgs reads the arguments lm-eval's regex-based filters share
// (regex_pattern, group_select, fallback) and compiles the pattern.
func regexArgs(a *args) (*regexFilter, error) {
	pat, err := a.str("regex_pattern", DefaultRegexPattern)
	if err != nil {
		return nil, err
	}
	gs, err := a.integer("group_select", 0)
	if err != nil {
		return nil, err
	}
	fb, err := a.str("fallback", Invalid)
	if err != nil {
		return nil, err
	}
	re, err := pyre.Compile(pat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.owner, err)
	}
	return &regexFilter{re: re, groupSelect: gs, fallback: fb}, nil
}

// NewRegexExtractor returns lm-eval's regex filter as a function on one
// response (group_select and fallback as in the YAML arguments).
func NewRegexExtractor(pattern string, groupSelect int, fallback string) (func(string) (string, error), error) {
	re, err := pyre.Compile(pattern)
	if err != nil {
		return nil, err
	}
	f := &regexFilter{re: re, groupSelect: groupSelect, fallback: fallback}
	return f.one, nil
}

func (f *regexFilter) apply(resps []string) ([]string, error) {
	out := make([]string, len(resps))
	var first error
	for i, r := range resps {
		v, err := f.one(r)
		if err != nil && first == nil {
			first = err
		}
		out[i] = v
	}
	return out, first
}

// one applies Python's findall, selects match group_select (negative counts
// from the end), takes the first non-empty group of a tuple, and strips.
// Where the Python reference would raise (group_select out of range, a tuple
// whose groups are all empty) the fallback is returned.
func (f *regexFilter) one(resp string) (string, error) {
	m, _, err := f.re.FindPython(resp, f.groupSelect)
	if err != nil || m == nil {
		return f.fallback, err
	}
	if len(m) == 1 {
		return pystr.Strip(m[0]), nil
	}
	for _, g := range m {
		if g != "" {
			return pystr.Strip(g), nil
		}
	}
	return f.fallback, nil
}

func newTakeFirstK(a *args) (filter, string, error) {
	if !a.has("k") {
		return nil, "", fmt.Errorf("%s: missing required argument \"k\"", a.owner)
	}
	k, err := a.integer("k", 0)
	if err != nil {
		return nil, "", err
	}
	if k < 1 {
		return nil, "", fmt.Errorf("%s: k must be at least 1, got %d", a.owner, k)
	}
	return funcFilter(func(r []string) ([]string, error) { return takeFirstK(r, k, false) }), "", nil
}

var errNoResponses = errors.New("no responses to filter")

// takeFirstK keeps the first k responses. lm-eval asserts that there are at
// least k; here a shorter list is kept whole and reported.
func takeFirstK(r []string, k int, first bool) ([]string, error) {
	if len(r) == 0 {
		return nil, errNoResponses
	}
	if len(r) < k {
		return r, fmt.Errorf("take_first_k: need at least %d responses, got %d (increase repeats)", k, len(r))
	}
	if first {
		return r[:1:1], nil
	}
	return r[:k:k], nil
}

// majorityVote is lm-eval's MajorityVoteFilter: the most frequent response;
// ties go to the response seen first (Counter.most_common).
func majorityVote(r []string) ([]string, error) {
	if len(r) == 0 {
		return nil, errNoResponses
	}
	return []string{Majority(r)}, nil
}

// Majority returns the most frequent string of xs; among equally frequent
// strings the one that appears first wins (Python's
// Counter(xs).most_common(1)). It returns "" for an empty list.
func Majority(xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	counts := make(map[string]int, len(xs))
	best, bestN := "", 0
	for _, x := range xs {
		counts[x]++
	}
	for _, x := range xs { // first occurrence order
		if n := counts[x]; n > bestN {
			best, bestN = x, n
		}
	}
	return best
}

func newLastBoxed(a *args) (filter, string, error) {
	fb, err := a.str("fallback", Invalid)
	if err != nil {
		return nil, "", err
	}
	return funcFilter(func(r []string) ([]string, error) {
		out := make([]string, len(r))
		for i, s := range r {
			v, ok := mathgrade.ExtractBoxed(s)
			if !ok {
				v = fb
			}
			out[i] = v
		}
		return out, nil
	}), fb, nil
}

func newMinervaFinalAnswer(a *args) (filter, string, error) {
	norm, err := a.boolean("normalize", true)
	if err != nil {
		return nil, "", err
	}
	return funcFilter(func(r []string) ([]string, error) {
		out := make([]string, len(r))
		for i, s := range r {
			v, ok := mathgrade.MinervaUnnormalizedAnswer(s)
			if ok && norm {
				v = mathgrade.NormalizeFinalAnswer(v)
			}
			out[i] = v
		}
		return out, nil
	}), InvalidAnswer, nil
}
