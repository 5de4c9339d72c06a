package mathgrade

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// TestEquivalenceCases runs the hand-checked cases in
// testdata/equiv_cases.tsv (equal and not-equal pairs for both graders).
func TestEquivalenceCases(t *testing.T) {
	f, err := os.Open("testdata/equiv_cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line, n, equal, notEqual := 0, 0, 0, 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		cols := strings.Split(text, "\t")
		if len(cols) != 5 || (cols[3] != "0" && cols[3] != "1") {
			t.Fatalf("equiv_cases.tsv:%d: malformed row %q", line, text)
		}
		grader := cols[0]
		pred := strings.ReplaceAll(cols[1], "⏎", "\n")
		gold := strings.ReplaceAll(cols[2], "⏎", "\n")
		want := cols[3] == "1"
		var got bool
		switch grader {
		case "hendrycks":
			got = HendrycksIsEquiv(pred, gold)
		case "minerva":
			got = Equivalent(NormalizeFinalAnswer(pred), NormalizeFinalAnswer(gold))
		default:
			t.Fatalf("equiv_cases.tsv:%d: unknown grader %q", line, grader)
		}
		if got != want {
			t.Errorf("equiv_cases.tsv:%d: %s(%q, %q) = %v, want %v (%s)", line, grader, pred, gold, got, want, cols[4])
		}
		n++
		if want {
			equal++
		} else {
			notEqual++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 150 || equal < 50 || notEqual < 50 {
		t.Fatalf("only %d cases (%d equal, %d not equal); want at least 150 with both kinds", n, equal, notEqual)
	}
}

func TestEquivalentIsSymmetric(t *testing.T) {
	pairs := [][2]string{
		{"0.5", `\frac12`}, {"(1,2)", "(2,1)"}, {`1\pm2`, "3,-1"}, {"2x+2", "2(x+1)"}, {"1,000", "1000"},
	}
	for _, p := range pairs {
		if Equivalent(p[0], p[1]) != Equivalent(p[1], p[0]) {
			t.Errorf("Equivalent(%q, %q) is not symmetric", p[0], p[1])
		}
	}
}
