package tasks

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/tasks/procedural"
)

const okTask = `task: t1
dataset_path: json
data_files: {test: d.jsonl}
test_split: test
doc_to_text: "{{q}}"
doc_to_target: "{{a}}"
`

func TestSpecErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown key lists valid keys with file:line", map[string]string{"a.yaml": okTask + "doc_to_txt: x\n"},
			[]string{"a.yaml:7:", `unknown task key "doc_to_txt"`, `did you mean "doc_to_text"`, "valid keys: ", "dataset_path", "num_fewshot"}},
		{"unknown key in included file names that file", map[string]string{
			"base.yaml": "dataset_path: json\nbogus: 1\n",
			"a.yaml":    "include: base.yaml\ntask: t\ndoc_to_text: x\ndoc_to_target: y\ntest_split: test\n"},
			[]string{"base.yaml:2:", `unknown task key "bogus"`}},
		{"bad output type", map[string]string{"a.yaml": okTask + "output_type: generate\n"},
			[]string{"a.yaml:7:", `unknown output_type "generate"`, "generate_until, loglikelihood, loglikelihood_rolling, multiple_choice"}},
		{"unknown sampler", map[string]string{"a.yaml": okTask + "fewshot_config:\n  sampler: random\n"},
			[]string{"a.yaml:8:", `unknown few-shot sampler "random"`, "first_n"}},
		{"unknown fewshot_config key", map[string]string{"a.yaml": okTask + "fewshot_config:\n  samplr: first_n\n"},
			[]string{"a.yaml:8:", `unknown fewshot_config key "samplr"`, "valid keys: doc_to_target, doc_to_text, sampler, samples"}},
		{"unknown generation key", map[string]string{"a.yaml": okTask + "generation_kwargs:\n  max_tokens: 3\n"},
			[]string{"a.yaml:8:", `unknown generation_kwargs key "max_tokens"`, "max_gen_toks"}},
		{"python function", map[string]string{"a.yaml": okTask + "process_docs: !function utils.process_docs\n"},
			[]string{"a.yaml:7:", "!function utils.process_docs", "not supported"}},
		{"unsupported lm-eval key", map[string]string{"a.yaml": okTask + "process_results: x\n"},
			[]string{"a.yaml:7:", `"process_results" is not supported`}},
		{"unknown process_docs", map[string]string{"a.yaml": okTask + "process_docs: nope\n"},
			[]string{"a.yaml:7:", `unknown process_docs "nope"`, "hellaswag"}},
		{"num_fewshot not int", map[string]string{"a.yaml": okTask + "num_fewshot: three\n"},
			[]string{"a.yaml:7:", "num_fewshot: expected an integer"}},
		{"mc without choices", map[string]string{"a.yaml": okTask + "output_type: multiple_choice\n"},
			[]string{"a.yaml", "multiple_choice needs doc_to_choice"}},
		{"missing task name", map[string]string{"a.yaml": "task: \ndataset_path: x\n"},
			[]string{"a.yaml", `missing required key "task"`}},
		{"not a mapping", map[string]string{"a.yaml": "- a\n- b\n"},
			[]string{"a.yaml:1:", "must be a YAML mapping"}},
		{"yaml syntax", map[string]string{"a.yaml": "task: [\n"},
			[]string{"a.yaml"}},
		{"duplicate key", map[string]string{"a.yaml": okTask + "task: again\n"},
			[]string{"a.yaml:7:", `duplicate key "task"`}},
		{"include cycle", map[string]string{"a.yaml": "include: b.yaml\ntask: a\n", "b.yaml": "include: a.yaml\n"},
			[]string{"include cycle"}},
		{"missing include", map[string]string{"a.yaml": "include: nope.yaml\n" + okTask},
			[]string{"a.yaml:1:", "nope.yaml"}},
		{"duplicate task", map[string]string{"a.yaml": okTask, "b.yaml": okTask},
			[]string{`name "t1" already defined`, "a.yaml"}},
		{"group with unknown member", map[string]string{"g.yaml": "group: g\ntask: [t1, t2x]\n", "a.yaml": okTask},
			[]string{"g.yaml", `unknown member "t2x"`}},
		{"group cycle", map[string]string{"g.yaml": "group: g\ntask: [h]\n", "h.yaml": "group: h\ntask: [g]\n"},
			[]string{"group cycle"}},
		{"bad aggregation", map[string]string{"g.yaml": "group: g\ntask: [t1]\naggregate_metric_list:\n  - metric: acc\n    aggregation: median\n", "a.yaml": okTask},
			[]string{"g.yaml:5:", "only aggregation mean"}},
		{"filter without function", map[string]string{"a.yaml": okTask + "filter_list:\n  - name: x\n    filter:\n      - regex_pattern: a\n"},
			[]string{"a.yaml:10:", "step without a function"}},
		{"metric without name", map[string]string{"a.yaml": okTask + "metric_list:\n  - aggregation: mean\n"},
			[]string{"a.yaml:8:", "entry without a metric name"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := loadUser(t, c.files)
			wantErr(t, err, c.want...)
		})
	}
}

func TestIncludeInheritance(t *testing.T) {
	files := map[string]string{
		"common/_base_yaml": `dataset_path: json
test_split: test
doc_to_text: "base {{q}}"
doc_to_target: "{{a}}"
target_delimiter: ":"
metadata: {version: 2.0}
`,
		"sub/child.yaml": `include: ../common/_base_yaml
task: child
doc_to_text: "child {{q}}"
num_fewshot: 1
`,
	}
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	task, ok := c.Task("child")
	if !ok {
		t.Fatal("child not found")
	}
	s := task.Spec
	if s.DocToText != "child {{q}}" || s.DocToTarget != "{{a}}" || s.TargetDelimiter != ":" || s.NumFewshot != 1 || s.FewshotDelimiter != "\n\n" {
		t.Errorf("spec %+v", s)
	}
	if task.Version != "2.0" || len(task.Hash) != 64 || !strings.HasSuffix(task.Source, filepath.Join("sub", "child.yaml")) {
		t.Errorf("version %q hash %q source %q", task.Version, task.Hash, task.Source)
	}
	// The base without a task key is not a task.
	if _, ok := c.Task("_base_yaml"); ok {
		t.Error("include base registered as a task")
	}
}

func TestGroupsTagsResolve(t *testing.T) {
	task := func(name, tag string) string {
		s := strings.Replace(okTask, "t1", name, 1)
		if tag != "" {
			s += "tag: [" + tag + "]\n"
		}
		return s
	}
	files := map[string]string{
		"a.yaml":   task("ta", "easy"),
		"b.yaml":   task("tb", "easy"),
		"c.yaml":   task("tc", ""),
		"g1.yaml":  "group: g1\ntask: [tb, ta]\naggregate_metric_list:\n  - metric: acc\n    weight_by_size: false\n",
		"g2.yaml":  "group: g2\ntask:\n  - g1\n  - tc\n  - task: inline_t\n    dataset_path: json\n    test_split: test\n    doc_to_text: x\n    doc_to_target: y\n",
		"bad.yaml": "",
	}
	delete(files, "bad.yaml")
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ts []*Task) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return out
	}
	ts, err := c.Resolve([]string{"g2", "ta"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(ts); !reflect.DeepEqual(got, []string{"tb", "ta", "tc", "inline_t"}) {
		t.Errorf("Resolve(g2, ta) = %v", got)
	}
	ts, err = c.Resolve([]string{"easy"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(ts); !reflect.DeepEqual(got, []string{"ta", "tb"}) {
		t.Errorf("Resolve(tag easy) = %v", got)
	}
	if m, ok := c.Group("g1"); !ok || !reflect.DeepEqual(m, []string{"tb", "ta"}) {
		t.Errorf("Group(g1) = %v %v", m, ok)
	}
	g, ok := c.GroupSpec("g1")
	if !ok || len(g.AggregateMetricList) != 1 || g.AggregateMetricList[0].WeightBySize || g.AggregateMetricList[0].Aggregation != "mean" {
		t.Errorf("GroupSpec(g1) = %+v", g)
	}
	_, err = c.Resolve([]string{"tx"})
	wantErr(t, err, `unknown task or group "tx"`, "did you mean", "ta")
	want := []string{"easy", "g1", "g2", "inline_t", "ta"}
	all := c.Names()
	for _, w := range want {
		found := false
		for _, n := range all {
			found = found || n == w
		}
		if !found {
			t.Errorf("Names() misses %s", w)
		}
	}
}

func TestDefaultsFiltersMetrics(t *testing.T) {
	c, _, err := loadUser(t, map[string]string{
		"a.yaml": okTask,
		"b.yaml": strings.Replace(okTask, "t1", "t2", 1) + "output_type: multiple_choice\ndoc_to_choice: [x, y]\nmetric_list:\n  - metric: acc\n  - metric: exact_match\n    ignore_case: true\n    regexes_to_ignore: [',']\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	t1, _ := c.Task("t1")
	if f := t1.Filters(); len(f) != 1 || f[0].Name != "none" || f[0].Steps[0].Function != "take_first" {
		t.Errorf("default filters %+v", f)
	}
	m := t1.Metrics()
	if len(m) != 1 || m[0].Metric != "exact_match" || m[0].Aggregation != "mean" || !*m[0].HigherIsBetter {
		t.Errorf("default metrics %+v", m)
	}
	if g := t1.Spec.GenerationKwargs; !reflect.DeepEqual(g.Until, []string{"\n\n"}) || g.MaxGenToks != 256 || g.DoSample {
		t.Errorf("default generation kwargs %+v", g)
	}
	t2, _ := c.Task("t2")
	m = t2.Metrics()
	if len(m) != 2 || m[1].Kwargs["ignore_case"] != true || !reflect.DeepEqual(m[1].Kwargs["regexes_to_ignore"], []any{","}) {
		t.Errorf("metrics %+v", m)
	}
}

func TestBuiltinCatalog(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := c.Resolve([]string{"procedural"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 6 {
		t.Fatalf("procedural has %d tasks, want 6", len(ts))
	}
	for _, task := range ts {
		if !strings.HasPrefix(task.Source, "builtin:") || task.Version == "" || len(task.Breakdown()) != 1 {
			t.Errorf("%s: source %q version %q breakdown %v", task.Name, task.Source, task.Version, task.Breakdown())
		}
	}
	for _, e := range c.List() {
		if e.Description == "" {
			t.Errorf("list entry %s has no description", e.Name)
		}
	}
}

func TestPrompt(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	task, _ := c.Task("multihop")
	p, err := task.Prompt(t.Context(), 0, LoadOptions{}, DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p, "Who is the ") || !strings.HasSuffix(p, "?\nAnswer:") {
		t.Errorf("prompt %q", p)
	}
	three := 3
	task, _ = c.Task("capo")
	p, err = task.Prompt(t.Context(), 5, LoadOptions{NumFewshot: &three}, DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(p, "\nAnswer:"); n != 4 {
		t.Errorf("3-shot capo prompt has %d questions, want 4:\n%s", n, p)
	}
	var de *DocError
	_, err = task.Prompt(t.Context(), 1<<20, LoadOptions{}, 0)
	if err == nil || errors.As(err, &de) {
		t.Errorf("out of range doc: %v", err)
	}
}

func TestCatalogPromptAndDump(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.Prompt(t.Context(), "mano", 3, LoadOptions{}, DefaultFewshotSeed)
	if err != nil || !strings.HasSuffix(p, " =") {
		t.Errorf("Prompt(mano, 3) = %q, %v", p, err)
	}
	_, err = c.Prompt(t.Context(), "procedural", 0, LoadOptions{}, 0)
	wantErr(t, err, "procedural is a group")
	_, err = c.Prompt(t.Context(), "manoo", 0, LoadOptions{}, 0)
	wantErr(t, err, `unknown task "manoo"`, "mano")

	task, _ := c.Task("mano_mc")
	var b strings.Builder
	if err := task.Dump(&b, "train", 3, LoadOptions{Seed: 99}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], `"expr":`) {
		t.Errorf("dump:\n%s", b.String())
	}
	// The task pins dataset_kwargs.seed: the dump equals the generator's docs at seed 0.
	g, seed, _, seedSet, err := task.Generator()
	if err != nil || seed != 0 || !seedSet {
		t.Fatal(err)
	}
	var b0 strings.Builder
	procedural.Dump(&b0, g, "train", 3, 0)
	if b0.String() != b.String() {
		t.Error("Task.Dump ignores the task's pinned seed")
	}
	task, _ = c.Task("mano")
	d, err := task.Load(t.Context(), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		want, _ := g.Doc("test", 0, i)
		if !reflect.DeepEqual(d.Docs[i], want) {
			t.Fatalf("loaded doc %d = %v, generator %v", i, d.Docs[i], want)
		}
	}
	other := &Task{Name: "x", Spec: Spec{DatasetPath: "json"}}
	if _, _, _, _, err := other.Generator(); err == nil {
		t.Error("Generator of a file task: want error")
	}
}
