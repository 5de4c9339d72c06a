package tasks_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/scoring"
	"github.com/ouroeval/ouroeval/tasks"
)

// mmluProRow is one TIGER-Lab/MMLU-Pro row in the Hugging Face layout.
func mmluProRow(t *testing.T, id int, category, question string, options []string, answer, cot string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{
		"question_id": id, "question": question, "options": options,
		"answer": answer, "answer_index": int(answer[0] - 'A'),
		"cot_content": cot, "category": category, "src": "synthetic",
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBenchMMLUProFull loads mmlu_pro_biology from synthetic rows in the
// Hugging Face layout (two categories in each split) and checks the
// category filter, the 5-shot prompt byte for byte against lm-eval's v3.1
// template, and that the gold answer scores 1 through the task's chain.
func TestBenchMMLUProFull(t *testing.T) {
	dir := t.TempDir()
	var val, test []string
	// Computer-science rows come first in both splits: first_n must still
	// take biology questions only.
	for i := 0; i < 2; i++ {
		val = append(val, mmluProRow(t, 100+i, "computer science", "What is a bit?", []string{"a binary digit", "a byte"}, "A",
			"A: Let's think step by step. A bit is a binary digit. The answer is (A)."))
	}
	for i := 0; i < 6; i++ {
		n := string(rune('1' + i))
		val = append(val, mmluProRow(t, 200+i, "biology", "Biology shot "+n+"?",
			[]string{"  yes ", "no", "maybe"}, "B",
			"A: Let's think step by step. Reasoning "+n+". The answer is (B)."))
	}
	test = append(test,
		mmluProRow(t, 1, "computer science", "What does CPU stand for?", []string{"central processing unit", "core power unit"}, "A", ""),
		mmluProRow(t, 2, "biology", "Which organelle makes ATP?\n", []string{"Nucleus", " Mitochondrion", "Ribosome", "Golgi apparatus"}, "B", ""),
		mmluProRow(t, 3, "biology", "What carries genetic information?", []string{"Lipids", "Sugars", "DNA"}, "C", ""),
	)
	hf := filepath.Join(dir, "TIGER-Lab", "MMLU-Pro")
	if err := os.MkdirAll(hf, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, rows := range map[string][]string{"validation.jsonl": val, "test.jsonl": test} {
		if err := os.WriteFile(filepath.Join(hf, name), []byte(strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := catalog(t)
	task, ok := c.Task("mmlu_pro_biology")
	if !ok {
		t.Fatal("mmlu_pro_biology not in catalog")
	}
	ds, err := task.Load(context.Background(), tasks.LoadOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Docs) != 2 || len(ds.FewShot) != 6 {
		t.Fatalf("filtered to %d test docs and %d few-shot docs, want 2 and 6", len(ds.Docs), len(ds.FewShot))
	}
	for _, d := range append(append([]tasks.Doc{}, ds.Docs...), ds.FewShot...) {
		if d["category"] != "biology" {
			t.Errorf("doc of category %v kept", d["category"])
		}
	}
	s, err := ds.Build(0, tasks.DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	// lm-eval v3.1: description, then each shot's question rendered like
	// the test prompt + " " + cot_content without "A: Let's think step by
	// step. ", shots joined by "\n\n", then the test question.
	want := "The following are multiple choice questions (with answers) about biology. Think step by step and then finish your answer with \"the answer is (X)\" where X is the correct letter choice.\n"
	for i := 1; i <= 5; i++ {
		n := string(rune('0' + i))
		want += "Question:\nBiology shot " + n + "?\nOptions:\nA. yes\nB. no\nC. maybe\nAnswer: Let's think step by step. Reasoning " + n + ". The answer is (B).\n\n"
	}
	want += "Question:\nWhich organelle makes ATP?\n\nOptions:\nA. Nucleus\nB. Mitochondrion\nC. Ribosome\nD. Golgi apparatus\nAnswer: Let's think step by step."
	if s.Prompt != want {
		t.Errorf("prompt\n%q\nwant\n%q", s.Prompt, want)
	}
	if got, wantIDs := s.FewshotIDs, []int{0, 1, 2, 3, 4}; len(got) != 5 || got[0] != 0 || got[4] != 4 {
		t.Errorf("few-shot ids %v, want %v", got, wantIDs)
	}
	if s.Target != "B" {
		t.Errorf("target %q, want B", s.Target)
	}
	gk := task.Spec.GenerationKwargs
	if len(gk.Until) != 1 || gk.Until[0] != "Question:" || gk.MaxGenToks != 2048 || gk.DoSample {
		t.Errorf("generation_kwargs %+v", gk)
	}

	cs, ms := chains(t, task)
	if len(cs) != 1 || cs[0].Name != "custom-extract" || len(ms) != 1 {
		t.Fatalf("%d chains, %d metrics", len(cs), len(ms))
	}
	for _, c := range []struct {
		resp string
		want float64
	}{
		{"The ATP comes from respiration. The answer is (B). Not the answer is (A).", 1},
		{"so the answer is B", 1},
		{"so the answer is b", 0}, // the regex's letter class is upper case, as in lm-eval
		{"The answer is (A).", 0},
		{"Mitochondrion.", 0},
	} {
		in := &scoring.Input{OutputType: task.Spec.OutputType, Gold: s.Target, GoldIndex: s.GoldIndex, Raw: []string{c.resp}}
		in.Filtered = cs[0].Apply(in.Raw)
		v, err := ms[0].Score(in)
		if err != nil {
			t.Fatal(err)
		}
		if v != c.want {
			t.Errorf("%q: exact_match %v, want %v (filtered %q)", c.resp, v, c.want, in.Filtered)
		}
	}

	// The group aggregates the 14 categories by size.
	members, err := c.Resolve([]string{"mmlu_pro"})
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 14 {
		t.Errorf("mmlu_pro resolves to %d tasks, want 14", len(members))
	}
}
