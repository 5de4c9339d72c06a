package tasks

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ouroeval/ouroeval/backends"
)

func qaDocs(prefix string, n int) string {
	var lines []string
	for i := 0; i < n; i++ {
		lines = append(lines, fmt.Sprintf(`{"q": "%s%d", "a": "A%s%d"}`, prefix, i, prefix, i))
	}
	return jsonl(lines...)
}

// TestFewshotPromptsMatchLMEval checks prompts byte for byte against the
// strings lm-eval builds: description + Σ(text + target_delimiter + target +
// fewshot_delimiter) + text, with the examples drawn by
// random.Random(1234).sample(pool, k) once per document in document order
// (indices from CPython: see TestPyRandomSampleMatchesCPython).
func TestFewshotPromptsMatchLMEval(t *testing.T) {
	files := map[string]string{
		"qa.yaml": `task: qa
dataset_path: json
data_files: {train: train.jsonl, test: test.jsonl}
training_split: train
test_split: test
fewshot_split: train
description: "Answer these.\n\n"
doc_to_text: "Question: {{q}}\nAnswer:"
doc_to_target: "{{a}}"
num_fewshot: 3
`,
		"train.jsonl": qaDocs("T", 10),
		"test.jsonl":  qaDocs("X", 3),
	}
	d := mustDataset(t, files, "qa", LoadOptions{})
	ex := func(i int) string { return fmt.Sprintf("Question: T%d\nAnswer: AT%d\n\n", i, i) }
	// random.Random(1234): sample(range(10), 3) x 3 = [7,1,0], [1,0,9], [1,5,3]
	want := []string{
		"Answer these.\n\n" + ex(7) + ex(1) + ex(0) + "Question: X0\nAnswer:",
		"Answer these.\n\n" + ex(1) + ex(0) + ex(9) + "Question: X1\nAnswer:",
		"Answer these.\n\n" + ex(1) + ex(5) + ex(3) + "Question: X2\nAnswer:",
	}
	// Build out of order: the sampler stream still advances in doc order.
	for _, i := range []int{2, 0, 1} {
		s, err := d.Build(i, DefaultFewshotSeed)
		if err != nil {
			t.Fatal(err)
		}
		if s.Prompt != want[i] {
			t.Errorf("doc %d prompt:\n got %q\nwant %q", i, s.Prompt, want[i])
		}
		if s.Target != fmt.Sprintf("AX%d", i) {
			t.Errorf("doc %d target %q", i, s.Target)
		}
		g := s.Requests[0].Generate
		if s.Requests[0].Kind != backends.KindGenerate || g.Prompt != want[i] || !reflect.DeepEqual(g.Stop, []string{"\n\n"}) || g.MaxTokens != 256 || g.Temperature != 0 || g.N != 1 {
			t.Errorf("doc %d request %+v", i, g)
		}
	}
}

// TestFewshotSameSplitDropsDoc: fewshot_split == test_split draws
// num_fewshot+1 and removes the document itself (lm-eval's sampler).
func TestFewshotSameSplitDropsDoc(t *testing.T) {
	files := map[string]string{
		"qa.yaml": `task: qa
dataset_path: json
data_files: {test: test.jsonl}
test_split: test
fewshot_split: test
doc_to_text: "{{q}}"
doc_to_target: "{{a}}"
target_delimiter: " -> "
fewshot_delimiter: "\n"
num_fewshot: 2
`,
		"test.jsonl": qaDocs("X", 5),
	}
	d := mustDataset(t, files, "qa", LoadOptions{})
	// random.Random(1234).sample(range(5), 3) x 5:
	// [3,0,4] [0,4,2] [0,4,1] [1,0,3] [0,2,3]
	wantIDs := [][]int{{3, 4}, {0, 4}, {0, 4}, {1, 0}, {0, 2}}
	for i, ids := range wantIDs {
		s, err := d.Build(i, 1234)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.FewshotIDs, ids) {
			t.Errorf("doc %d few-shot ids %v, want %v", i, s.FewshotIDs, ids)
		}
		var b strings.Builder
		for _, j := range ids {
			fmt.Fprintf(&b, "X%d -> AX%d\n", j, j)
		}
		b.WriteString(fmt.Sprintf("X%d", i))
		if s.Prompt != b.String() {
			t.Errorf("doc %d prompt %q, want %q", i, s.Prompt, b.String())
		}
	}
}

func TestMultipleChoiceRequests(t *testing.T) {
	files := map[string]string{
		"mmlu.yaml": `task: mini_mmlu
dataset_path: csv
data_files: {test: test.csv, dev: dev.csv}
test_split: test
fewshot_split: dev
fewshot_config:
  sampler: first_n
num_fewshot: 2
output_type: multiple_choice
description: "The following are multiple choice questions (with answers) about {{subject}}.\n\n"
doc_to_text: "{{question.strip()}}\nA. {{choice0}}\nB. {{choice1}}\nAnswer:"
doc_to_choice: ["A", "B"]
doc_to_target: answer
`,
		"test.csv": "question,choice0,choice1,answer,subject\n\" 1+1? \",2,3,0,math\nSky?,green,blue,1,math\n",
		"dev.csv":  "question,choice0,choice1,answer,subject\nD1,x,y,1,math\nD2,u,v,0,math\nD3,p,q,0,math\n",
	}
	d := mustDataset(t, files, "mini_mmlu", LoadOptions{})
	s, err := d.Build(1, 99)
	if err != nil {
		t.Fatal(err)
	}
	want := "The following are multiple choice questions (with answers) about math.\n\n" +
		"D1\nA. x\nB. y\nAnswer: B\n\n" +
		"D2\nA. u\nB. v\nAnswer: A\n\n" +
		"Sky?\nA. green\nB. blue\nAnswer:"
	if s.Prompt != want {
		t.Errorf("prompt\n got %q\nwant %q", s.Prompt, want)
	}
	if s.GoldIndex != 1 || s.Target != "B" || !reflect.DeepEqual(s.Choices, []string{"A", "B"}) {
		t.Errorf("gold %d target %q choices %v", s.GoldIndex, s.Target, s.Choices)
	}
	if len(s.Requests) != 2 {
		t.Fatalf("%d requests, want 2", len(s.Requests))
	}
	for k, c := range []string{" A", " B"} {
		r := s.Requests[k]
		if r.Kind != backends.KindLogLikelihood || r.LogLikelihood.Context != want || r.LogLikelihood.Continuation != c {
			t.Errorf("request %d = %+v", k, r.LogLikelihood)
		}
	}
	// CSV numbers are typed like pandas: "2" renders as 2, answer is int.
	s0, err := d.Build(0, 99)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(s0.Prompt, "1+1?\nA. 2\nB. 3\nAnswer:") || s0.GoldIndex != 0 {
		t.Errorf("doc 0 prompt %q gold %d", s0.Prompt, s0.GoldIndex)
	}
}

func TestChoiceTemplatesAndTargets(t *testing.T) {
	files := map[string]string{
		"arc.yaml": `task: mini_arc
dataset_path: json
data_files: {test: arc.jsonl}
test_split: test
output_type: multiple_choice
process_docs: arc
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_choice: "{{choices.text}}"
doc_to_target: "{{gold}}"
`,
		"arc.jsonl": jsonl(
			`{"question": "Q?", "choices": {"text": ["it's", "b", "c"], "label": ["1", "2", "3"]}, "answerKey": "3"}`,
		),
		"gen.yaml": `task: gen_list
dataset_path: json
data_files: {test: arc.jsonl}
test_split: test
doc_to_text: "{{question}}"
doc_to_target: "{{choices.label}}"
generation_kwargs: {until: "STOP", max_gen_toks: 7, temperature: 0.5, top_p: 0.9}
repeats: 4
`,
		"ll.yaml": `task: ll
dataset_path: json
data_files: {test: arc.jsonl}
test_split: test
output_type: loglikelihood
doc_to_text: "{{question}}"
doc_to_target: " {{answerKey}}"
`,
		"roll.yaml": `task: roll
dataset_path: json
data_files: {test: arc.jsonl}
test_split: test
output_type: loglikelihood_rolling
doc_to_text: ""
doc_to_target: question
`,
	}
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	build := func(name string) *Sample {
		t.Helper()
		task, _ := c.Task(name)
		d, err := task.Load(t.Context(), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Build(0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := build("mini_arc")
	if !reflect.DeepEqual(s.Choices, []string{"it's", "b", "c"}) || s.GoldIndex != 2 || s.Target != "c" {
		t.Errorf("arc: choices %q gold %d target %q", s.Choices, s.GoldIndex, s.Target)
	}
	if got := s.Requests[0].LogLikelihood.Continuation; got != " it's" {
		t.Errorf("arc continuation %q", got)
	}
	s = build("gen_list")
	if !reflect.DeepEqual(s.Targets, []string{"1", "2", "3"}) || s.Target != "1" {
		t.Errorf("gen_list targets %q target %q", s.Targets, s.Target)
	}
	g := s.Requests[0].Generate
	if !reflect.DeepEqual(g.Stop, []string{"STOP"}) || g.MaxTokens != 7 || g.Temperature != 0.5 || g.TopP != 0.9 || g.N != 4 {
		t.Errorf("gen_list request %+v", g)
	}
	s = build("ll")
	if r := s.Requests[0].LogLikelihood; r.Context != "Q?" || r.Continuation != " 3" {
		t.Errorf("loglikelihood request %+v", r)
	}
	s = build("roll")
	if r := s.Requests[0]; r.Kind != backends.KindRolling || r.Rolling.Text != "Q?" {
		t.Errorf("rolling request %+v", r.Rolling)
	}
}

// TestMultipleInput: doc_to_text yielding a choice index (Winogrande style)
// puts each choice in the context and scores the shared continuation.
func TestMultipleInput(t *testing.T) {
	files := map[string]string{
		"w.yaml": `task: wino
dataset_path: json
data_files: {test: w.jsonl}
test_split: test
output_type: multiple_choice
doc_to_text: label
doc_to_choice: "{{options}}"
doc_to_target: "{{rest}}"
`,
		"w.jsonl": jsonl(`{"label": 1, "options": ["The cat", "The dog"], "rest": "barked."}`),
	}
	d := mustDataset(t, files, "wino", LoadOptions{})
	s, err := d.Build(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Prompt != "" || s.GoldIndex != 1 || len(s.Requests) != 2 {
		t.Fatalf("sample %+v", s)
	}
	for k, ctx := range []string{"The cat", "The dog"} {
		if r := s.Requests[k].LogLikelihood; r.Context != ctx || r.Continuation != " barked." {
			t.Errorf("request %d %+v", k, r)
		}
	}
}

func TestPythonStr(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{"x", "x"}, {int64(3), "3"}, {2.0, "2.0"}, {0.1, "0.1"}, {1e16, "1e+16"}, {1234567.0, "1234567.0"},
		{1e-5, "1e-05"}, {true, "True"}, {nil, "None"},
		{[]any{"a", "it's", int64(1)}, `['a', "it's", 1]`},
		{map[string]any{"b": 1.5, "a": "x"}, `{'a': 'x', 'b': 1.5}`},
	}
	for _, c := range cases {
		if got := pyStr(c.in); got != c.want {
			t.Errorf("pyStr(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestPyLiteral(t *testing.T) {
	cases := []struct {
		in   string
		want any
		ok   bool
	}{
		{`['a', "b", 3, -1.5, True, None]`, []any{"a", "b", int64(3), -1.5, true, nil}, true},
		{`('x',)`, []any{"x"}, true},
		{`{'k': [1]}`, map[string]any{"k": []any{int64(1)}}, true},
		{`['it\'s', '\n']`, []any{"it's", "\n"}, true},
		{`[1, 2`, nil, false},
		{`['a' 'b']`, nil, false},
		{`foo`, nil, false},
	}
	for _, c := range cases {
		got, err := parsePyLiteral(c.in)
		if (err == nil) != c.ok {
			t.Errorf("parsePyLiteral(%q) err = %v, want ok=%v", c.in, err, c.ok)
			continue
		}
		if c.ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("parsePyLiteral(%q) = %#v, want %#v", c.in, got, c.want)
		}
	}
}

// TestFastPathMatchesGonja: templates of literal text and {{ field.path }}
// render without gonja; the output must equal gonja's for the value types
// where gonja follows Jinja (strings, integers, booleans, floats, lists).
func TestFastPathMatchesGonja(t *testing.T) {
	doc := Doc{"q": "What's 2+2?", "n": int64(4), "f": 2.5, "g": 3.0, "b": true, "o": map[string]any{"inner": "deep", "l": []any{"a", "b"}}}
	for _, src := range []string{
		"Question: {{q}}\nAnswer:", "{{ n }}", "{{f}}/{{g}}", "{{b}}", "{{o.inner}} {{ o.l }}", "plain {{q}}{{q}}\n\n",
	} {
		fast, err := CompileTemplate(src, nil)
		if err != nil || fast.segs == nil {
			t.Fatalf("%q: not on the fast path (%v)", src, err)
		}
		slow, err := compileGonja(src)
		if err != nil {
			t.Fatal(err)
		}
		a, err1 := fast.Render(doc)
		b, err2 := slow.Render(doc)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("%q: fast %q (%v), gonja %q (%v)", src, a, err1, b, err2)
		}
		_, err1 = fast.Render(Doc{})
		_, err2 = slow.Render(Doc{})
		var m1, m2 *MissingFieldError
		if !errors.As(err1, &m1) || !errors.As(err2, &m2) || m1.Field != m2.Field {
			t.Errorf("%q on empty doc: fast %v, gonja %v", src, err1, err2)
		}
	}
	for _, src := range []string{"{{ q|upper }}", "{% if b %}x{% endif %}", "{{- q }}", "{{ o['inner'] }}", "{# c #}{{q}}"} {
		if tp, err := CompileTemplate(src, nil); err != nil || tp.segs != nil {
			t.Errorf("%q: unexpectedly on the fast path (%v)", src, err)
		}
	}
}

// TestBuildConcurrentDeterministic: Build gives the same samples whatever
// the order and concurrency of calls (the sampler stream is advanced in doc
// order under a lock; few-shot texts are cached once).
func TestBuildConcurrentDeterministic(t *testing.T) {
	files := map[string]string{
		"qa.yaml": `task: qa
dataset_path: json
data_files: {test: test.jsonl}
test_split: test
fewshot_split: test
doc_to_text: "Q: {{ q | trim }}\nA:"
doc_to_target: "{{a}}"
num_fewshot: 3
`,
		"test.jsonl": qaDocs("X", 200),
	}
	seq := mustDataset(t, files, "qa", LoadOptions{})
	want := make([]string, len(seq.Docs))
	for i := range want {
		s, err := seq.Build(i, 5)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = s.Prompt
	}
	par := mustDataset(t, files, "qa", LoadOptions{})
	const workers = 8
	got := make([][]string, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		got[w] = make([]string, len(par.Docs))
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for k := range got[w] {
				i := (k*37 + w*11) % len(got[w]) // a different order per worker
				s, err := par.Build(i, 5)
				if err != nil {
					t.Error(err)
					return
				}
				got[w][i] = s.Prompt
			}
		}(w)
	}
	wg.Wait()
	for w := range got {
		for i := range want {
			if got[w][i] != want[i] {
				t.Fatalf("worker %d doc %d differs:\n%q\n%q", w, i, got[w][i], want[i])
			}
		}
	}
}

// TestFewshotConfig: inline samples with first_n, and few-shot-only
// template overrides (lm-eval's fewshot_config.doc_to_text/doc_to_target).
func TestFewshotConfig(t *testing.T) {
	files := map[string]string{
		"a.yaml": `task: a
dataset_path: json
data_files: {test: t.jsonl}
test_split: test
doc_to_text: "Q: {{ q | trim }}\nA:"
doc_to_target: "{{a}}"
target_delimiter: ""
num_fewshot: 2
fewshot_config:
  sampler: first_n
  doc_to_target: " because {{why}}. The answer is {{a}}."
  samples:
    - {q: "s1", a: "1", why: "w1"}
    - {q: "s2", a: "", why: ""}
    - {q: "s3", a: "3", why: "w3"}
`,
		"t.jsonl": jsonl(`{"q": "x", "a": "y"}`),
	}
	d := mustDataset(t, files, "a", LoadOptions{})
	s, err := d.Build(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := "Q: s1\nA: because w1. The answer is 1.\n\nQ: s2\nA: because . The answer is .\n\nQ: x\nA:"
	if s.Prompt != want {
		t.Errorf("prompt\n got %q\nwant %q", s.Prompt, want)
	}
	if d.FewshotSplit != "fewshot_config.samples" {
		t.Errorf("few-shot split %q", d.FewshotSplit)
	}
}

// TestEmptyTargetShot: an example whose target is "" is followed by
// nothing (no delimiter, no fewshot_delimiter), as in lm-eval.
func TestEmptyTargetShot(t *testing.T) {
	files := map[string]string{
		"a.yaml": `task: a
dataset_path: json
data_files: {test: t.jsonl, train: tr.jsonl}
test_split: test
training_split: train
doc_to_text: "{{q}}"
doc_to_target: "{{a}}"
num_fewshot: 2
fewshot_config: {sampler: first_n}
`,
		"t.jsonl":  jsonl(`{"q": "x", "a": "y"}`),
		"tr.jsonl": jsonl(`{"q": "p", "a": ""}`, `{"q": "r", "a": "s"}`),
	}
	d := mustDataset(t, files, "a", LoadOptions{})
	s, err := d.Build(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := "pr s\n\nx"; s.Prompt != want {
		t.Errorf("prompt %q, want %q", s.Prompt, want)
	}
}

func TestHellaswagPreprocess(t *testing.T) {
	d, err := hellaswagDoc(Doc{
		"activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow [header] covering the window.",
		"ctx_b": "THEN the man", "endings": []any{" ends [title] it  well ", "b"}, "label": "1",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Removing ice from car: Then, the man writes over the snow covering the window. Then the man"; d["query"] != want {
		t.Errorf("query %q, want %q", d["query"], want)
	}
	if ch := d["choices"].([]any); ch[0] != "ends. it well" || d["gold"] != 1 {
		t.Errorf("choices %q gold %v", ch, d["gold"])
	}
}

// TestListLiteralChoices: a doc_to_choice template building a list literal
// ("{{[sol1, sol2]}}", lm-eval's piqa) yields that list, as lm-eval's
// ast.literal_eval of the rendered text does - including values with
// quotes, commas and brackets, and mixed literal and field elements.
func TestListLiteralChoices(t *testing.T) {
	files := map[string]string{
		"piqa.yaml": `task: mini_piqa
dataset_path: json
data_files: {test: piqa.jsonl}
test_split: test
output_type: multiple_choice
doc_to_text: "Question: {{goal}}\nAnswer:"
doc_to_choice: "{{[sol1, sol2]}}"
doc_to_target: label
`,
		"mixed.yaml": `task: mixed
dataset_path: json
data_files: {test: piqa.jsonl}
test_split: test
output_type: multiple_choice
doc_to_text: "{{goal}}"
doc_to_choice: "{{ ['none of these', sol2, 3] }}"
doc_to_target: 0
`,
		"piqa.jsonl": jsonl(
			`{"goal": "g", "sol1": "it's \"quoted\", [x]", "sol2": "plain", "label": 1}`,
		),
	}
	for _, tc := range []struct {
		task    string
		choices []string
		gold    int
	}{
		{"mini_piqa", []string{`it's "quoted", [x]`, "plain"}, 1},
		{"mixed", []string{"none of these", "plain", "3"}, 0},
	} {
		d := mustDataset(t, files, tc.task, LoadOptions{})
		s, err := d.Build(0, DefaultFewshotSeed)
		if err != nil {
			t.Fatalf("%s: %v", tc.task, err)
		}
		if !reflect.DeepEqual(s.Choices, tc.choices) || s.GoldIndex != tc.gold {
			t.Errorf("%s: choices %q gold %d, want %q gold %d", tc.task, s.Choices, s.GoldIndex, tc.choices, tc.gold)
		}
	}
	// The same through Template.Value, with a dict literal.
	tp, err := CompileTemplate(`{{ {"a": [sol1, 2], "b": sol2} }}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tp.Value(Doc{"sol1": "x", "sol2": "y"})
	if want := map[string]any{"a": []any{"x", 2}, "b": "y"}; err != nil || !reflect.DeepEqual(v, want) {
		t.Errorf("dict literal: %#v, %v; want %#v", v, err, want)
	}
}
