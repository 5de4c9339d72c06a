package tasks

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

const qaSpec = `task: %s
dataset_path: %s
test_split: test
doc_to_text: "{{q}}"
doc_to_target: "{{a}}"
`

func spec(name, path, extra string) string {
	return strings.NewReplacer("%s", name).Replace(strings.Replace(qaSpec, "dataset_path: %s", "dataset_path: "+path, 1)) + extra
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

type pqRow struct {
	Q    string   `parquet:"q"`
	A    int64    `parquet:"a"`
	Opts []string `parquet:"opts,list"`
}

func TestFormats(t *testing.T) {
	var pq bytes.Buffer
	if err := parquet.Write(&pq, []pqRow{{Q: "p1", A: 7, Opts: []string{"x", "y"}}, {Q: "p2", A: 8}}); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"jl.yaml":                           spec("jl", "json", "data_files: {test: d.jsonl}\n"),
		"d.jsonl":                           jsonl(`{"q": "j1", "a": 1}`, ``, `{"q": "j2", "a": 2.5}`),
		"js.yaml":                           spec("js", "json", "data_files: {test: d.json}\n"),
		"d.json":                            `[{"q": "a1", "a": "x"}, {"q": "a2", "a": "y"}]`,
		"jf.yaml":                           spec("jf", "json", "data_files: {test: f.json}\ndataset_kwargs: {field: examples}\n"),
		"f.json":                            `{"examples": [{"q": "f1", "a": "x"}]}`,
		"cs.yaml":                           spec("cs", "csv", "data_files: {test: d.csv}\n"),
		"d.csv":                             "q,a\n\"c,1\",1\nc2,2\n",
		"ts.yaml":                           spec("ts", "csv", "data_files: {test: d.tsv}\n"),
		"d.tsv":                             "q\ta\nt1\tx y\n",
		"gz.yaml":                           spec("gz", "json", "data_files: {test: d.jsonl.gz}\n"),
		"d.jsonl.gz":                        gz(jsonl(`{"q": "g1", "a": "z"}`)),
		"pq.yaml":                           spec("pq", "parquet", "data_files: {test: d.parquet}\n"),
		"d.parquet":                         pq.String(),
		"hf.yaml":                           spec("hf", "org/ds", "dataset_name: sub\n"),
		"dirds.yaml":                        spec("dirds", "localds", ""),
		"hub.yaml":                          spec("hub", "openai/gsm8k", "dataset_name: main\n"),
		"hubrev.yaml":                       spec("hubrev", "allenai/ai2_arc", "dataset_name: ARC-Easy\ndataset_kwargs: {revision: abc123}\n"),
		"localds/test-00000-of-00001.jsonl": jsonl(`{"q": "l1", "a": "b"}`),
	}
	dataDir := t.TempDir()
	writeFiles(t, dataDir, map[string]string{
		"org/ds/sub/test.jsonl": jsonl(`{"q": "h1", "a": "h"}`),
		// tasks/hub's cache layout REPO/REVISION/PATH with HF parquet names.
		"openai/gsm8k/main/main/test-00000-of-00001.parquet":        pq.String(),
		"openai/gsm8k/main/main/test-00000-of-00001.parquet.part":   "partial download",
		"allenai/ai2_arc/abc123/ARC-Easy/test-00000-of-00001.jsonl": jsonl(`{"q": "r1", "a": "e"}`),
		"allenai/ai2_arc/main/ARC-Easy/test-00000-of-00001.jsonl":   jsonl(`{"q": "wrong revision", "a": "e"}`),
	})
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"jl": {"j1", "1", "j2", "2.5"}, "js": {"a1", "x", "a2", "y"}, "jf": {"f1", "x"},
		"cs": {"c,1", "1", "c2", "2"}, "ts": {"t1", "x y"}, "gz": {"g1", "z"},
		"pq": {"p1", "7", "p2", "8"}, "hf": {"h1", "h"}, "dirds": {"l1", "b"},
		"hub": {"p1", "7", "p2", "8"}, "hubrev": {"r1", "e"},
	}
	for name, w := range want {
		task, ok := c.Task(name)
		if !ok {
			t.Fatalf("no task %s", name)
		}
		d, err := task.Load(t.Context(), LoadOptions{DataDir: dataDir})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for i := range d.Docs {
			s, err := d.Build(i, 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			got = append(got, s.Prompt, s.Target)
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: got %q, want %q", name, got, w)
		}
		if len(d.DocHash) != 64 {
			t.Errorf("%s: doc hash %q", name, d.DocHash)
		}
	}
	pqTask, _ := c.Task("pq")
	d, _ := pqTask.Load(t.Context(), LoadOptions{})
	if got := d.Docs[0]["opts"]; !reflect.DeepEqual(got, []any{"x", "y"}) {
		t.Errorf("parquet list column = %#v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		opt   LoadOptions
		want  []string
	}{
		{"missing file", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: nope.jsonl}\n")}, LoadOptions{},
			[]string{"task a", "split test", "nope.jsonl", "not found"}},
		{"non-object line", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: d.jsonl}\n"), "d.jsonl": jsonl(`{"q": 1, "a": 2}`, `{"q": 1, "a": 2}`, `[1, 2]`)}, LoadOptions{},
			[]string{"task a", "d.jsonl:3:", "must be a JSON object, got an array"}},
		{"bad json line", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: d.jsonl}\n"), "d.jsonl": jsonl(`{"q": 1, "a": 2}`, `{"q": `)}, LoadOptions{},
			[]string{"d.jsonl:2:", "invalid JSON"}},
		{"json array of scalars", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: d.json}\n"), "d.json": `[{"q": 1}, 3]`}, LoadOptions{},
			[]string{"d.json", "row 1 must be a JSON object"}},
		{"csv ragged", map[string]string{"a.yaml": spec("a", "csv", "data_files: {test: d.csv}\n"), "d.csv": "q,a\n1,2\n3\n"}, LoadOptions{},
			[]string{"d.csv:3:", "wrong number of fields"}},
		{"no split file", map[string]string{"a.yaml": spec("a", "json", "data_files: {train: d.jsonl}\n")}, LoadOptions{},
			[]string{`no data_files for split "test"`, "train"}},
		{"hf dataset without data dir", map[string]string{"a.yaml": spec("a", "org/x", "")}, LoadOptions{},
			[]string{"task a", "org/x", "data dir"}},
		{"hf dataset missing in data dir", map[string]string{"a.yaml": spec("a", "org/x", "")}, LoadOptions{DataDir: "/nonexistent-ouroeval"},
			[]string{"task a", `no files for split "test"`, "/nonexistent-ouroeval/org/x"}},
		{"bad gzip", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: d.jsonl.gz}\n"), "d.jsonl.gz": "not gzip"}, LoadOptions{},
			[]string{"d.jsonl.gz"}},
		{"bad parquet", map[string]string{"a.yaml": spec("a", "parquet", "data_files: {test: d.parquet}\n"), "d.parquet": "PAR1 garbage"}, LoadOptions{},
			[]string{"d.parquet"}},
		{"few-shot pool too small", map[string]string{"a.yaml": spec("a", "json", "data_files: {test: d.jsonl}\nnum_fewshot: 5\n"), "d.jsonl": jsonl(`{"q": 1, "a": 2}`)}, LoadOptions{},
			[]string{"task a", "num_fewshot 5", "has 1"}},
		{"template syntax", map[string]string{"a.yaml": strings.Replace(spec("a", "json", "data_files: {test: d.jsonl}\n"), `"{{q}}"`, `"{{q"`, 1), "d.jsonl": jsonl(`{"q": 1, "a": 2}`)}, LoadOptions{},
			[]string{"task a", "doc_to_text"}},
		{"bad procedural kwargs", map[string]string{"a.yaml": spec("a", "procedural", "dataset_name: mano\ndataset_kwargs: {max_opz: 3}\n")}, LoadOptions{},
			[]string{"task a", "unknown dataset_kwargs max_opz", "max_ops"}},
		{"unknown generator", map[string]string{"a.yaml": spec("a", "procedural", "dataset_name: nope\n")}, LoadOptions{},
			[]string{"task a", `unknown dataset "nope"`, "mano"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cat, _, err := loadUser(t, c.files)
			if err != nil {
				t.Fatal(err)
			}
			task, _ := cat.Task("a")
			_, err = task.Load(t.Context(), c.opt)
			wantErr(t, err, c.want...)
		})
	}
}

func TestBuildErrors(t *testing.T) {
	files := map[string]string{
		"a.yaml": strings.Replace(spec("a", "json", "data_files: {test: d.jsonl}\n"), `"{{a}}"`, `"{{a}} {{extra.sub}}"`, 1),
		"d.jsonl": jsonl(`{"q": 1, "a": 2, "extra": {"sub": 1}}`, `{"q": 1, "a": 2, "extra": {"sub": 1}}`,
			`{"q": 1, "a": 2, "extra": {}}`, `{"q": 1}`),
		"mc.yaml": spec("mc", "json", "data_files: {test: m.jsonl}\noutput_type: multiple_choice\ndoc_to_choice: \"{{opts}}\"\n"),
		"m.jsonl": jsonl(`{"q": 1, "a": "zz", "opts": ["x", "y"]}`, `{"q": 1, "a": 5, "opts": ["x", "y"]}`, `{"q": 1, "a": 0, "opts": "nope"}`),
		"bd.yaml": spec("bd", "json", "data_files: {test: m.jsonl}\nmetadata: {breakdown: [level]}\n"),
	}
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	load := func(name string) *Dataset {
		task, _ := c.Task(name)
		d, err := task.Load(t.Context(), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := load("a")
	if _, err := d.Build(0, 0); err != nil {
		t.Fatal(err)
	}
	_, err = d.Build(2, 0)
	wantErr(t, err, "task a", "doc 2", "doc_to_target", `field "sub" not found`)
	_, err = d.Build(3, 0)
	wantErr(t, err, "task a", "doc 3", "doc_to_target", `field "a" not found`)
	var mf *MissingFieldError
	if !errors.As(err, &mf) || mf.Field != "a" {
		t.Errorf("error %v is not a MissingFieldError for a", err)
	}
	d = load("mc")
	for i, want := range []string{`gold "zz" is not one of the choices ['x', 'y']`, "gold index 5 out of range", "not a list"} {
		_, err := d.Build(i, 0)
		wantErr(t, err, "task mc", "doc "+string(rune('0'+i)), want)
	}
	d = load("bd")
	_, err = d.Build(0, 0)
	wantErr(t, err, "task bd", "doc 0", "metadata.breakdown", `field "level"`)
	_, err = d.Build(-1, 0)
	wantErr(t, err, "out of range")
}

// sharedData returns ../shared/data relative to the module root, skipping
// the test when it is absent (a fresh clone).
func sharedData(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not present at %s (fresh clone): skipping", p)
	}
	return p
}

// TestSharedDataGSM8K reads the real GSM8K files in place (never copied).
func TestSharedDataGSM8K(t *testing.T) {
	data := sharedData(t)
	if _, err := os.Stat(filepath.Join(data, "gsm8k")); err != nil {
		t.Skip("no gsm8k in shared data")
	}
	files := map[string]string{"g.yaml": `task: gsm8k_local
dataset_path: gsm8k
test_split: test
fewshot_split: train
num_fewshot: 5
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_target: "{{answer}}"
generation_kwargs:
  until: ["Question:", "</s>", "<|im_end|>"]
  do_sample: false
`}
	d := mustDataset(t, files, "gsm8k_local", LoadOptions{DataDir: data})
	s, err := d.Build(0, DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(s.Prompt, "Question: ") != 6 || !strings.HasSuffix(s.Prompt, "\nAnswer:") {
		t.Errorf("prompt:\n%s", s.Prompt)
	}
	if !strings.Contains(s.Target, "####") {
		t.Errorf("target %q", s.Target)
	}
}

// TestSharedDataARC runs lm-eval's arc_challenge spec verbatim (including
// "{{choices.label.index(answerKey)}}") on the real file, read in place.
func TestSharedDataARC(t *testing.T) {
	data := sharedData(t)
	if _, err := os.Stat(filepath.Join(data, "arc", "ARC-Challenge", "test.jsonl")); err != nil {
		t.Skip("no ARC-Challenge in shared data")
	}
	files := map[string]string{"arc.yaml": `task: arc_challenge_local
dataset_path: arc
dataset_name: ARC-Challenge
output_type: multiple_choice
training_split: train
validation_split: validation
test_split: test
doc_to_text: "Question: {{question}}\nAnswer:"
doc_to_target: "{{choices.label.index(answerKey)}}"
doc_to_choice: "{{choices.text}}"
should_decontaminate: true
doc_to_decontamination_query: "Question: {{question}}\nAnswer:"
metric_list:
  - metric: acc
    aggregation: mean
    higher_is_better: true
  - metric: acc_norm
    aggregation: mean
    higher_is_better: true
metadata:
  version: 1.0
`}
	d := mustDataset(t, files, "arc_challenge_local", LoadOptions{DataDir: data})
	s, err := d.Build(0, DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	wantPrompt := "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:"
	if s.Prompt != wantPrompt || s.GoldIndex != 2 || len(s.Requests) != 4 {
		t.Fatalf("prompt %q gold %d requests %d", s.Prompt, s.GoldIndex, len(s.Requests))
	}
	if c := s.Requests[2].LogLikelihood.Continuation; c != " Planetary days will become shorter." {
		t.Errorf("continuation %q", c)
	}
	for i := range d.Docs {
		if _, err := d.Build(i, DefaultFewshotSeed); err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
	}
}

func TestCSVTypingKeepsText(t *testing.T) {
	docs, err := readCSV(t.Context(), strings.NewReader("i,f,s,z,e\n1,2.5,2.50,007,\n-3,1.0,x,1,\n"), "x.csv", ',', nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{
		{"i": int64(1), "f": 2.5, "s": "2.50", "z": "007", "e": nil},
		{"i": int64(-3), "f": 1.0, "s": "x", "z": "1", "e": nil},
	}
	if !reflect.DeepEqual(docs, want) {
		t.Errorf("got %#v\nwant %#v", docs, want)
	}
}

// TestCSVColumnNames reads headerless CSV/TSV files through
// dataset_kwargs.column_names (datasets' csv loader option: the names
// replace the header row), with clear errors for bad rows and options.
func TestCSVColumnNames(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	names := []any{"question", "answer_number"}
	tsv := write("m.tsv", "How many?\t18\nAnd now?\t2,125\n")
	ro, err := readOptionsOf(map[string]any{"column_names": names})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := readFile(t.Context(), tsv, "csv", ro)
	if err != nil {
		t.Fatal(err)
	}
	want := []Doc{{"question": "How many?", "answer_number": "18"}, {"question": "And now?", "answer_number": "2,125"}}
	if !reflect.DeepEqual(docs, want) {
		t.Errorf("got %#v\nwant %#v", docs, want)
	}
	// Integer columns are typed as with a header row.
	csvFile := write("n.csv", "a,1\nb,2\n")
	docs, err = readFile(t.Context(), csvFile, "csv", ro)
	if err != nil || !reflect.DeepEqual(docs, []Doc{{"question": "a", "answer_number": int64(1)}, {"question": "b", "answer_number": int64(2)}}) {
		t.Errorf("csv: %#v, %v", docs, err)
	}
	// Without column_names the first row is the header.
	docs, err = readFile(t.Context(), tsv, "csv", readOptions{})
	if err != nil || len(docs) != 1 || docs[0]["How many?"] != "And now?" {
		t.Errorf("header row: %#v, %v", docs, err)
	}
	for _, tc := range []struct {
		name, file string
		kw         map[string]any
		wantErr    string
	}{
		{"short row", write("s.tsv", "q\t1\nonly a question\n"), map[string]any{"column_names": names}, "s.tsv:2: 1 fields, want 2"},
		{"long row", write("l.tsv", "q\t1\textra\n"), map[string]any{"column_names": names}, "l.tsv:1: 3 fields, want 2"},
		{"not a list", tsv, map[string]any{"column_names": "question"}, "dataset_kwargs.column_names: expected a non-empty list"},
		{"empty list", tsv, map[string]any{"column_names": []any{}}, "dataset_kwargs.column_names: expected a non-empty list"},
		{"empty name", tsv, map[string]any{"column_names": []any{"q", ""}}, "dataset_kwargs.column_names[1]: expected a non-empty string"},
		{"duplicate", tsv, map[string]any{"column_names": []any{"q", "q"}}, `"q" appears twice`},
		{"jsonl", write("j.jsonl", "{}\n"), map[string]any{"column_names": names}, "j.jsonl: dataset_kwargs.column_names applies to csv and tsv files only"},
		{"empty file", write("e.tsv", ""), map[string]any{}, "e.tsv: empty file (expected a header row, or dataset_kwargs.column_names"},
	} {
		ro, err := readOptionsOf(tc.kw)
		if err == nil {
			_, err = readFile(t.Context(), tc.file, "", ro)
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.wantErr)
		}
	}
}

// TestBuiltinTasksBuild loads every built-in procedural task (and, without
// -short, every file-based one whose data is in ../shared/data) and renders
// its first documents: the embedded YAMLs and this package must agree.
func TestBuiltinTasksBuild(t *testing.T) {
	c, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	dataDir := ""
	if wd, err := os.Getwd(); err == nil {
		p := filepath.Join(wd, "..", "..", "shared", "data")
		if _, err := os.Stat(p); err == nil {
			dataDir = p
		}
	}
	built := 0
	for _, e := range c.List() {
		if e.Kind != "task" {
			continue
		}
		task, _ := c.Task(e.Name)
		if task.Spec.DatasetPath != procDatasetPath && testing.Short() {
			continue
		}
		d, err := task.Load(t.Context(), LoadOptions{DataDir: dataDir})
		if errors.Is(err, ErrDataNotFound) {
			t.Logf("%s: data not available: skipped", e.Name)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", e.Name, err)
			continue
		}
		for i := 0; i < len(d.Docs) && i < 10; i++ {
			s, err := d.Build(i, DefaultFewshotSeed)
			if err != nil {
				t.Errorf("%s: %v", e.Name, err)
				break
			}
			if len(s.Requests) == 0 {
				t.Errorf("%s doc %d: no requests", e.Name, i)
			}
		}
		built++
	}
	if built < 6 {
		t.Errorf("only %d built-in tasks built", built)
	}
}
