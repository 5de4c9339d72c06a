package tasks

import (
	"context"
	"strings"
	"testing"
)

// TestBenchPreprocessorErrors feeds each benchmark preprocessor a bad row
// through a real task load: the error names the task, the split, the row
// and what is wrong.
func TestBenchPreprocessorErrors(t *testing.T) {
	for _, c := range []struct {
		name, proc, rows, want string
	}{
		{"mmlu missing field", "mmlu", `{"question": "q", "choice0": "a", "choice1": "b", "choice2": "c", "answer": 1}`, `field "choice3" missing`},
		{"mmlu bad label", "mmlu", `{"question": "q", "choices": ["a", "b", "c", "d"], "answer": "E"}`, `unknown answer label "E"`},
		{"mmlu label range", "mmlu", `{"question": "q", "choices": ["a", "b", "c", "d"], "answer": 4}`, `unknown answer label 4`},
		{"winogrande no blank", "winogrande", `{"sentence": "no blank", "option1": "a", "option2": "b", "answer": "1"}`, `has no blank`},
		{"winogrande label", "winogrande", `{"sentence": "a _ b", "option1": "a", "option2": "b", "answer": "3"}`, `unknown answer label "3"`},
		{"winogrande missing", "winogrande", `{"sentence": "a _ b", "option2": "b", "answer": "1"}`, `field "option1" missing`},
		{"csqa label", "commonsense_qa", `{"answerKey": "F", "question": {"stem": "s", "choices": [{"label": "A", "text": "x"}]}}`, `unknown answer label "F"`},
		{"csqa choices", "commonsense_qa", `{"answerKey": "A", "question": {"stem": "s"}}`, `question.choices`},
		{"mmlu_pro options", "mmlu_pro", `{"question": "no options here", "answer": "A"}`, `embeds no "Options are:" list`},
		{"mmlu_pro label", "mmlu_pro", `{"question": "q\n Options are:\nA. x\nB. y", "answer": "C"}`, `unknown answer label "C"`},
		{"gpqa options", "gpqa_mcq", `{"question": "q\nA) x\nB) y\nC) z", "answer": "A"}`, `3 options, want 4`},
		{"gpqa order", "gpqa_mcq", `{"question": "q\nA) x\nC) y", "answer": "A"}`, `only 1 option`},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{
				"t.yaml": "task: bad\ndataset_path: jsonl\ndata_files: {test: d.jsonl}\ntest_split: test\nprocess_docs: " + c.proc +
					"\noutput_type: generate_until\ndoc_to_text: x\ndoc_to_target: y\n",
				"d.jsonl": goodRow[c.proc] + "\n" + c.rows + "\n",
			}
			cat, _, err := loadUser(t, files)
			if err != nil {
				t.Fatal(err)
			}
			task, _ := cat.Task("bad")
			_, err = task.Load(context.Background(), LoadOptions{})
			if err == nil {
				t.Fatal("bad row accepted")
			}
			for _, w := range []string{"task bad", "split test", "doc 1", c.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// goodRow is a valid first row per preprocessor, so the bad row is doc 1.
var goodRow = map[string]string{
	"mmlu":           `{"question": "q", "choices": ["a", "b", "c", "d"], "answer": 0}`,
	"winogrande":     `{"sentence": "a _ b", "option1": "a", "option2": "b", "answer": "2"}`,
	"commonsense_qa": `{"answerKey": "A", "question": {"stem": "s", "choices": [{"label": "A", "text": "x"}]}}`,
	"mmlu_pro":       `{"question": "q\n Options are:\nA. x\nB. y", "answer": "B"}`,
	"gpqa_mcq":       `{"question": "q\nA) w\nB) x\nC) y\nD) z", "answer": "D"}`,
}

func TestSplitLetterOptions(t *testing.T) {
	stem, opts, err := splitLetterOptions("Q?\nA. one\nB. two\nlines\nC. three", ". ")
	if err != nil || stem != "Q?" || len(opts) != 3 || opts[1] != "two\nlines" || opts[2] != "three" {
		t.Fatalf("%q %q %v", stem, opts, err)
	}
	if _, _, err := splitLetterOptions("Q?\nB. x", ". "); err == nil {
		t.Error("no A accepted")
	}
}

// FuzzBenchPreprocessors: no preprocessor panics on any row, and an
// accepted row has what the templates read.
func FuzzBenchPreprocessors(f *testing.F) {
	f.Add("q\n Options are:\nA. x\nB. y", "A", "a _ b", "1")
	f.Add("q\nA) w\nB) x\nC) y\nD) z", "D", "_", "2")
	f.Add("\nA. \nB. \nC", "J", "", "x")
	f.Fuzz(func(t *testing.T, question, answer, sentence, wanswer string) {
		d := Doc{"question": question, "answer": answer, "sentence": sentence, "option1": "o1", "option2": "o2", "answerKey": answer,
			"choices": map[string]any{"label": []any{"A", "B"}, "text": []any{"x", "y"}}}
		if out, err := mmluProDoc(d); err == nil {
			opts := out["options"].([]any)
			if len(opts) < 2 || int(out["answer_index"].(int64)) >= len(opts) {
				t.Fatalf("mmlu_pro accepted %v", out)
			}
		}
		if out, err := gpqaMCQDoc(d); err == nil && len(out["choices"].([]any)) != 4 {
			t.Fatalf("gpqa accepted %v", out)
		}
		d["answer"] = wanswer
		if out, err := winograndeDoc(d); err == nil {
			if g := out["gold"].(int64); g != 0 && g != 1 {
				t.Fatalf("winogrande gold %d", g)
			}
		}
		commonsenseQADoc(d)
		mmluDoc(d)
	})
}

// TestBenchHFLayoutTasks loads hellaswag and piqa, which have no local copy,
// from synthetic rows in the Hugging Face layout under a data dir, and
// checks the prompts lm-eval builds.
func TestBenchHFLayoutTasks(t *testing.T) {
	dir := t.TempDir()
	hs := `{"ind": 4, "activity_label": "Removing ice from car", "ctx_a": "Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles.", "ctx_b": "then", "ctx": "x", "endings": [", the man adds wax to the windshield and cuts it.", ", a person board a ski lift, while two men supporting the head of the person wearing winter clothes snow as the we girls sled.", ", the man puts on a christmas coat, knitted with netting.", ", the man continues removing the snow on his car."], "source_id": "s", "split": "val", "split_type": "indomain", "label": "3"}`
	piqa := `{"goal": "How do I ready a guinea pig cage for it's new occupants?", "sol1": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.", "sol2": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish.", "label": 0}`
	var train strings.Builder
	for i := 0; i < 12; i++ {
		train.WriteString(strings.Replace(hs, `"ind": 4`, `"ind": 10`+string(rune('0'+i%10)), 1) + "\n")
	}
	writeFiles(t, dir, map[string]string{
		"Rowan/hellaswag/validation.jsonl": hs + "\n",
		"Rowan/hellaswag/train.jsonl":      train.String(),
		"baber/piqa/validation.jsonl":      piqa + "\n",
	})
	cat, err := LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	zero := 0
	for _, c := range []struct {
		task, prompt string
		choice       string
		gold         int
	}{
		{"hellaswag", "Removing ice from car: Then, the man writes over the snow covering the window of a car, and a woman wearing winter clothes smiles. Then", ", the man continues removing the snow on his car.", 3},
		{"piqa", "Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:", "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.", 0},
	} {
		task, _ := cat.Task(c.task)
		ds, err := task.Load(context.Background(), LoadOptions{DataDir: dir, NumFewshot: &zero})
		if err != nil {
			t.Fatalf("%s: %v", c.task, err)
		}
		s, err := ds.Build(0, DefaultFewshotSeed)
		if err != nil {
			t.Fatal(err)
		}
		if s.Prompt != c.prompt || s.GoldIndex != c.gold || s.Requests[c.gold].LogLikelihood.Continuation != " "+c.choice {
			t.Errorf("%s: prompt %q gold %d continuation %q", c.task, s.Prompt, s.GoldIndex, s.Requests[c.gold].LogLikelihood.Continuation)
		}
	}
	// hellaswag's default 10-shot draws from train.
	task, _ := cat.Task("hellaswag")
	ds, err := task.Load(context.Background(), LoadOptions{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	s, err := ds.Build(0, DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(s.Prompt, "Removing ice from car:"); n != 11 || len(s.FewshotIDs) != 10 {
		t.Errorf("hellaswag 10-shot: %d queries, %d shots", n, len(s.FewshotIDs))
	}
}
