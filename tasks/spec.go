package tasks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Output types, as in lm-evaluation-harness.
const (
	OutputGenerateUntil  = "generate_until"
	OutputMultipleChoice = "multiple_choice"
	OutputLogLikelihood  = "loglikelihood"
	OutputRolling        = "loglikelihood_rolling"
)

// Few-shot samplers.
const (
	SamplerDefault = "default"
	SamplerFirstN  = "first_n"
)

// Spec is one task YAML after include resolution and defaulting, in
// lm-evaluation-harness vocabulary. Fields that lm-eval defaults are stored
// defaulted (TargetDelimiter " ", FewshotDelimiter "\n\n", Repeats 1,
// Sampler "default").
type Spec struct {
	Task      string   `json:"task"`
	TaskAlias string   `json:"task_alias,omitempty"`
	Tag       []string `json:"tag,omitempty"`

	// DatasetPath is an HF id (resolved under LoadOptions.DataDir), a local
	// directory, a format name (json, jsonl, csv, tsv, parquet) used with
	// DataFiles, or "procedural".
	DatasetPath   string         `json:"dataset_path"`
	DatasetName   string         `json:"dataset_name,omitempty"`
	DatasetKwargs map[string]any `json:"dataset_kwargs,omitempty"`
	// DataFiles maps a split to its files (a single string or list in YAML
	// means split "train", like datasets.load_dataset). Also read from
	// dataset_kwargs.data_files.
	DataFiles map[string][]string `json:"data_files,omitempty"`

	TrainingSplit   string `json:"training_split,omitempty"`
	ValidationSplit string `json:"validation_split,omitempty"`
	TestSplit       string `json:"test_split,omitempty"`
	FewshotSplit    string `json:"fewshot_split,omitempty"`

	// ProcessDocs names a built-in preprocessor (see Preprocessors).
	ProcessDocs string `json:"process_docs,omitempty"`
	// DocFilter (ouroeval extension, YAML doc_filter: {field: value})
	// keeps only the rows whose fields equal the given values, in every
	// split read (evaluation and few-shot), before process_docs. It stands
	// in for lm-eval's process_docs callables that select a subset, such as
	// mmlu_pro's utils.process_<category>.
	DocFilter map[string]string `json:"doc_filter,omitempty"`

	OutputType string `json:"output_type"`
	// DocToText, DocToTarget: Jinja templates or a bare field name.
	DocToText   string `json:"doc_to_text"`
	DocToTarget string `json:"doc_to_target"`
	// DocToChoice is either a template/field (DocToChoiceTemplate) or a
	// literal list (DocToChoiceList); at most one is set.
	DocToChoiceTemplate string   `json:"doc_to_choice_template,omitempty"`
	DocToChoiceList     []string `json:"doc_to_choice_list,omitempty"`

	TargetDelimiter  string        `json:"target_delimiter"`
	FewshotDelimiter string        `json:"fewshot_delimiter"`
	Description      string        `json:"description,omitempty"`
	NumFewshot       int           `json:"num_fewshot"`
	FewshotConfig    FewshotConfig `json:"fewshot_config"`

	GenerationKwargs GenerationKwargs `json:"generation_kwargs"`
	Repeats          int              `json:"repeats"`

	FilterList []FilterSpec `json:"filter_list,omitempty"`
	MetricList []MetricSpec `json:"metric_list,omitempty"`

	Metadata map[string]any `json:"metadata,omitempty"`
}

// HasChoices reports whether doc_to_choice is set.
func (s *Spec) HasChoices() bool {
	return s.DocToChoiceTemplate != "" || s.DocToChoiceList != nil
}

// FewshotConfig is lm-eval's fewshot_config block.
type FewshotConfig struct {
	// Sampler is "default" (seeded random without replacement) or "first_n".
	Sampler string `json:"sampler"`
	// Samples, when set, is the inline few-shot pool (lm-eval's
	// fewshot_config.samples list).
	Samples []Doc `json:"samples,omitempty"`
	// Template overrides used when rendering few-shot examples only.
	DocToText   string `json:"doc_to_text,omitempty"`
	DocToTarget string `json:"doc_to_target,omitempty"`
}

// GenerationKwargs is lm-eval's generation_kwargs block, defaulted like
// lm-eval: until = [fewshot_delimiter] when absent, greedy unless do_sample.
type GenerationKwargs struct {
	Until       []string `json:"until"`
	MaxGenToks  int      `json:"max_gen_toks"`
	Temperature float64  `json:"temperature"`
	DoSample    bool     `json:"do_sample"`
	TopP        float64  `json:"top_p,omitempty"`
	TopK        int      `json:"top_k,omitempty"`
	MinP        float64  `json:"min_p,omitempty"`
}

// DefaultMaxGenToks is lm-eval's default max_gen_toks.
const DefaultMaxGenToks = 256

// FilterStepSpec is one step of a filter chain, e.g.
// {function: regex, regex_pattern: "...", group_select: -1, fallback: "[invalid]"}.
type FilterStepSpec struct {
	Function string         `json:"function"`
	Args     map[string]any `json:"args,omitempty"`
}

// FilterSpec is one named chain of filter_list.
type FilterSpec struct {
	Name  string           `json:"name"`
	Steps []FilterStepSpec `json:"filter"`
}

// MetricSpec is one entry of metric_list. Kwargs holds every other key
// (ignore_case, ignore_punctuation, regexes_to_ignore, k, ...).
type MetricSpec struct {
	Metric         string         `json:"metric"`
	Aggregation    string         `json:"aggregation,omitempty"`
	HigherIsBetter *bool          `json:"higher_is_better,omitempty"`
	Kwargs         map[string]any `json:"kwargs,omitempty"`
}

// AggregateMetricSpec is one entry of a group's aggregate_metric_list.
type AggregateMetricSpec struct {
	Metric       string   `json:"metric"`
	Aggregation  string   `json:"aggregation"`
	WeightBySize bool     `json:"weight_by_size"`
	FilterList   []string `json:"filter_list"`
}

// GroupSpec is a group YAML (group: NAME, task: [...]).
type GroupSpec struct {
	Group               string                `json:"group"`
	GroupAlias          string                `json:"group_alias,omitempty"`
	Tasks               []string              `json:"task"`
	AggregateMetricList []AggregateMetricSpec `json:"aggregate_metric_list,omitempty"`
	Metadata            map[string]any        `json:"metadata,omitempty"`
	Source              string                `json:"-"`
}

// taskKeys are the keys a task YAML may hold; value = short help.
var taskKeys = map[string]bool{
	"task": true, "task_alias": true, "tag": true, "group": true, "include": true,
	"dataset_path": true, "dataset_name": true, "dataset_kwargs": true, "data_files": true,
	"training_split": true, "validation_split": true, "test_split": true, "fewshot_split": true,
	"process_docs": true, "doc_filter": true, "doc_to_text": true, "doc_to_target": true, "doc_to_choice": true,
	"target_delimiter": true, "fewshot_delimiter": true, "description": true,
	"num_fewshot": true, "fewshot_config": true, "output_type": true, "generation_kwargs": true,
	"repeats": true, "filter_list": true, "metric_list": true, "metadata": true,
	// accepted and ignored (they do not change what is sent or scored)
	"should_decontaminate": true, "doc_to_decontamination_query": true, "unsafe_code": true,
}

// unsupportedKeys are lm-eval keys ouroeval knows but cannot honour.
var unsupportedKeys = map[string]string{
	"custom_dataset":  "Python callables are not supported",
	"process_results": "Python callables are not supported; use filter_list and metric_list",
	"use_prompt":      "promptsource prompts are not supported; write doc_to_text",
	"doc_to_image":    "multimodal tasks are not supported",
	"doc_to_audio":    "multimodal tasks are not supported",
	"gen_prefix":      "gen_prefix is not supported",
}

var groupKeys = map[string]bool{
	"group": true, "group_alias": true, "task": true, "aggregate_metric_list": true,
	"metadata": true, "include": true,
}

var fewshotConfigKeys = map[string]bool{
	"sampler": true, "samples": true, "doc_to_text": true, "doc_to_target": true,
}

var generationKeys = map[string]bool{
	"until": true, "max_gen_toks": true, "temperature": true, "do_sample": true,
	"top_p": true, "top_k": true, "min_p": true,
}

var validOutputTypes = []string{OutputGenerateUntil, OutputLogLikelihood, OutputRolling, OutputMultipleChoice}

func keyList(m map[string]bool) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// posError is an error located in a YAML file.
type posError struct {
	file string
	line int
	msg  string
}

func (e *posError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
	}
	return fmt.Sprintf("%s: %s", e.file, e.msg)
}

func errAt(file string, n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &posError{file: file, line: line, msg: fmt.Sprintf(format, args...)}
}

// field is one top-level key of a (merged) YAML mapping and where it came from.
type field struct {
	key   *yaml.Node
	value *yaml.Node
	file  string
}

// rawDoc is one parsed YAML file: ordered top-level fields.
type rawDoc struct {
	file   string
	fields map[string]field
	order  []string
}

// fileReader reads files for the spec loader (embedded or OS files).
type fileReader interface {
	// read returns the content of name (a slash path for embedded files,
	// an OS path otherwise).
	read(name string) ([]byte, error)
	// display is how name is shown in errors and Task.Source.
	display(name string) string
	// join resolves an include relative to the including file.
	join(from, include string) string
}

const maxIncludeDepth = 16

// parseRaw parses one YAML document into top-level fields, rejecting
// non-mapping documents and duplicate keys.
func parseRaw(data []byte, file string) (*rawDoc, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &posError{file: file, msg: "empty YAML document"}
		}
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errAt(file, &extra, "more than one YAML document in a task file")
	}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	if doc.Kind != yaml.MappingNode {
		return nil, errAt(file, doc, "a task file must be a YAML mapping (key: value), got %s", kindName(doc))
	}
	rd := &rawDoc{file: file, fields: map[string]field{}}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, errAt(file, k, "keys must be plain strings")
		}
		if prev, dup := rd.fields[k.Value]; dup {
			return nil, errAt(file, k, "duplicate key %q (first at line %d)", k.Value, prev.key.Line)
		}
		if err := rejectTags(file, v); err != nil {
			return nil, err
		}
		rd.fields[k.Value] = field{key: k, value: v, file: file}
		rd.order = append(rd.order, k.Value)
	}
	return rd, nil
}

// rejectTags refuses lm-eval's `!function` (Python callables) and any other
// custom YAML tag anywhere in a value.
func rejectTags(file string, n *yaml.Node) error {
	if n.Tag != "" && strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		if n.Tag == "!function" {
			return errAt(file, n, "!function %s: Python callables are not supported (use a template, or process_docs with a built-in preprocessor: %s)", n.Value, strings.Join(PreprocessorNames(), ", "))
		}
		return errAt(file, n, "unsupported YAML tag %s", n.Tag)
	}
	if n.Kind == yaml.AliasNode {
		return errAt(file, n, "YAML aliases are not supported in task files")
	}
	for _, c := range n.Content {
		if err := rejectTags(file, c); err != nil {
			return err
		}
	}
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "a scalar"
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	return "an empty document"
}

// resolveIncludes loads name and merges its includes (parents first, later
// includes override earlier ones, the file itself overrides all), like
// lm-eval's load_yaml_config.
//
// cache (may be nil) memoises merged files by name within one catalog load,
// so a base included by many tasks is parsed once; callers get a copy they
// may modify.
func resolveIncludes(r fileReader, name string, depth int, stack []string, cache map[string]*rawDoc) (*rawDoc, error) {
	if rd, ok := cache[name]; ok {
		return rd.clone(), nil
	}
	rd, err := resolveIncludesUncached(r, name, depth, stack, cache)
	if err != nil {
		return nil, err
	}
	if cache != nil {
		cache[name] = rd.clone()
	}
	return rd, nil
}

// clone copies the field table (the YAML nodes are shared, read-only).
func (rd *rawDoc) clone() *rawDoc {
	c := &rawDoc{file: rd.file, fields: make(map[string]field, len(rd.fields)), order: append([]string(nil), rd.order...)}
	for k, v := range rd.fields {
		c.fields[k] = v
	}
	return c
}

func resolveIncludesUncached(r fileReader, name string, depth int, stack []string, cache map[string]*rawDoc) (*rawDoc, error) {
	for _, s := range stack {
		if s == name {
			return nil, fmt.Errorf("%s: include cycle: %s -> %s", r.display(stack[0]), strings.Join(displayAll(r, stack), " -> "), r.display(name))
		}
	}
	if depth > maxIncludeDepth {
		return nil, fmt.Errorf("%s: includes nested deeper than %d", r.display(name), maxIncludeDepth)
	}
	data, err := r.read(name)
	if err != nil {
		return nil, err
	}
	rd, err := parseRaw(data, r.display(name))
	if err != nil {
		return nil, err
	}
	inc, ok := rd.fields["include"]
	if !ok {
		return rd, nil
	}
	var includes []string
	switch inc.value.Kind {
	case yaml.ScalarNode:
		includes = []string{inc.value.Value}
	case yaml.SequenceNode:
		for _, c := range inc.value.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(rd.file, c, "include: entries must be file names")
			}
			includes = append(includes, c.Value)
		}
	default:
		return nil, errAt(rd.file, inc.value, "include: must be a file name or a list of file names")
	}
	merged := &rawDoc{file: rd.file, fields: map[string]field{}}
	set := func(k string, f field) {
		if _, ok := merged.fields[k]; !ok {
			merged.order = append(merged.order, k)
		}
		merged.fields[k] = f
	}
	for _, in := range includes {
		if in == "" {
			return nil, errAt(rd.file, inc.value, "include: empty file name")
		}
		parent, err := resolveIncludes(r, r.join(name, in), depth+1, append(stack, name), cache)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: in include %q: %w", rd.file, inc.value.Line, in, err)
		}
		for _, k := range parent.order {
			set(k, parent.fields[k])
		}
	}
	for _, k := range rd.order {
		if k == "include" {
			continue
		}
		set(k, rd.fields[k])
	}
	return merged, nil
}

func displayAll(r fileReader, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = r.display(n)
	}
	return out
}

// isGroup reports whether a merged YAML is a group definition: it has
// `group:` and a `task:` list.
func (rd *rawDoc) isGroup() bool {
	_, g := rd.fields["group"]
	t, ok := rd.fields["task"]
	return g && ok && t.value.Kind == yaml.SequenceNode
}

// checkKeys rejects unknown keys, listing the valid ones.
func (rd *rawDoc) checkKeys(valid map[string]bool, what string) error {
	for _, k := range rd.order {
		f := rd.fields[k]
		if why, bad := unsupportedKeys[k]; bad && what == "task" {
			return errAt(f.file, f.key, "key %q is not supported: %s", k, why)
		}
		if !valid[k] {
			return errAt(f.file, f.key, "unknown %s key %q%s (valid keys: %s)", what, k, suggest(k, valid), keyList(valid))
		}
	}
	return nil
}

func suggest(k string, valid map[string]bool) string {
	best, bestD := "", 4
	for v := range valid {
		if d := editDistance(k, v); d < bestD || (d == bestD && v < best) {
			best, bestD = v, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := prev[j-1]
			if a[i-1] != b[j-1] {
				c++
			}
			c = min(c, prev[j]+1, cur[j-1]+1)
			cur[j] = c
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// canonical returns the merged YAML as a plain Go value (for hashing).
func (rd *rawDoc) canonical() (map[string]any, error) {
	out := make(map[string]any, len(rd.fields))
	for _, k := range rd.order {
		f := rd.fields[k]
		var v any
		if err := f.value.Decode(&v); err != nil {
			return nil, errAt(f.file, f.value, "%s: %v", k, err)
		}
		out[k] = normalizeYAML(v)
	}
	return out, nil
}

// normalizeYAML converts yaml.v3's decoded values into JSON-friendly ones
// (map[any]any cannot occur with yaml.v3 mappings of string keys, but
// non-string keys can).
func normalizeYAML(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeYAML(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalizeYAML(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalizeYAML(e)
		}
		return x
	}
	return v
}

func hashOf(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// ---- typed decoding helpers (all errors carry file:line) ----

func (f field) str() (string, error) {
	if f.value.Kind != yaml.ScalarNode || f.value.Tag == "!!null" {
		if f.value.Tag == "!!null" {
			return "", nil
		}
		return "", errAt(f.file, f.value, "%s: expected a string, got %s", f.key.Value, kindName(f.value))
	}
	return f.value.Value, nil
}

func (f field) integer() (int, error) {
	if f.value.Kind != yaml.ScalarNode {
		return 0, errAt(f.file, f.value, "%s: expected an integer, got %s", f.key.Value, kindName(f.value))
	}
	n, err := strconv.Atoi(f.value.Value)
	if err != nil {
		return 0, errAt(f.file, f.value, "%s: expected an integer, got %q", f.key.Value, f.value.Value)
	}
	return n, nil
}

func (f field) strList() ([]string, error) {
	switch f.value.Kind {
	case yaml.ScalarNode:
		if f.value.Tag == "!!null" {
			return nil, nil
		}
		return []string{f.value.Value}, nil
	case yaml.SequenceNode:
		out := make([]string, 0, len(f.value.Content))
		for _, c := range f.value.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(f.file, c, "%s: list entries must be strings, got %s", f.key.Value, kindName(c))
			}
			out = append(out, c.Value)
		}
		return out, nil
	}
	return nil, errAt(f.file, f.value, "%s: expected a string or a list of strings, got %s", f.key.Value, kindName(f.value))
}

func (f field) mapping() (map[string]any, error) {
	if f.value.Tag == "!!null" {
		return nil, nil
	}
	if f.value.Kind != yaml.MappingNode {
		return nil, errAt(f.file, f.value, "%s: expected a mapping, got %s", f.key.Value, kindName(f.value))
	}
	var m map[string]any
	if err := f.value.Decode(&m); err != nil {
		return nil, errAt(f.file, f.value, "%s: %v", f.key.Value, err)
	}
	return normalizeYAML(m).(map[string]any), nil
}

// subFields splits a mapping value into fields, checking keys.
func (f field) subFields(valid map[string]bool) (map[string]field, error) {
	if f.value.Kind != yaml.MappingNode {
		return nil, errAt(f.file, f.value, "%s: expected a mapping, got %s", f.key.Value, kindName(f.value))
	}
	out := map[string]field{}
	for i := 0; i+1 < len(f.value.Content); i += 2 {
		k, v := f.value.Content[i], f.value.Content[i+1]
		if valid != nil && !valid[k.Value] {
			return nil, errAt(f.file, k, "unknown %s key %q%s (valid keys: %s)", f.key.Value, k.Value, suggest(k.Value, valid), keyList(valid))
		}
		out[k.Value] = field{key: k, value: v, file: f.file}
	}
	return out, nil
}

// decodeTask turns a merged task YAML into a Spec.
func decodeTask(rd *rawDoc) (*Spec, error) {
	if err := rd.checkKeys(taskKeys, "task"); err != nil {
		return nil, err
	}
	s := &Spec{
		TargetDelimiter:  " ",
		FewshotDelimiter: "\n\n",
		Repeats:          1,
		FewshotConfig:    FewshotConfig{Sampler: SamplerDefault},
	}
	get := func(k string) (field, bool) { f, ok := rd.fields[k]; return f, ok }
	strs := []struct {
		key string
		dst *string
	}{
		{"task", &s.Task}, {"task_alias", &s.TaskAlias}, {"dataset_path", &s.DatasetPath},
		{"dataset_name", &s.DatasetName}, {"training_split", &s.TrainingSplit},
		{"validation_split", &s.ValidationSplit}, {"test_split", &s.TestSplit},
		{"fewshot_split", &s.FewshotSplit}, {"process_docs", &s.ProcessDocs},
		{"output_type", &s.OutputType}, {"doc_to_text", &s.DocToText},
		{"doc_to_target", &s.DocToTarget}, {"target_delimiter", &s.TargetDelimiter},
		{"fewshot_delimiter", &s.FewshotDelimiter}, {"description", &s.Description},
	}
	for _, e := range strs {
		if f, ok := get(e.key); ok {
			v, err := f.str()
			if err != nil {
				return nil, err
			}
			*e.dst = v
		}
	}
	taskField, ok := get("task")
	if !ok || s.Task == "" {
		return nil, &posError{file: rd.file, msg: "missing required key \"task\" (the task name)"}
	}
	if strings.ContainsAny(s.Task, ", \t\n") {
		return nil, errAt(taskField.file, taskField.value, "task name %q must not contain commas or spaces", s.Task)
	}
	for _, k := range []string{"tag", "group"} {
		if f, ok := get(k); ok {
			l, err := f.strList()
			if err != nil {
				return nil, err
			}
			s.Tag = append(s.Tag, l...)
		}
	}
	if f, ok := get("output_type"); !ok {
		s.OutputType = OutputGenerateUntil
	} else if !contains(validOutputTypes, s.OutputType) {
		return nil, errAt(f.file, f.value, "unknown output_type %q (valid: %s)", s.OutputType, strings.Join(validOutputTypes, ", "))
	}
	if s.DatasetPath == "" {
		return nil, &posError{file: rd.file, msg: fmt.Sprintf("task %s: missing required key \"dataset_path\"", s.Task)}
	}
	if f, ok := get("dataset_kwargs"); ok {
		m, err := f.mapping()
		if err != nil {
			return nil, err
		}
		s.DatasetKwargs = m
		if df, ok := m["data_files"]; ok {
			files, err := dataFilesOf(df)
			if err != nil {
				return nil, errAt(f.file, f.value, "dataset_kwargs.data_files: %v", err)
			}
			s.DataFiles = files
		}
	}
	if f, ok := get("data_files"); ok {
		var v any
		if err := f.value.Decode(&v); err != nil {
			return nil, errAt(f.file, f.value, "data_files: %v", err)
		}
		files, err := dataFilesOf(v)
		if err != nil {
			return nil, errAt(f.file, f.value, "data_files: %v", err)
		}
		s.DataFiles = files
	}
	if s.ProcessDocs != "" {
		if _, ok := lookupPreprocessor(s.ProcessDocs); !ok {
			f := rd.fields["process_docs"]
			return nil, errAt(f.file, f.value, "unknown process_docs %q (built-in preprocessors: %s)", s.ProcessDocs, strings.Join(PreprocessorNames(), ", "))
		}
	}
	if f, ok := get("doc_filter"); ok {
		if f.value.Kind != yaml.MappingNode || len(f.value.Content) == 0 {
			return nil, errAt(f.file, f.value, "doc_filter: want a non-empty mapping {field: value}, got %s", kindName(f.value))
		}
		s.DocFilter = map[string]string{}
		for i := 0; i+1 < len(f.value.Content); i += 2 {
			k, v := f.value.Content[i], f.value.Content[i+1]
			if k.Kind != yaml.ScalarNode || k.Value == "" || v.Kind != yaml.ScalarNode {
				return nil, errAt(f.file, k, "doc_filter: entries must be field: scalar value")
			}
			s.DocFilter[k.Value] = v.Value
		}
	}
	if f, ok := get("doc_to_choice"); ok {
		switch f.value.Kind {
		case yaml.ScalarNode:
			s.DocToChoiceTemplate = f.value.Value
		case yaml.SequenceNode:
			l := make([]string, 0, len(f.value.Content))
			for _, c := range f.value.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, errAt(f.file, c, "doc_to_choice: list entries must be scalars, got %s", kindName(c))
				}
				l = append(l, c.Value)
			}
			s.DocToChoiceList = l
		case yaml.MappingNode:
			// lm-eval: a dict's values, in order.
			l := make([]string, 0, len(f.value.Content)/2)
			for i := 1; i < len(f.value.Content); i += 2 {
				c := f.value.Content[i]
				if c.Kind != yaml.ScalarNode {
					return nil, errAt(f.file, c, "doc_to_choice: mapping values must be scalars, got %s", kindName(c))
				}
				l = append(l, c.Value)
			}
			s.DocToChoiceList = l
		}
	}
	if s.OutputType == OutputMultipleChoice && !s.HasChoices() {
		return nil, &posError{file: rd.file, msg: fmt.Sprintf("task %s: output_type multiple_choice needs doc_to_choice", s.Task)}
	}
	if s.OutputType != OutputRolling && s.DocToText == "" {
		if _, ok := get("doc_to_text"); !ok {
			return nil, &posError{file: rd.file, msg: fmt.Sprintf("task %s: missing required key \"doc_to_text\"", s.Task)}
		}
	}
	if _, ok := get("doc_to_target"); !ok {
		return nil, &posError{file: rd.file, msg: fmt.Sprintf("task %s: missing required key \"doc_to_target\"", s.Task)}
	}
	if f, ok := get("num_fewshot"); ok {
		n, err := f.integer()
		if err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, errAt(f.file, f.value, "num_fewshot must be >= 0, got %d", n)
		}
		s.NumFewshot = n
	}
	if f, ok := get("repeats"); ok {
		n, err := f.integer()
		if err != nil {
			return nil, err
		}
		if n < 1 {
			return nil, errAt(f.file, f.value, "repeats must be >= 1, got %d", n)
		}
		s.Repeats = n
	}
	if f, ok := get("fewshot_config"); ok && f.value.Tag != "!!null" {
		sub, err := f.subFields(fewshotConfigKeys)
		if err != nil {
			return nil, err
		}
		if sf, ok := sub["sampler"]; ok {
			v, err := sf.str()
			if err != nil {
				return nil, err
			}
			if v != SamplerDefault && v != SamplerFirstN {
				return nil, errAt(sf.file, sf.value, "unknown few-shot sampler %q (valid: %s, %s)", v, SamplerDefault, SamplerFirstN)
			}
			s.FewshotConfig.Sampler = v
		}
		for k, dst := range map[string]*string{"doc_to_text": &s.FewshotConfig.DocToText, "doc_to_target": &s.FewshotConfig.DocToTarget} {
			if sf, ok := sub[k]; ok {
				v, err := sf.str()
				if err != nil {
					return nil, err
				}
				*dst = v
			}
		}
		if sf, ok := sub["samples"]; ok {
			if sf.value.Kind != yaml.SequenceNode {
				return nil, errAt(sf.file, sf.value, "fewshot_config.samples: expected a list of documents, got %s", kindName(sf.value))
			}
			for _, c := range sf.value.Content {
				if c.Kind != yaml.MappingNode {
					return nil, errAt(sf.file, c, "fewshot_config.samples: each sample must be a mapping, got %s", kindName(c))
				}
				var d map[string]any
				if err := c.Decode(&d); err != nil {
					return nil, errAt(sf.file, c, "fewshot_config.samples: %v", err)
				}
				s.FewshotConfig.Samples = append(s.FewshotConfig.Samples, normalizeYAML(d).(map[string]any))
			}
		}
	}
	if err := decodeGeneration(rd, s); err != nil {
		return nil, err
	}
	if f, ok := get("filter_list"); ok {
		fl, err := decodeFilters(f)
		if err != nil {
			return nil, err
		}
		s.FilterList = fl
	}
	if f, ok := get("metric_list"); ok {
		ml, err := decodeMetrics(f)
		if err != nil {
			return nil, err
		}
		s.MetricList = ml
	}
	if f, ok := get("metadata"); ok {
		m, err := f.mapping()
		if err != nil {
			return nil, err
		}
		s.Metadata = m
		if b, ok := m["breakdown"]; ok {
			if _, err := stringList(b); err != nil {
				return nil, errAt(f.file, f.value, "metadata.breakdown: %v", err)
			}
		}
	}
	return s, nil
}

func decodeGeneration(rd *rawDoc, s *Spec) error {
	g := GenerationKwargs{MaxGenToks: DefaultMaxGenToks}
	f, ok := rd.fields["generation_kwargs"]
	if !ok || f.value.Tag == "!!null" {
		g.Until = []string{s.FewshotDelimiter}
		s.GenerationKwargs = g
		return nil
	}
	sub, err := f.subFields(generationKeys)
	if err != nil {
		return err
	}
	if uf, ok := sub["until"]; ok {
		l, err := uf.strList()
		if err != nil {
			return err
		}
		g.Until = l
	} else {
		g.Until = []string{s.FewshotDelimiter}
	}
	if mf, ok := sub["max_gen_toks"]; ok {
		if g.MaxGenToks, err = mf.integer(); err != nil {
			return err
		}
		if g.MaxGenToks < 1 {
			return errAt(mf.file, mf.value, "max_gen_toks must be >= 1")
		}
	}
	if tf, ok := sub["top_k"]; ok {
		if g.TopK, err = tf.integer(); err != nil {
			return err
		}
	}
	for k, dst := range map[string]*float64{"temperature": &g.Temperature, "top_p": &g.TopP, "min_p": &g.MinP} {
		if ff, ok := sub[k]; ok {
			v, err := strconv.ParseFloat(ff.value.Value, 64)
			if err != nil || ff.value.Kind != yaml.ScalarNode {
				return errAt(ff.file, ff.value, "generation_kwargs.%s: expected a number, got %q", k, ff.value.Value)
			}
			*dst = v
		}
	}
	if df, ok := sub["do_sample"]; ok {
		if err := df.value.Decode(&g.DoSample); err != nil {
			return errAt(df.file, df.value, "generation_kwargs.do_sample: expected true or false")
		}
		// HF transformers: sampling with no temperature means 1.0.
		if _, hasT := sub["temperature"]; g.DoSample && !hasT {
			g.Temperature = 1
		}
	}
	if !g.DoSample {
		if _, hasT := sub["temperature"]; hasT && g.Temperature > 0 {
			// lm-eval's HF backend samples when temperature > 0 unless
			// do_sample is explicitly false.
			if _, explicit := sub["do_sample"]; !explicit {
				g.DoSample = true
			} else {
				g.Temperature = 0
			}
		}
	}
	s.GenerationKwargs = g
	return nil
}

func decodeFilters(f field) ([]FilterSpec, error) {
	if f.value.Kind != yaml.SequenceNode {
		return nil, errAt(f.file, f.value, "filter_list: expected a list of {name, filter}, got %s", kindName(f.value))
	}
	var out []FilterSpec
	seen := map[string]bool{}
	for _, c := range f.value.Content {
		cf := field{key: f.key, value: c, file: f.file}
		sub, err := cf.subFields(map[string]bool{"name": true, "filter": true})
		if err != nil {
			return nil, err
		}
		var fs FilterSpec
		nf, ok := sub["name"]
		if !ok {
			return nil, errAt(f.file, c, "filter_list: entry needs a name")
		}
		if fs.Name, err = nf.str(); err != nil {
			return nil, err
		}
		if seen[fs.Name] {
			return nil, errAt(f.file, nf.value, "filter_list: duplicate filter name %q", fs.Name)
		}
		seen[fs.Name] = true
		steps, ok := sub["filter"]
		if !ok || steps.value.Kind != yaml.SequenceNode {
			return nil, errAt(f.file, c, "filter_list %q: needs a filter: list of steps", fs.Name)
		}
		for _, st := range steps.value.Content {
			if st.Kind != yaml.MappingNode {
				return nil, errAt(f.file, st, "filter_list %q: each step must be a mapping with a function key", fs.Name)
			}
			var m map[string]any
			if err := st.Decode(&m); err != nil {
				return nil, errAt(f.file, st, "filter_list %q: %v", fs.Name, err)
			}
			fn, _ := m["function"].(string)
			if fn == "" {
				return nil, errAt(f.file, st, "filter_list %q: step without a function name", fs.Name)
			}
			delete(m, "function")
			step := FilterStepSpec{Function: fn}
			if len(m) > 0 {
				step.Args = normalizeYAML(m).(map[string]any)
			}
			fs.Steps = append(fs.Steps, step)
		}
		out = append(out, fs)
	}
	return out, nil
}

func decodeMetrics(f field) ([]MetricSpec, error) {
	if f.value.Kind != yaml.SequenceNode {
		return nil, errAt(f.file, f.value, "metric_list: expected a list of {metric, ...}, got %s", kindName(f.value))
	}
	var out []MetricSpec
	for _, c := range f.value.Content {
		if c.Kind != yaml.MappingNode {
			return nil, errAt(f.file, c, "metric_list: each entry must be a mapping with a metric key")
		}
		var m map[string]any
		if err := c.Decode(&m); err != nil {
			return nil, errAt(f.file, c, "metric_list: %v", err)
		}
		name, _ := m["metric"].(string)
		if name == "" {
			return nil, errAt(f.file, c, "metric_list: entry without a metric name (a string)")
		}
		ms := MetricSpec{Metric: name}
		delete(m, "metric")
		if a, ok := m["aggregation"]; ok {
			as, isStr := a.(string)
			if !isStr {
				return nil, errAt(f.file, c, "metric_list %q: aggregation must be a name", name)
			}
			ms.Aggregation = as
			delete(m, "aggregation")
		}
		if h, ok := m["higher_is_better"]; ok {
			hb, isBool := h.(bool)
			if !isBool {
				return nil, errAt(f.file, c, "metric_list %q: higher_is_better must be true or false", name)
			}
			ms.HigherIsBetter = &hb
			delete(m, "higher_is_better")
		}
		if len(m) > 0 {
			ms.Kwargs = normalizeYAML(m).(map[string]any)
		}
		out = append(out, ms)
	}
	return out, nil
}

// decodeGroup turns a merged group YAML into a GroupSpec. Inline task
// definitions (mappings in the task list) are returned separately.
func decodeGroup(rd *rawDoc) (*GroupSpec, []*rawDoc, error) {
	if err := rd.checkKeys(groupKeys, "group"); err != nil {
		return nil, nil, err
	}
	g := &GroupSpec{}
	gf := rd.fields["group"]
	var err error
	if g.Group, err = gf.str(); err != nil {
		return nil, nil, err
	}
	if g.Group == "" {
		return nil, nil, errAt(gf.file, gf.value, "group: empty name")
	}
	if f, ok := rd.fields["group_alias"]; ok {
		if g.GroupAlias, err = f.str(); err != nil {
			return nil, nil, err
		}
	}
	var inline []*rawDoc
	tf := rd.fields["task"]
	for _, c := range tf.value.Content {
		switch c.Kind {
		case yaml.ScalarNode:
			if c.Value == "" {
				return nil, nil, errAt(tf.file, c, "group %s: empty task name", g.Group)
			}
			g.Tasks = append(g.Tasks, c.Value)
		case yaml.MappingNode:
			sub := &rawDoc{file: tf.file, fields: map[string]field{}}
			for i := 0; i+1 < len(c.Content); i += 2 {
				k, v := c.Content[i], c.Content[i+1]
				sub.fields[k.Value] = field{key: k, value: v, file: tf.file}
				sub.order = append(sub.order, k.Value)
			}
			nf, ok := sub.fields["task"]
			if !ok || nf.value.Kind != yaml.ScalarNode || nf.value.Value == "" {
				return nil, nil, errAt(tf.file, c, "group %s: an inline task needs a task: name", g.Group)
			}
			g.Tasks = append(g.Tasks, nf.value.Value)
			inline = append(inline, sub)
		default:
			return nil, nil, errAt(tf.file, c, "group %s: task entries must be names or inline task mappings", g.Group)
		}
	}
	if len(g.Tasks) == 0 {
		return nil, nil, errAt(tf.file, tf.value, "group %s: empty task list", g.Group)
	}
	if f, ok := rd.fields["aggregate_metric_list"]; ok {
		l := f.value
		if l.Kind == yaml.MappingNode {
			l = &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{f.value}}
		}
		if l.Kind != yaml.SequenceNode {
			return nil, nil, errAt(f.file, f.value, "aggregate_metric_list: expected a list, got %s", kindName(f.value))
		}
		valid := map[string]bool{"metric": true, "aggregation": true, "weight_by_size": true, "filter_list": true}
		for _, c := range l.Content {
			sub, err := field{key: f.key, value: c, file: f.file}.subFields(valid)
			if err != nil {
				return nil, nil, err
			}
			a := AggregateMetricSpec{Aggregation: "mean", WeightBySize: true, FilterList: []string{"none"}}
			mf, ok := sub["metric"]
			if !ok {
				return nil, nil, errAt(f.file, c, "aggregate_metric_list: entry without metric")
			}
			if a.Metric, err = mf.str(); err != nil {
				return nil, nil, err
			}
			if af, ok := sub["aggregation"]; ok {
				if a.Aggregation, err = af.str(); err != nil {
					return nil, nil, err
				}
				if a.Aggregation != "mean" {
					return nil, nil, errAt(af.file, af.value, "aggregate_metric_list: only aggregation mean is supported (lm-eval's only group aggregation), got %q", a.Aggregation)
				}
			}
			if wf, ok := sub["weight_by_size"]; ok {
				if err := wf.value.Decode(&a.WeightBySize); err != nil {
					return nil, nil, errAt(wf.file, wf.value, "weight_by_size: expected true or false")
				}
			}
			if ff, ok := sub["filter_list"]; ok {
				if a.FilterList, err = ff.strList(); err != nil {
					return nil, nil, err
				}
			}
			g.AggregateMetricList = append(g.AggregateMetricList, a)
		}
	}
	if f, ok := rd.fields["metadata"]; ok {
		if g.Metadata, err = f.mapping(); err != nil {
			return nil, nil, err
		}
	}
	return g, inline, nil
}

// dataFilesOf normalises datasets' data_files forms: "f", ["f", ...], or
// {split: "f" | ["f", ...]}.
func dataFilesOf(v any) (map[string][]string, error) {
	switch x := v.(type) {
	case string:
		return map[string][]string{"train": {x}}, nil
	case []any:
		l, err := stringList(x)
		if err != nil {
			return nil, err
		}
		return map[string][]string{"train": l}, nil
	case map[string]any:
		out := map[string][]string{}
		for k, e := range x {
			l, err := stringList(e)
			if err != nil {
				return nil, fmt.Errorf("split %s: %v", k, err)
			}
			out[k] = l
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a file, a list of files or a split: files mapping, got %T", v)
}

func stringList(v any) ([]string, error) {
	switch x := v.(type) {
	case string:
		return []string{x}, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("expected strings, got %v (%T)", e, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("expected a string or a list of strings, got %T", v)
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

// embedReader reads the go:embed'ed built-in tasks.
type embedReader struct {
	fs interface{ ReadFile(string) ([]byte, error) }
}

func (r embedReader) read(name string) ([]byte, error) {
	b, err := r.fs.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.display(name), err)
	}
	return b, nil
}
func (r embedReader) display(name string) string {
	return "builtin:" + strings.TrimPrefix(name, "builtin/")
}
func (r embedReader) join(from, include string) string {
	return path.Join(path.Dir(from), include)
}
