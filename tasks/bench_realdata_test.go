package tasks_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/internal/shareddata"
	"github.com/ouroeval/ouroeval/scoring"
	"github.com/ouroeval/ouroeval/scoring/mathgrade"
	"github.com/ouroeval/ouroeval/tasks"
)

// sharedData returns ../shared/data, or skips with a message when it is
// absent (a fresh clone).
func sharedData(t testing.TB) string {
	t.Helper()
	p := shareddata.Path(t, "SOURCES.md")
	return filepath.Dir(p)
}

func catalog(t testing.TB) *tasks.Catalog {
	t.Helper()
	c, err := tasks.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// declaredFile is one metadata.files entry of a benchmark task.
type declaredFile struct {
	Path   string
	SHA256 string
	Rows   int
}

func declaredFiles(t testing.TB, task *tasks.Task) []declaredFile {
	t.Helper()
	raw, ok := task.Spec.Metadata["files"].([]any)
	if !ok {
		return nil
	}
	var out []declaredFile
	for i, e := range raw {
		m, ok := e.(map[string]any)
		if !ok {
			t.Fatalf("task %s: metadata.files[%d] is not a mapping", task.Name, i)
		}
		f := declaredFile{}
		f.Path, _ = m["path"].(string)
		f.SHA256, _ = m["sha256"].(string)
		switch r := m["rows"].(type) {
		case int:
			f.Rows = r
		case int64:
			f.Rows = int(r)
		}
		if f.Path == "" || len(f.SHA256) != 64 || f.Rows <= 0 {
			t.Fatalf("task %s: metadata.files[%d] needs path, sha256 and rows: %v", task.Name, i, m)
		}
		out = append(out, f)
	}
	return out
}

// benchTasks are the built-in benchmark tasks (every task with a
// metadata.source), sorted.
func benchTasks(t testing.TB, c *tasks.Catalog) []*tasks.Task {
	var out []*tasks.Task
	for _, n := range c.Names() {
		task, ok := c.Task(n)
		if !ok {
			continue
		}
		if _, ok := task.Spec.Metadata["source"]; ok {
			out = append(out, task)
		}
	}
	if len(out) < 90 {
		t.Fatalf("only %d benchmark tasks in the catalog", len(out))
	}
	return out
}

func fileSHA(t testing.TB, p string) string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// renderN is how many of n documents the real-data tests render and score:
// all of them, or the first 40 under -short (every row is still loaded).
func renderN(n int) int {
	if testing.Short() && n > 40 {
		return 40
	}
	return n
}

// noLocalFewshot lists tasks whose few-shot pool is not in ../shared/data.
var noLocalFewshot = map[string]bool{"winogrande": true}

// TestBenchTasksLoadEveryRow loads every benchmark task that has local data
// from ../shared/data, checks the declared sha256 of each file, that every
// row of the evaluation split became a document, and renders every
// document (prompt and requests).
func TestBenchTasksLoadEveryRow(t *testing.T) {
	data := sharedData(t)
	c := catalog(t)
	ctx := context.Background()
	loaded := 0
	for _, task := range benchTasks(t, c) {
		files := declaredFiles(t, task)
		if len(files) == 0 {
			continue // hellaswag, piqa: HF layout only
		}
		t.Run(task.Name, func(t *testing.T) {
			for _, f := range files {
				if got := fileSHA(t, filepath.Join(data, filepath.FromSlash(f.Path))); got != f.SHA256 {
					t.Errorf("%s: sha256 %s, declared %s", f.Path, got, f.SHA256)
				}
			}
			opt := tasks.LoadOptions{DataDir: data}
			if noLocalFewshot[task.Name] {
				zero := 0
				opt.NumFewshot = &zero
			}
			ds, err := task.Load(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			evalFiles := task.Spec.DataFiles[ds.EvalSplit]
			want := 0
			for _, ef := range evalFiles {
				for _, f := range files {
					if f.Path == ef {
						want += f.Rows
					}
				}
			}
			if want == 0 {
				t.Fatalf("split %s (%v) has no declared row count", ds.EvalSplit, evalFiles)
			}
			if len(ds.Docs) != want {
				t.Errorf("%d documents, want %d (every row of %v)", len(ds.Docs), want, evalFiles)
			}
			for i := range ds.Docs[:renderN(len(ds.Docs))] {
				s, err := ds.Build(i, tasks.DefaultFewshotSeed)
				if err != nil {
					t.Fatal(err)
				}
				if len(s.Requests) == 0 || (task.Spec.OutputType == tasks.OutputMultipleChoice && s.GoldIndex < 0) {
					t.Fatalf("doc %d: %d requests, gold %d", i, len(s.Requests), s.GoldIndex)
				}
			}
		})
		loaded++
	}
	if loaded < 90 {
		t.Errorf("only %d tasks loaded", loaded)
	}
}

// readJSONL reads line n (0-based) of a JSONL file as a map.
func readJSONL(t testing.TB, p string, n int) map[string]any {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for i := 0; sc.Scan(); i++ {
		if i == n {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("%s has no line %d", p, n)
	return nil
}

func buildDoc(t testing.TB, c *tasks.Catalog, name string, doc int, opt tasks.LoadOptions) *tasks.Sample {
	t.Helper()
	task, ok := c.Task(name)
	if !ok {
		t.Fatalf("no task %s", name)
	}
	ds, err := task.Load(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ds.Build(doc, tasks.DefaultFewshotSeed)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBenchPromptsMatchLMEval checks rendered prompts byte for byte against
// strings assembled here from lm-eval's documented templates (and, for
// GSM8K, from the few-shot indices CPython's random.Random(1234).sample
// draws, as lm-eval's default sampler does).
func TestBenchPromptsMatchLMEval(t *testing.T) {
	data := sharedData(t)
	c := catalog(t)
	opt := tasks.LoadOptions{DataDir: data}

	// gsm8k, doc 0: 5 shots = random.Random(1234).sample(train, 5) ->
	// [6374, 3610, 957, 61, 742] (computed with CPython 3).
	test0 := readJSONL(t, filepath.Join(data, "gsm8k/test.jsonl"), 0)
	var want strings.Builder
	for _, i := range []int{6374, 3610, 957, 61, 742} {
		d := readJSONL(t, filepath.Join(data, "gsm8k/train.jsonl"), i)
		fmt.Fprintf(&want, "Question: %s\nAnswer: %s\n\n", d["question"], d["answer"])
	}
	fmt.Fprintf(&want, "Question: %s\nAnswer:", test0["question"])
	if s := buildDoc(t, c, "gsm8k", 0, opt); s.Prompt != want.String() {
		t.Errorf("gsm8k doc 0 prompt:\n%q\nwant\n%q", s.Prompt, want.String())
	}

	// gsm8k, doc 1: the sampler's second draw, [7462, 6610, 4769, 286, 5501].
	want.Reset()
	for _, i := range []int{7462, 6610, 4769, 286, 5501} {
		d := readJSONL(t, filepath.Join(data, "gsm8k/train.jsonl"), i)
		fmt.Fprintf(&want, "Question: %s\nAnswer: %s\n\n", d["question"], d["answer"])
	}
	fmt.Fprintf(&want, "Question: %s\nAnswer:", readJSONL(t, filepath.Join(data, "gsm8k/test.jsonl"), 1)["question"])
	if s := buildDoc(t, c, "gsm8k", 1, opt); s.Prompt != want.String() {
		t.Errorf("gsm8k doc 1 prompt:\n%q\nwant\n%q", s.Prompt, want.String())
	}

	// arc_challenge, doc 0, 25 shots: random.Random(1234).sample(train, 25).
	arcShot := func(d map[string]any) (q, gold string) {
		ch := d["choices"].(map[string]any)
		for k, l := range ch["label"].([]any) {
			if l == d["answerKey"] {
				gold = ch["text"].([]any)[k].(string)
			}
		}
		return d["question"].(string), gold
	}
	want.Reset()
	for _, i := range []int{902, 239, 15, 185, 71, 171, 201, 726, 484, 35, 63, 32, 708, 991, 949, 304, 186, 374, 234, 29, 1030, 996, 511, 132, 1108} {
		q, g := arcShot(readJSONL(t, filepath.Join(data, "arc/ARC-Challenge/train.jsonl"), i))
		fmt.Fprintf(&want, "Question: %s\nAnswer: %s\n\n", q, g)
	}
	q0, _ := arcShot(readJSONL(t, filepath.Join(data, "arc/ARC-Challenge/test.jsonl"), 0))
	fmt.Fprintf(&want, "Question: %s\nAnswer:", q0)
	if s := buildDoc(t, c, "arc_challenge", 0, opt); s.Prompt != want.String() {
		t.Errorf("arc_challenge doc 0 25-shot prompt:\n%q\nwant\n%q", s.Prompt, want.String())
	}

	// commonsense_qa, doc 0, 10 shots: random.Random(1234).sample(train, 10).
	csqa := func(d map[string]any) string {
		q := d["question"].(map[string]any)
		var b strings.Builder
		fmt.Fprintf(&b, "Question: %s", strings.TrimSpace(q["stem"].(string)))
		for k, ch := range q["choices"].([]any) {
			fmt.Fprintf(&b, "\n%c. %s", 'A'+k, ch.(map[string]any)["text"])
		}
		b.WriteString("\nAnswer:")
		return b.String()
	}
	want.Reset()
	for _, i := range []int{7220, 1914, 122, 1485, 9539, 572, 1375, 1612, 5810, 3879} {
		d := readJSONL(t, filepath.Join(data, "commonsenseqa/train_rand_split.jsonl"), i)
		fmt.Fprintf(&want, "%s %s\n\n", csqa(d), d["answerKey"])
	}
	want.WriteString(csqa(readJSONL(t, filepath.Join(data, "commonsenseqa/dev_rand_split.jsonl"), 0)))
	if s := buildDoc(t, c, "commonsense_qa", 0, opt); s.Prompt != want.String() {
		t.Errorf("commonsense_qa doc 0 10-shot prompt:\n%q\nwant\n%q", s.Prompt, want.String())
	}

	// gsm8k_cot_3shot, doc 0: the first 3 Wei et al. exemplars.
	cot := "Q: There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?\n" +
		"A: There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6.\n\n" +
		"Q: If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?\n" +
		"A: There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5.\n\n" +
		"Q: Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?\n" +
		"A: Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39.\n\n" +
		"Q: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\nA:"
	if s := buildDoc(t, c, "gsm8k_cot_3shot", 0, opt); s.Prompt != cot || s.Target != "18" {
		t.Errorf("gsm8k_cot_3shot doc 0: prompt\n%q\ntarget %q", s.Prompt, s.Target)
	}

	// mmlu_abstract_algebra, doc 0: description + the 5 dev questions in
	// order + the test question; continuations " A".." D".
	var mm strings.Builder
	mm.WriteString("The following are multiple choice questions (with answers) about abstract algebra.\n\n")
	mm.WriteString("Find all c in Z_3 such that Z_3[x]/(x^2 + c) is a field.\nA. 0\nB. 1\nC. 2\nD. 3\nAnswer: B\n\n")
	mm.WriteString("Statement 1 | If aH is an element of a factor group, then |aH| divides |a|. Statement 2 | If H and K are subgroups of G then HK is a subgroup of G.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: B\n\n")
	mm.WriteString("Statement 1 | Every element of a group generates a cyclic subgroup of the group. Statement 2 | The symmetric group S_10 has 10 elements.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: C\n\n")
	mm.WriteString("Statement 1| Every function from a finite set onto itself must be one to one. Statement 2 | Every subgroup of an abelian group is abelian.\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer: A\n\n")
	mm.WriteString("Find the characteristic of the ring 2Z.\nA. 0\nB. 3\nC. 12\nD. 30\nAnswer: A\n\n")
	mm.WriteString("Find the degree for the given field extension Q(sqrt(2), sqrt(3), sqrt(18)) over Q.\nA. 0\nB. 4\nC. 2\nD. 6\nAnswer:")
	s := buildDoc(t, c, "mmlu_abstract_algebra", 0, opt)
	if s.Prompt != mm.String() {
		t.Errorf("mmlu_abstract_algebra doc 0 prompt:\n%q\nwant\n%q", s.Prompt, mm.String())
	}
	for k, r := range s.Requests {
		if r.LogLikelihood == nil || r.LogLikelihood.Continuation != " "+string(rune('A'+k)) {
			t.Errorf("mmlu request %d: %+v", k, r.LogLikelihood)
		}
	}
	if s.GoldIndex != 1 {
		t.Errorf("mmlu_abstract_algebra doc 0 gold %d, want 1 (B)", s.GoldIndex)
	}

	// bbh boolean_expressions, doc 0 (v4.0 layout).
	bq := func(in string) string { return "Q: " + in + "\nA: Let's think step by step.\n" }
	bb := "Evaluate the result of a random Boolean expression.\n\n" +
		bq("not ( ( not not True ) ) is") + "Remember that (i) expressions inside brackets are always evaluated first and that (ii) the order of operations from highest priority to lowest priority is \"not\", \"and\", \"or\", respectively.\nWe first simplify this expression \"Z\" as follows: \"Z = not ( ( not not True ) ) = not ( ( A ) )\" where \"A = not not True\".\nLet's evaluate A: A = not not True = not (not True) = not False = True.\nPlugging in A, we get: Z = not ( ( A ) ) = not ( ( True ) ) = not True = False. So the answer is False.\n\n" +
		bq("True and False and not True and True is") + "Remember that (i) expressions inside brackets are always evaluated first and that (ii) the order of operations from highest priority to lowest priority is \"not\", \"and\", \"or\", respectively.\nWe first simplify this expression \"Z\" as follows: \"Z = True and False and not True and True = A and B\" where \"A = True and False\" and \"B = not True and True\".\nLet's evaluate A: A = True and False = False.\nLet's evaluate B: B = not True and True = not (True and True) = not (True) = False.\nPlugging in A and B, we get: Z = A and B = False and False = False. So the answer is False.\n\n" +
		bq("not not ( not ( False ) ) is") + "Remember that (i) expressions inside brackets are always evaluated first and that (ii) the order of operations from highest priority to lowest priority is \"not\", \"and\", \"or\", respectively.\nWe first simplify this expression \"Z\" as follows: \"Z = not not ( not ( False ) ) = not not ( A )\" where \"A = not ( False )\".\nLet's evaluate A: A = not ( False ) = not False = True.\nPlugging in A, we get: Z = not not ( A ) = not not (True) = not not False = True. So the answer is True.\n\n" +
		bq("not ( True ) and ( True ) is")
	if s := buildDoc(t, c, "bbh_cot_fewshot_boolean_expressions", 0, opt); s.Prompt != bb || s.Target != "False" {
		t.Errorf("bbh boolean_expressions doc 0: prompt\n%q\ntarget %q", s.Prompt, s.Target)
	}

	zero := 0
	opt0 := tasks.LoadOptions{DataDir: data, NumFewshot: &zero}
	// arc_challenge, doc 0, 0-shot.
	s = buildDoc(t, c, "arc_challenge", 0, opt0)
	if want := "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?\nAnswer:"; s.Prompt != want || s.GoldIndex != 2 ||
		s.Requests[2].LogLikelihood.Continuation != " Planetary days will become shorter." {
		t.Errorf("arc_challenge doc 0: %q gold %d", s.Prompt, s.GoldIndex)
	}
	// winogrande, doc 0: partial evaluation.
	s = buildDoc(t, c, "winogrande", 0, opt0)
	if s.Prompt != "" || s.GoldIndex != 1 || len(s.Requests) != 2 ||
		s.Requests[0].LogLikelihood.Context != "Sarah was a much better surgeon than Maria so Sarah" ||
		s.Requests[1].LogLikelihood.Context != "Sarah was a much better surgeon than Maria so Maria" ||
		s.Requests[0].LogLikelihood.Continuation != " always got the easier cases." ||
		s.Requests[1].LogLikelihood.Continuation != " always got the easier cases." {
		t.Errorf("winogrande doc 0: prompt %q gold %d requests %+v %+v", s.Prompt, s.GoldIndex, s.Requests[0].LogLikelihood, s.Requests[1].LogLikelihood)
	}
	// commonsense_qa, doc 0, 0-shot.
	s = buildDoc(t, c, "commonsense_qa", 0, opt0)
	if want := "Question: A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?\nA. bank\nB. library\nC. department store\nD. mall\nE. new york\nAnswer:"; s.Prompt != want || s.GoldIndex != 0 {
		t.Errorf("commonsense_qa doc 0: %q gold %d", s.Prompt, s.GoldIndex)
	}
	// hendrycks_math500, doc 0.
	s = buildDoc(t, c, "hendrycks_math500", 0, opt)
	if want := "Problem: Convert the point $(0,3)$ in rectangular coordinates to polar coordinates.  Enter your answer in the form $(r,\\theta),$ where $r > 0$ and $0 \\le \\theta < 2 \\pi.$\nAnswer:"; s.Prompt != want {
		t.Errorf("hendrycks_math500 doc 0: %q", s.Prompt)
	}
	// minerva_math500, doc 0: ends with the problem after the 4 exemplars.
	s = buildDoc(t, c, "minerva_math500", 0, opt)
	if !strings.HasPrefix(s.Prompt, "Problem:\nFind the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}\n\nSolution: The expressions inside") ||
		!strings.HasSuffix(s.Prompt, "Final Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.\n\nProblem:\nConvert the point $(0,3)$ in rectangular coordinates to polar coordinates.  Enter your answer in the form $(r,\\theta),$ where $r > 0$ and $0 \\le \\theta < 2 \\pi.$\n\nSolution:") ||
		strings.Count(s.Prompt, "Problem:\n") != 5 {
		t.Errorf("minerva_math500 doc 0 prompt:\n%s", s.Prompt)
	}
	// mgsm_en (lm-eval mgsm_direct_en), docs 0 and 146: 0-shot; the
	// headerless TSV's answer "2,125" becomes lm-eval's integer target.
	for _, tc := range []struct {
		doc            int
		prompt, target string
	}{
		{0, "Question: Janet’s ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?\nAnswer:", "18"},
		{146, "Question: Johnny is picking up the toys on the floor of his room.  He'd dumped a lego boxed set with 500 pieces on the floor, and another one that had 3 times more pieces than the 500 piece one, and another one that had 1/4 the number of pieces.  How many blocks does Johnny pick up if he picks up all the legos?\nAnswer:", "2125"},
	} {
		if s := buildDoc(t, c, "mgsm_en", tc.doc, opt); s.Prompt != tc.prompt || s.Target != tc.target {
			t.Errorf("mgsm_en doc %d: prompt %q target %q\nwant %q target %q", tc.doc, s.Prompt, s.Target, tc.prompt, tc.target)
		}
	}
	// gpqa_diamond, doc 0.
	s = buildDoc(t, c, "gpqa_diamond", 0, opt)
	if want := "What is the correct answer to this question:Two quantum states with energies E1 and E2 have a lifetime of 10^-9 sec and 10^-8 sec, respectively. We want to clearly distinguish these two energy levels. Which one of the following options could be their energy difference so that they can be clearly resolved?\nChoices:\n(A) 10^-4 eV\n(B) 10^-11 eV\n(C) 10^-8 eV\n(D) 10^-9 eV\nAnswer:"; s.Prompt != want || s.GoldIndex != 0 {
		t.Errorf("gpqa_diamond doc 0: %q gold %d", s.Prompt, s.GoldIndex)
	}
}

// chains builds a task's filter chains and metrics through package
// scoring, as the harness does.
func chains(t testing.TB, task *tasks.Task) ([]*scoring.Chain, []scoring.Metric) {
	t.Helper()
	var cs []*scoring.Chain
	for _, f := range task.Filters() {
		steps := make([]scoring.FilterStep, len(f.Steps))
		for i, s := range f.Steps {
			steps[i] = scoring.FilterStep{Function: s.Function, Args: s.Args}
		}
		c, err := scoring.NewChain(f.Name, steps)
		if err != nil {
			t.Fatalf("task %s: filter %s: %v", task.Name, f.Name, err)
		}
		cs = append(cs, c)
	}
	var ms []scoring.Metric
	for _, m := range task.Metrics() {
		sm, err := scoring.NewMetric(scoring.MetricSpec{Metric: m.Metric, Aggregation: m.Aggregation, HigherIsBetter: m.HigherIsBetter, Kwargs: m.Kwargs}, task.Spec.OutputType)
		if err != nil {
			t.Fatalf("task %s: metric %s: %v", task.Name, m.Metric, err)
		}
		ms = append(ms, sm)
	}
	return cs, ms
}

// goldResponse is what a perfect model would answer to sample s of task.
func goldResponse(t testing.TB, task string, s *tasks.Sample) string {
	switch {
	case task == "gsm8k":
		return s.Target // rationale + "#### N"
	case strings.HasPrefix(task, "gsm8k_cot"):
		return "Let me think. The answer is " + s.Target + "."
	case task == "minerva_math500":
		b, ok := mathgrade.ExtractBoxed(s.Target)
		if !ok {
			t.Fatalf("doc %d: solution without \\boxed{}", s.DocID)
		}
		return " Some work.\nFinal Answer: The final answer is $" + b + "$. I hope it is correct."
	case task == "hendrycks_math500":
		b, ok := mathgrade.ExtractBoxed(s.Target)
		if !ok {
			t.Fatalf("doc %d: solution without \\boxed{}", s.DocID)
		}
		return " $" + b + "$"
	case strings.HasPrefix(task, "aime"), task == "svamp":
		return "so the result is \\boxed{" + s.Target + "}."
	case strings.HasPrefix(task, "bbh_"):
		return "Step one. So the answer is " + s.Target + "."
	case task == "mmlu_pro_subset300":
		return "Reasoning. The answer is (" + s.Target + ")."
	case task == "mgsm_en":
		return " " + s.Target // direct answer after "Answer:"
	}
	t.Fatalf("no gold response for task %s", task)
	return ""
}

// TestBenchGoldScoresOne sends every document's gold answer through the
// task's own extraction and grading and requires a score of 1: gold
// generations for generate_until tasks, and log-likelihoods that favour the
// gold choice for multiple-choice tasks.
func TestBenchGoldScoresOne(t *testing.T) {
	data := sharedData(t)
	c := catalog(t)
	zero := 0
	for _, task := range benchTasks(t, c) {
		if len(declaredFiles(t, task)) == 0 {
			continue
		}
		t.Run(task.Name, func(t *testing.T) {
			cs, ms := chains(t, task)
			ds, err := task.Load(context.Background(), tasks.LoadOptions{DataDir: data, NumFewshot: &zero})
			if err != nil {
				t.Fatal(err)
			}
			for i := range ds.Docs[:renderN(len(ds.Docs))] {
				s, err := ds.Build(i, tasks.DefaultFewshotSeed)
				if err != nil {
					t.Fatal(err)
				}
				in := &scoring.Input{OutputType: task.Spec.OutputType, Gold: s.Target, GoldIndex: s.GoldIndex, Golds: s.Golds, Choices: s.Choices}
				if task.Spec.OutputType == tasks.OutputGenerateUntil {
					r := goldResponse(t, task.Name, s)
					for k := 0; k < task.Spec.Repeats; k++ {
						in.Raw = append(in.Raw, r)
					}
				} else {
					for k := range s.Choices {
						ll := -10.0 - float64(len(s.Choices[k]))
						if k == s.GoldIndex {
							ll = -0.5
						}
						in.LogLikelihoods = append(in.LogLikelihoods, ll)
						in.IsGreedy = append(in.IsGreedy, k == s.GoldIndex)
					}
				}
				for _, ch := range cs {
					ci := *in
					if task.Spec.OutputType == tasks.OutputGenerateUntil {
						ci.Filtered = ch.Apply(in.Raw)
						if ch.IsFailure(ci.Filtered) {
							t.Fatalf("doc %d: chain %s could not extract from %q", i, ch.Name, in.Raw[0])
						}
					}
					for _, m := range ms {
						v, err := m.Score(&ci)
						if err != nil {
							t.Fatalf("doc %d: %s,%s: %v", i, m.Name(), ch.Name, err)
						}
						if v != 1 && !(math.IsNaN(v)) {
							t.Fatalf("doc %d: %s,%s = %v for the gold answer (target %q, filtered %q)", i, m.Name(), ch.Name, v, s.Target, ci.Filtered)
						}
					}
				}
			}
		})
	}
}

// TestBenchSuites checks the paper suites resolve to the intended tasks.
func TestBenchSuites(t *testing.T) {
	c := catalog(t)
	for suite, want := range map[string][]string{
		"ouro-base":     {"mmlu_abstract_algebra", "mmlu_pro_biology", "mmlu_pro_psychology", "bbh_cot_fewshot_boolean_expressions", "arc_challenge", "hellaswag", "winogrande", "gsm8k_cot_3shot", "minerva_math500"},
		"ouro-thinking": {"aime24", "aime25", "gpqa_diamond"},
	} {
		ts, err := c.Resolve([]string{suite})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, x := range ts {
			names = append(names, x.Name)
		}
		sort.Strings(names)
		for _, w := range want {
			i := sort.SearchStrings(names, w)
			if i == len(names) || names[i] != w {
				t.Errorf("%s lacks %s (has %v)", suite, w, names)
			}
		}
	}
}

// TestBenchDataDeclarations checks every benchmark's metadata.source and
// metadata.files parse (no data needed).
func TestBenchDataDeclarations(t *testing.T) {
	c := catalog(t)
	withFiles := 0
	for _, task := range benchTasks(t, c) {
		src, ok, err := task.DataSource()
		if err != nil || !ok || src.Dataset == "" || !strings.Contains(src.Dataset, "/") {
			t.Errorf("task %s: source %+v, %v, %v", task.Name, src, ok, err)
		}
		files, err := task.DataFiles()
		if err != nil {
			t.Error(err)
		}
		if len(files) > 0 {
			withFiles++
		}
		for _, f := range files {
			found := false
			for _, dfs := range task.Spec.DataFiles {
				for _, df := range dfs {
					found = found || df == f.Path
				}
			}
			if !found {
				t.Errorf("task %s: declared file %s is not in data_files", task.Name, f.Path)
			}
		}
	}
	if withFiles < 90 {
		t.Errorf("only %d tasks declare files", withFiles)
	}
}
