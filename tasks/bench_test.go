package tasks

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// harnessBudget is the whole per-sample budget of the harness benchmark
// target (50,000 samples/s end to end); Build must be a small part of it.
const harnessBudget = time.Second / 50000

func benchDataset(b *testing.B, extra string, n int) *Dataset {
	var train, test []string
	for i := 0; i < n; i++ {
		train = append(train, fmt.Sprintf(`{"question": "What is %d plus %d? Show your work in detail.", "answer": "%d", "choices": ["%d", "%d", "%d", "%d"], "gold": 2}`, i, i+1, 2*i+1, i, i+1, 2*i+1, i+2))
	}
	test = train
	files := map[string]string{
		"b.yaml": `task: bench
dataset_path: json
data_files: {train: train.jsonl, test: test.jsonl}
training_split: train
test_split: test
fewshot_split: train
description: "The following are questions about arithmetic.\n\n"
doc_to_text: "Question: {{question}}\nAnswer:"
num_fewshot: 5
` + extra,
		"train.jsonl": jsonl(train...),
		"test.jsonl":  jsonl(test...),
	}
	return mustDataset(b, files, "bench", LoadOptions{})
}

// BenchmarkBuild measures Dataset.Build on one core (5-shot prompt with
// description, template rendering, requests) and reports samples/s, the
// fraction of the harness's per-sample budget (1/50,000 s) it uses, and its
// cost relative to a limit measured in the same run (x_concat: assembling
// an equally long prompt from ready-made pieces). cpu-ns/op is the process
// CPU time per Build (GC included), robust to other load on the machine.
func BenchmarkBuild(b *testing.B) {
	for _, c := range []struct{ name, extra string }{
		{"generate_5shot", "doc_to_target: \"{{answer}}\"\ngeneration_kwargs: {until: [\"\\n\\n\"], max_gen_toks: 64}\n"},
		{"mc4_5shot", "output_type: multiple_choice\ndoc_to_choice: \"{{choices}}\"\ndoc_to_target: gold\n"},
	} {
		b.Run(c.name, func(b *testing.B) {
			d := benchDataset(b, c.extra, 2000)
			// Warm the few-shot cache the way a run does (every pool doc
			// rendered once), then measure steady state.
			for i := range d.Docs {
				if _, err := d.Build(i, 1234); err != nil {
					b.Fatal(err)
				}
			}
			// The limit measured in the same run: assembling an equally long
			// prompt from ready-made pieces (no rendering, no sampling).
			s0, _ := d.Build(0, 1234)
			pieces := strings.SplitAfter(s0.Prompt, "\n\n")
			const reps = 20000
			start := time.Now()
			var sink int
			for r := 0; r < reps; r++ {
				var sb strings.Builder
				for _, p := range pieces {
					sb.WriteString(p)
				}
				sink += len(sb.String())
			}
			baseline := time.Since(start) / reps
			_ = sink
			b.ResetTimer()
			cpu0 := processCPU()
			for n := 0; n < b.N; n++ {
				if _, err := d.Build(n%len(d.Docs), 1234); err != nil {
					b.Fatal(err)
				}
			}
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(max(b.N, 1)), "cpu-ns/op")
			}
			perOp := b.Elapsed() / time.Duration(max(b.N, 1))
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "samples/s")
			b.ReportMetric(float64(perOp)/float64(harnessBudget), "budget_frac")
			b.ReportMetric(float64(perOp)/float64(max(baseline, 1)), "x_concat")
		})
	}
}

// BenchmarkLoad measures loading and compiling a 2,000-document task
// (JSONL parse, canonical hashing, template compilation).
func BenchmarkLoad(b *testing.B) {
	var lines []string
	for i := 0; i < 2000; i++ {
		lines = append(lines, fmt.Sprintf(`{"question": "Q %d %s", "answer": "%d"}`, i, strings.Repeat("x", 200), i))
	}
	c, _, err := loadUser(b, map[string]string{
		"b.yaml":  "task: bl\ndataset_path: json\ndata_files: {test: t.jsonl}\ntest_split: test\ndoc_to_text: \"{{question}}\"\ndoc_to_target: answer\n",
		"t.jsonl": jsonl(lines...),
	})
	if err != nil {
		b.Fatal(err)
	}
	task, _ := c.Task("bl")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := task.Load(b.Context(), LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadCatalog measures loading every built-in task (CLI start-up).
func BenchmarkLoadCatalog(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := LoadCatalog(); err != nil {
			b.Fatal(err)
		}
	}
}
