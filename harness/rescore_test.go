package harness

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/tasks"
)

func TestReadResponses(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[int][]string
		format   string
		err      string
	}{
		{"plain", `{"doc_id": 1, "response": "a"}` + "\n\n" + `{"doc_id": 0, "responses": ["b", "c"]}`, map[int][]string{0: {"b", "c"}, 1: {"a"}}, "responses", ""},
		{"lm-eval", `{"doc_id": 0, "filter": "strict-match", "resps": [["x", "y"]], "arguments": {"gen_args_0": {"arg_0": "Q: 1", "arg_1": {}}}}` + "\n" +
			`{"doc_id": 0, "filter": "flexible-extract", "resps": [["x", "y"]]}`, map[int][]string{0: {"x", "y"}}, "lm-eval", ""},
		{"conflict", `{"doc_id": 0, "response": "a"}` + "\n" + `{"doc_id": 0, "response": "b"}`, nil, "", "t.jsonl:2: doc 0 appears again with different responses"},
		{"no id", `{"response": "a"}`, nil, "", "t.jsonl:1: no \"doc_id\""},
		{"negative", `{"doc_id": -1, "response": "a"}`, nil, "", "negative"},
		{"bad json", `{"doc_id": 0, "response": }`, nil, "", "t.jsonl:1: invalid JSON"},
		{"loglikelihood", `{"doc_id": 0, "resps": [[["-1.5", "False"]], [["-0.5", "True"]]]}`, nil, "", "log-likelihood samples cannot be rescored"},
		{"nothing", `{"doc_id": 0}`, nil, "", "no \"response\""},
		{"empty", "\n", nil, "", "t.jsonl: no responses"},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec, err := ReadResponses(strings.NewReader(c.in), "t.jsonl")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rec.Format != c.format || len(rec.Responses) != len(c.want) {
				t.Fatalf("got %+v", rec)
			}
			for id, w := range c.want {
				if !equalStrings(rec.Responses[id], w) {
					t.Errorf("doc %d: %q, want %q", id, rec.Responses[id], w)
				}
			}
		})
	}
}

func FuzzReadResponses(f *testing.F) {
	f.Add(`{"doc_id": 1, "response": "a"}`)
	f.Add(`{"doc_id": 0, "resps": [["x"]], "arguments": {"gen_args_0": {"arg_0": "c"}}}`)
	f.Add(`{"doc_id": 0, "resps": [[1]]}`)
	f.Add(`{"doc_id": 0, "responses": []}` + "\n" + `{"doc_id": 0, "response": "z"}`)
	f.Fuzz(func(t *testing.T, in string) {
		rec, err := ReadResponses(strings.NewReader(in), "f.jsonl")
		if err == nil {
			for id, r := range rec.Responses {
				if id < 0 || len(r) == 0 {
					t.Fatalf("accepted doc %d with %d responses", id, len(r))
				}
			}
		}
	})
}

// TestRescoreEndToEnd rescores recorded generations of a small task and
// checks the run directory's metrics, errors for missing documents and the
// note about prompts that differ from lm-eval's contexts.
func TestRescoreEndToEnd(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("d.jsonl", `{"q": "1+1", "a": "2"}`+"\n"+`{"q": "2+2", "a": "4"}`+"\n"+`{"q": "3+3", "a": "6"}`+"\n"+`{"q": "1+1", "a": "2"}`+"\n")
	write("t.yaml", `task: arith
dataset_path: jsonl
data_files: {test: d.jsonl}
test_split: test
output_type: generate_until
doc_to_text: "Q: {{q}}\nA:"
doc_to_target: "{{a}}"
filter_list:
  - name: num
    filter:
      - {function: regex, regex_pattern: "(\\d+)"}
      - {function: take_first}
metric_list:
  - {metric: exact_match}
metadata: {version: 1.0}
`)
	cat, err := tasks.LoadCatalog(dir)
	if err != nil {
		t.Fatal(err)
	}
	env := Env{Catalog: NewCatalog(cat), Stats: ScoringStats{}}
	// docs 0 and 3 share a prompt: answered in document order.
	lines := []map[string]any{
		{"doc_id": 0, "resps": [][]string{{"it is 2"}}, "arguments": map[string]any{"gen_args_0": map[string]any{"arg_0": "Q: 1+1\nA:"}}},
		{"doc_id": 1, "resps": [][]string{{"5"}}, "arguments": map[string]any{"gen_args_0": map[string]any{"arg_0": "Question: 2+2"}}},
		{"doc_id": 3, "resps": [][]string{{"no idea"}}},
	}
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	rec, err := ReadResponses(strings.NewReader(b.String()), "samples_arith.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "run")
	res, err := Rescore(context.Background(), RescoreConfig{Task: "arith", Bootstrap: 100}, rec, env, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Metrics.Results) != 1 || len(res.Metrics.Results[0].Metrics) != 1 {
		t.Fatalf("metrics %+v", res.Metrics.Results)
	}
	m := res.Metrics.Results[0].Metrics[0]
	// doc 0 right, doc 1 wrong, doc 2 missing (error), doc 3 no answer.
	if m.N != 3 || m.NErrors != 1 || m.NExtractionFailures != 1 || m.Value == nil || *m.Value != 1.0/3 {
		t.Errorf("metric %+v (value %v)", m, m.Value)
	}
	notes := strings.Join(res.Notes, "\n")
	if !strings.Contains(notes, "1 of 2 documents were generated from a prompt that differs") || !strings.Contains(notes, "1 documents in 0..3 have no recorded response") {
		t.Errorf("notes: %s", notes)
	}
	for _, f := range []string{"run.json", "metrics.json", "samples/rescored/arith.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if _, err := Rescore(context.Background(), RescoreConfig{Task: "nope"}, rec, env, Options{Out: out}); err == nil {
		t.Error("unknown task accepted")
	}
	big := &Recorded{Responses: map[int][]string{9: {"x"}}}
	if _, err := Rescore(context.Background(), RescoreConfig{Task: "arith"}, big, env, Options{Out: out}); err == nil || !strings.Contains(err.Error(), "doc_id 9") {
		t.Errorf("out-of-range doc_id: %v", err)
	}
}
