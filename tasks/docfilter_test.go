package tasks

import (
	"context"
	"testing"
)

const docFilterYAML = `task: f
dataset_path: jsonl
data_files:
  test: rows.jsonl
  dev: dev.jsonl
test_split: test
fewshot_split: dev
fewshot_config: {sampler: first_n}
num_fewshot: 1
doc_to_text: "{{q}}"
doc_to_target: "{{a}}"
`

func TestDocFilter(t *testing.T) {
	rows := jsonl(`{"q": "x1", "a": "1", "cat": "x", "n": 3}`, `{"q": "y1", "a": "2", "cat": "y", "n": 4}`, `{"q": "x2", "a": "3", "cat": "x", "n": 4}`)
	dev := jsonl(`{"q": "yd", "a": "0", "cat": "y", "n": 4}`, `{"q": "xd", "a": "9", "cat": "x", "n": 4}`)
	for _, c := range []struct {
		name, filter string
		want         []string
		shot         string
	}{
		{"string", "{cat: x}", []string{"x1", "x2"}, "xd"},
		{"number", "{n: 4}", []string{"y1", "x2"}, "yd"},
		{"both", "{cat: x, n: 4}", []string{"x2"}, "xd"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustDataset(t, map[string]string{"f.yaml": docFilterYAML + "doc_filter: " + c.filter + "\n", "rows.jsonl": rows, "dev.jsonl": dev}, "f", LoadOptions{})
			if len(d.Docs) != len(c.want) {
				t.Fatalf("%d docs, want %v", len(d.Docs), c.want)
			}
			for i, w := range c.want {
				if d.Docs[i]["q"] != w {
					t.Errorf("doc %d = %v, want %s", i, d.Docs[i]["q"], w)
				}
			}
			if d.FewShot[0]["q"] != c.shot {
				t.Errorf("first shot %v, want %s", d.FewShot[0]["q"], c.shot)
			}
		})
	}
}

func TestDocFilterErrors(t *testing.T) {
	rows := jsonl(`{"q": "x1", "a": "1", "cat": "x"}`, `{"q": "y1", "a": "2", "kat": "y"}`)
	dev := jsonl(`{"q": "xd", "a": "9", "cat": "x"}`)
	for _, c := range []struct {
		name, filter string
		parts        []string
	}{
		{"missing field", "{cat: x}", []string{"task f", "split test", "doc 1", `field "cat" missing`, "a, kat, q"}},
		{"no match", "{q: zz}", []string{"task f", "split test", "no row matches doc_filter {q: zz}"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cat, _, err := loadUser(t, map[string]string{"f.yaml": docFilterYAML + "doc_filter: " + c.filter + "\n", "rows.jsonl": rows, "dev.jsonl": dev})
			if err != nil {
				t.Fatal(err)
			}
			task, _ := cat.Task("f")
			_, err = task.Load(context.Background(), LoadOptions{})
			wantErr(t, err, c.parts...)
		})
	}
	for _, c := range []struct{ filter, part string }{
		{"[cat]", "doc_filter: want a non-empty mapping"},
		{"{}", "doc_filter: want a non-empty mapping"},
		{"{cat: [x]}", "doc_filter: entries must be field: scalar value"},
	} {
		_, _, err := loadUser(t, map[string]string{"f.yaml": docFilterYAML + "doc_filter: " + c.filter + "\n"})
		wantErr(t, err, "f.yaml", c.part)
	}
}
