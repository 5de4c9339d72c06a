package inspect

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func golden(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "golden", name)
}

func TestJSON(t *testing.T) {
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"--model", golden("ouro-f32"), "--ids", "5, 17,3", "--steps", "3", "--top-k", "100000", "--json", "--kernels", "generic"}, &out, &errb)
	if err != nil {
		t.Fatal(err, errb.String())
	}
	var r Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.IDs) != 3 || len(r.Steps) != 3 {
		t.Fatalf("ids %v, %d steps", r.IDs, len(r.Steps))
	}
	for _, s := range r.Steps {
		if len(s.LogProbs) != 3 || len(s.LogProbs[0]) != 512 || len(s.Lambda) != 3 || len(s.PExit) != 3 {
			t.Fatalf("step %d shapes", s.Step)
		}
		// Full distribution: sorted, normalised, and consistent with next_logprob.
		var z float64
		for i, p := range s.LogProbs[0] {
			z += math.Exp(p.LogProb)
			if i > 0 && p.LogProb > s.LogProbs[0][i-1].LogProb {
				t.Fatal("not sorted")
			}
			if p.ID == 17 && p.LogProb != *s.NextLogProb[0] {
				t.Errorf("next_logprob %v, distribution %v", *s.NextLogProb[0], p.LogProb)
			}
		}
		if math.Abs(z-1) > 1e-4 {
			t.Errorf("distribution sums to %v", z)
		}
		if s.NextLogProb[2] != nil {
			t.Error("next_logprob at the last position is not null")
		}
	}
	if !strings.Contains(out.String(), `"next_logprob":[`) || !strings.Contains(out.String(), `null]`) {
		t.Errorf("JSON shape: %.200s", out.String())
	}
}

func TestTable(t *testing.T) {
	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"--model", golden("qwen3-f32"), "--prompt", "hello world", "--top-k", "2", "--kernels", "generic"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	s := out.String()
	if !strings.Contains(s, "step 1") || strings.Contains(s, "step 2") || !strings.Contains(s, "logp(next)") || strings.Contains(s, "p_exit") {
		t.Errorf("table:\n%s", s)
	}
}

func TestErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--prompt", "x"}, "--model is required"},
		{[]string{"--model", golden("ouro-f32")}, "exactly one of"},
		{[]string{"--model", golden("ouro-f32"), "--ids", "1,x"}, `item 2 "x"`},
		{[]string{"--model", golden("ouro-f32"), "--ids", "1", "--top-k", "0"}, "--top-k"},
		{[]string{"--model", golden("ouro-f32"), "--ids", "1,99999"}, "outside the vocabulary"},
		{[]string{"--model", golden("qwen2-f32"), "--ids", "1", "--steps", "2"}, "R must be 1"},
	} {
		var out, errb bytes.Buffer
		err := Run(context.Background(), c.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
}
