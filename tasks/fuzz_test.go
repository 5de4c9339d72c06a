package tasks

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

// memReader serves task files from memory (fuzzing avoids the disk).
type memReader map[string][]byte

func (m memReader) read(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, os.ErrNotExist)
	}
	return b, nil
}
func (m memReader) display(name string) string       { return name }
func (m memReader) join(from, include string) string { return include }

// FuzzSpec feeds arbitrary bytes to the task YAML loader (includes,
// groups, typed decoding): it must return a spec or an error, never panic,
// and every error must name the file.
func FuzzSpec(f *testing.F) {
	f.Add([]byte(okTask))
	f.Add([]byte("include: base.yaml\ntask: x\n"))
	f.Add([]byte("group: g\ntask: [a, {task: b, dataset_path: json}]\naggregate_metric_list: {metric: acc}\n"))
	f.Add([]byte(okTask + "fewshot_config: {sampler: first_n, samples: [{q: 1}]}\ngeneration_kwargs: {until: x, do_sample: true}\n"))
	f.Add([]byte(okTask + "filter_list:\n  - name: f\n    filter: [{function: regex, regex_pattern: a}]\nmetric_list: [{metric: acc, higher_is_better: 3}]\n"))
	f.Add([]byte("task: &a x\nb: *a\n"))
	f.Add([]byte("task: !function f\n"))
	f.Add([]byte(okTask + "doc_filter: {category: computer science, n: 3}\n"))
	f.Add([]byte(okTask + "doc_filter: [x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := memReader{"t.yaml": data, "base.yaml": []byte("dataset_path: json\ntest_split: test\ndoc_to_text: q\ndoc_to_target: a\n")}
		rd, err := resolveIncludes(r, "t.yaml", 0, nil, nil)
		if err != nil {
			if !strings.Contains(err.Error(), "t.yaml") && !strings.Contains(err.Error(), "base.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if rd.isGroup() {
			_, _, err = decodeGroup(rd)
		} else {
			var s *Spec
			s, err = decodeTask(rd)
			if err == nil {
				task := &Task{Name: s.Task, Spec: *s}
				task.Filters()
				task.Metrics()
				task.Breakdown()
			}
		}
		if err != nil && !strings.Contains(err.Error(), "t.yaml") && !strings.Contains(err.Error(), "base.yaml") {
			t.Fatalf("error does not name the file: %v", err)
		}
		if _, err := rd.canonical(); err != nil && !strings.Contains(err.Error(), ".yaml") {
			t.Fatalf("canonical error does not name the file: %v", err)
		}
	})
}

// FuzzTemplate renders arbitrary templates against arbitrary JSON
// documents: compile, Render and Value must return a value or an error,
// never panic.
func FuzzTemplate(f *testing.F) {
	f.Add("Question: {{question}}\nAnswer:", `{"question": "why?"}`)
	f.Add("{{choices.text}}", `{"choices": {"text": ["a", "b"]}}`)
	f.Add("{{ missing }}", `{}`)
	f.Add("{% for c in choices %}{{ loop.index }}. {{ c }}\n{% endfor %}", `{"choices": [1, 2.5, null, true]}`)
	f.Add("{{ q.strip() | upper }} {{ q.split(' ')[0] }} {{ n + 1 }} {{ n / 0 }}", `{"q": " a b ", "n": 3}`)
	f.Add("{{ x[5] }}{{ x['k'] }}{{ x.y.z }}", `{"x": [1]}`)
	f.Add("{{", `{}`)
	f.Add("{% if %}", `{}`)
	f.Add("field", `{"field": {"a": [1, "x"]}}`)
	f.Fuzz(func(t *testing.T, src, docJSON string) {
		v, err := decodeJSON([]byte(docJSON))
		if err != nil {
			return
		}
		doc, ok := v.(map[string]any)
		if !ok {
			return
		}
		features := map[string]bool{}
		for k := range doc {
			features[k] = true
		}
		tp, err := CompileTemplate(src, features)
		if err != nil {
			return
		}
		tp.Render(doc)
		tp.Value(doc)
	})
}

// FuzzPyLiteral: the Python literal parser used for rendered doc_to_choice
// and doc_to_target values never panics, and what it accepts round-trips
// through pyStr.
func FuzzPyLiteral(f *testing.F) {
	for _, s := range []string{`['a', "b", 3, -1.5, True, None]`, `('x',)`, `{'k': [1]}`, `['it\'s', '\x41']`, `[[[[`, `'\U0001F600'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parsePyLiteral(s)
		if err != nil {
			return
		}
		again, err := parsePyLiteral(pyRepr2(v))
		if err != nil {
			t.Fatalf("repr of %q = %q does not parse: %v", s, pyRepr2(v), err)
		}
		if pyRepr2(again) != pyRepr2(v) {
			t.Fatalf("round trip %q -> %q", pyRepr2(v), pyRepr2(again))
		}
	})
}

func pyRepr2(v any) string {
	var b strings.Builder
	pyRepr(&b, v, true)
	return b.String()
}

// FuzzJSONL: the JSON Lines reader rejects anything but objects with a
// file:line error and never panics.
func FuzzJSONL(f *testing.F) {
	f.Add([]byte(jsonl(`{"q": 1, "a": [1, 2.5e3, "x"]}`, `{"q": null}`)))
	f.Add([]byte("[1]\n"))
	f.Add([]byte("{\"a\": 1} {\"b\": 2}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		docs, err := readJSONL(context.Background(), strings.NewReader(string(data)), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		for _, d := range docs {
			if d == nil {
				t.Fatal("nil doc")
			}
		}
	})
}

// FuzzCSV: the CSV/TSV reader, with a header row or with column_names,
// gives every document every column or fails with an error naming the
// file, and never panics.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("a,b\n1,x\n2,y\n"), false, false)
	f.Add([]byte("q\t18\nr\t2,125\n"), true, true)
	f.Add([]byte("q\t\"x\ty\n"), true, true)
	f.Add([]byte("1,2,3\n4,5\n"), false, true)
	f.Fuzz(func(t *testing.T, data []byte, tab, headerless bool) {
		sep := ','
		if tab {
			sep = '\t'
		}
		var names []string
		if headerless {
			names = []string{"question", "answer_number"}
		}
		docs, err := readCSV(context.Background(), strings.NewReader(string(data)), "f.csv", sep, names)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.csv") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		for i, d := range docs {
			if headerless && len(d) != len(names) {
				t.Fatalf("doc %d has %d columns, want %d: %v", i, len(d), len(names), d)
			}
		}
	})
}
