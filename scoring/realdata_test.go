package scoring

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/internal/shareddata"

	"github.com/ouroeval/ouroeval/scoring/mathgrade"
)

// sharedData returns ../shared/data relative to the module root, or skips.
func sharedData(t *testing.T) string {
	t.Helper()
	return shareddata.Path(t)
}

func readJSONL(t *testing.T, path string, each func(line int, row map[string]any)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	line := 0
	for sc.Scan() {
		line++
		var row map[string]any
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		each(line, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// TestGSM8KGoldScoresOne: every GSM8K test answer, run through both lm-eval
// filter chains and exact_match with the task's options, scores 1.
func TestGSM8KGoldScoresOne(t *testing.T) {
	path := filepath.Join(sharedData(t), "gsm8k", "test.jsonl")
	strict, _ := NewChain("strict-match", []FilterStep{{Function: "regex", Args: map[string]any{"regex_pattern": `#### (\-?[0-9\.\,]+)`}}, {Function: "take_first"}})
	flex, _ := NewChain("flexible-extract", []FilterStep{{Function: "regex", Args: map[string]any{"group_select": -1, "regex_pattern": `(-?[$0-9.,]{2,})|(-?[0-9]+)`}}, {Function: "take_first"}})
	em, err := NewMetric(MetricSpec{Metric: "exact_match", Kwargs: map[string]any{
		"ignore_case": true, "ignore_punctuation": false, "regexes_to_ignore": []any{",", `\$`, `(?s).*#### `, `\.$`},
	}}, GenerateUntil)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	readJSONL(t, path, func(line int, row map[string]any) {
		answer, _ := row["answer"].(string)
		for _, c := range []*Chain{strict, flex} {
			got, err := em.Score(&Input{OutputType: GenerateUntil, Filtered: c.Apply([]string{answer}), Gold: answer})
			if err != nil || got != 1 {
				t.Errorf("%s:%d %s: gold scores %v (%v), filtered %q", path, line, c.Name, got, err, c.Apply([]string{answer}))
			}
		}
		n++
	})
	if n != 1319 {
		t.Errorf("read %d GSM8K test rows, want 1319", n)
	}
}

// TestMATH500GoldScoresOne: each MATH-500 solution's boxed answer, written
// as a Minerva "Final Answer" sentence, scores 1 under minerva_math500
// (gold from the solution) and, extracted as a $…$ span, under
// hendrycks_math500, and agrees with the dataset's answer field.
func TestMATH500GoldScoresOne(t *testing.T) {
	path := filepath.Join(sharedData(t), "math500", "test.jsonl")
	minerva, _ := NewChain("minerva", []FilterStep{{Function: "minerva_final_answer"}})
	dollar, _ := NewChain("dollar", []FilterStep{{Function: "hendrycks_dollar_span"}})
	mm, err := NewMetric(MetricSpec{Metric: "minerva_math_equiv", Kwargs: map[string]any{"gold": "solution"}}, GenerateUntil)
	if err != nil {
		t.Fatal(err)
	}
	hm, err := NewMetric(MetricSpec{Metric: "hendrycks_math_equiv", Kwargs: map[string]any{"gold": "solution"}}, GenerateUntil)
	if err != nil {
		t.Fatal(err)
	}
	n, answerAgrees := 0, 0
	readJSONL(t, path, func(line int, row map[string]any) {
		sol, _ := row["solution"].(string)
		ans, _ := row["answer"].(string)
		boxed, ok := mathgrade.ExtractBoxed(sol)
		if !ok {
			t.Errorf("%s:%d: solution has no boxed answer", path, line)
			return
		}
		out := "Final Answer: The final answer is $" + boxed + "$. I hope it is correct."
		if got, err := mm.Score(&Input{Filtered: minerva.Apply([]string{out}), Gold: sol}); err != nil || got != 1 {
			t.Errorf("%s:%d minerva: %q scores %v (%v)", path, line, boxed, got, err)
		}
		if got, err := hm.Score(&Input{Filtered: dollar.Apply([]string{"The answer is $" + boxed + "$."}), Gold: sol}); err != nil || got != 1 {
			t.Errorf("%s:%d hendrycks: %q scores %v (%v)", path, line, boxed, got, err)
		}
		if mathgrade.Equivalent(mathgrade.NormalizeFinalAnswer(ans), mathgrade.NormalizeFinalAnswer(boxed)) {
			answerAgrees++
		} else {
			t.Errorf("%s:%d answer field %q vs boxed %q: not decided equal", path, line, ans, boxed)
		}
		n++
	})
	if n != 500 {
		t.Errorf("read %d MATH-500 rows, want 500", n)
	}
	t.Logf("answer field equivalent to the boxed solution answer on %d/%d rows", answerAgrees, n)
}

// TestMATHGoldExtraction: every solution of the full MATH test set has a
// boxed answer that both normalisers accept and that grades equal to itself
// when written in a slightly different form (\dfrac, spaces).
func TestMATHGoldExtraction(t *testing.T) {
	path := filepath.Join(sharedData(t), "math", "test.jsonl")
	n := 0
	readJSONL(t, path, func(line int, row map[string]any) {
		sol, _ := row["solution"].(string)
		boxed, ok := mathgrade.ExtractBoxed(sol)
		if !ok {
			t.Errorf("%s:%d: no boxed answer in solution", path, line)
			return
		}
		gold, _ := mathgrade.MinervaGold(sol)
		variant := strings.ReplaceAll(boxed, `\frac`, `\dfrac`)
		if !mathgrade.Equivalent(mathgrade.NormalizeFinalAnswer(variant), gold) {
			t.Errorf("%s:%d: %q (as %q) not equivalent to its own normal form %q", path, line, boxed, variant, gold)
		}
		if !mathgrade.HendrycksIsEquiv(variant, boxed) {
			t.Errorf("%s:%d: hendrycks: %q vs %q", path, line, variant, boxed)
		}
		n++
	})
	if n != 5000 {
		t.Errorf("read %d MATH rows, want 5000", n)
	}
}
