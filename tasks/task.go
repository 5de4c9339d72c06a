package tasks

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Filters returns the task's filter chains; without a filter_list it is
// lm-eval's default single chain {name: none, filter: [take_first]}.
func (t *Task) Filters() []FilterSpec {
	if len(t.Spec.FilterList) == 0 {
		return []FilterSpec{{Name: "none", Steps: []FilterStepSpec{{Function: "take_first"}}}}
	}
	out := make([]FilterSpec, len(t.Spec.FilterList))
	copy(out, t.Spec.FilterList)
	return out
}

// metricDefaults are lm-eval's registered aggregation and direction of
// the common metrics.
var metricDefaults = map[string]struct {
	agg    string
	higher bool
}{
	"acc":             {"mean", true},
	"acc_norm":        {"mean", true},
	"acc_bytes":       {"mean", true},
	"acc_mutual_info": {"mean", true},
	"exact_match":     {"mean", true},
	"perplexity":      {"perplexity", false},
	"word_perplexity": {"weighted_perplexity", false},
	"byte_perplexity": {"weighted_perplexity", false},
	"bits_per_byte":   {"bits_per_byte", false},
	"f1":              {"f1", true},
	"mcc":             {"matthews_corrcoef", true},
	"brier_score":     {"brier_score", false},
	"pass@k":          {"mean", true},
	"pass_at_k":       {"mean", true},
	"maj@k":           {"mean", true},
}

// defaultMetrics is lm-eval's DEFAULT_METRIC_REGISTRY.
var defaultMetrics = map[string][]string{
	OutputLogLikelihood:  {"perplexity", "acc"},
	OutputRolling:        {"word_perplexity", "byte_perplexity", "bits_per_byte"},
	OutputMultipleChoice: {"acc", "acc_norm"},
	OutputGenerateUntil:  {"exact_match"},
}

// Metrics returns the task's metrics with lm-eval's defaults filled in:
// without metric_list, the output type's default metrics; a metric without
// aggregation or higher_is_better gets the registered default when known.
func (t *Task) Metrics() []MetricSpec {
	var out []MetricSpec
	if len(t.Spec.MetricList) == 0 {
		for _, m := range defaultMetrics[t.Spec.OutputType] {
			out = append(out, MetricSpec{Metric: m})
		}
	} else {
		out = make([]MetricSpec, len(t.Spec.MetricList))
		copy(out, t.Spec.MetricList)
	}
	for i := range out {
		d, ok := metricDefaults[out[i].Metric]
		if !ok {
			continue
		}
		if out[i].Aggregation == "" {
			out[i].Aggregation = d.agg
		}
		if out[i].HigherIsBetter == nil {
			h := d.higher
			out[i].HigherIsBetter = &h
		}
	}
	return out
}

// Breakdown returns metadata.breakdown: the doc fields to report metrics
// by (e.g. "difficulty").
func (t *Task) Breakdown() []string {
	v, ok := t.Spec.Metadata["breakdown"]
	if !ok {
		return nil
	}
	l, _ := stringList(v) // validated at load
	return l
}

// NumFewshot returns the configured number of few-shot examples.
func (t *Task) NumFewshot() int { return t.Spec.NumFewshot }

// Preprocessor transforms one document (process_docs). It must not modify
// its argument; it returns a new document.
type Preprocessor func(Doc) (Doc, error)

// preprocessors are the named built-in process_docs functions.
var preprocessors = map[string]Preprocessor{
	"hellaswag":      hellaswagDoc,
	"arc":            arcDoc,
	"mmlu":           mmluDoc,
	"winogrande":     winograndeDoc,
	"commonsense_qa": commonsenseQADoc,
	"mmlu_pro":       mmluProDoc,
	"gpqa_mcq":       gpqaMCQDoc,
	"piqa":           piqaDoc,
	"svamp":          svampDoc,
}

// PreprocessorNames lists the built-in process_docs names, sorted.
func PreprocessorNames() []string {
	out := make([]string, 0, len(preprocessors))
	for k := range preprocessors {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func lookupPreprocessor(name string) (Preprocessor, bool) {
	p, ok := preprocessors[name]
	return p, ok
}

var bracketRe = regexp.MustCompile(`\[.*?\]`)

// hellaswagPreprocess is lm-eval's hellaswag utils.preprocess.
func hellaswagPreprocess(text string) string {
	text = strings.TrimSpace(text)
	text = strings.ReplaceAll(text, " [title]", ". ")
	text = bracketRe.ReplaceAllString(text, "")
	text = strings.ReplaceAll(text, "  ", " ")
	return text
}

// pyCapitalize is Python's str.capitalize: first character upper, the
// rest lower.
func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + strings.ToLower(string(r[1:]))
}

// hellaswagDoc is lm-eval's hellaswag process_docs: adds query, choices
// and gold.
func hellaswagDoc(d Doc) (Doc, error) {
	get := func(k string) (string, error) {
		v, ok := d[k].(string)
		if !ok {
			return "", fmt.Errorf("hellaswag: field %q missing or not a string", k)
		}
		return v, nil
	}
	label, err := get("activity_label")
	if err != nil {
		return nil, err
	}
	ctxA, err := get("ctx_a")
	if err != nil {
		return nil, err
	}
	ctxB, err := get("ctx_b")
	if err != nil {
		return nil, err
	}
	ends, ok := d["endings"].([]any)
	if !ok {
		return nil, fmt.Errorf("hellaswag: field \"endings\" missing or not a list")
	}
	out := make(Doc, len(d)+3)
	for k, v := range d {
		out[k] = v
	}
	out["query"] = hellaswagPreprocess(label + ": " + ctxA + " " + pyCapitalize(ctxB))
	choices := make([]any, len(ends))
	for i, e := range ends {
		s, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("hellaswag: endings[%d] is not a string", i)
		}
		choices[i] = hellaswagPreprocess(s)
	}
	out["choices"] = choices
	switch l := d["label"].(type) {
	case string:
		var g int
		if _, err := fmt.Sscanf(l, "%d", &g); err != nil {
			return nil, fmt.Errorf("hellaswag: label %q is not an integer", l)
		}
		out["gold"] = g
	case int:
		out["gold"] = l
	case float64:
		out["gold"] = int(l)
	default:
		return nil, fmt.Errorf("hellaswag: field \"label\" missing")
	}
	return out, nil
}

// arcDoc adds "gold": the position of answerKey in choices.label
// (resolving by position, so label sets 1-4 and A-E both work).
func arcDoc(d Doc) (Doc, error) {
	key, ok := d["answerKey"].(string)
	if !ok {
		return nil, fmt.Errorf("arc: field \"answerKey\" missing or not a string")
	}
	ch, ok := d["choices"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("arc: field \"choices\" missing or not a mapping")
	}
	labels, ok := ch["label"].([]any)
	if !ok {
		return nil, fmt.Errorf("arc: field \"choices.label\" missing or not a list")
	}
	gold := -1
	for i, l := range labels {
		if fmt.Sprint(l) == key {
			gold = i
			break
		}
	}
	if gold < 0 {
		return nil, fmt.Errorf("arc: answerKey %q not among choices.label %v", key, labels)
	}
	out := make(Doc, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	out["gold"] = gold
	return out, nil
}
