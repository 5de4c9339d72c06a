package leaderboards

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/harness"
)

func TestGate(t *testing.T) {
	base := fixture().Metrics
	tests := []struct {
		name   string
		edit   func(mf *harness.MetricsFile)
		minTol float64
		fails  []string // substrings of the failing lines, in order
		extra  int
	}{
		{name: "identical", edit: func(*harness.MetricsFile) {}},
		{name: "drop within the CI half-width (5 points)", edit: func(mf *harness.MetricsFile) {
			*mf.Results[1].Metrics[0].Value -= 0.04
		}},
		{name: "drop beyond the CI half-width", edit: func(mf *harness.MetricsFile) {
			*mf.Results[1].Metrics[0].Value -= 0.06
		}, fails: []string{"looped/khop seed=1,R=4 exact_match,none: 0.7400 vs baseline 0.8000 (-6.00 points, higher is better): regression beyond the tolerance of 5.00 points"}},
		{name: "a larger minimum tolerance forgives it", minTol: 0.1, edit: func(mf *harness.MetricsFile) {
			*mf.Results[1].Metrics[0].Value -= 0.06
		}},
		{name: "improvement passes", edit: func(mf *harness.MetricsFile) {
			*mf.Results[3].Metrics[0].Value += 0.2
		}},
		{name: "hardest cell collapses", edit: func(mf *harness.MetricsFile) {
			c := mf.Results[3].Metrics[0].Breakdown["hops"]["10"]
			c.Value = f(0.1)
			mf.Results[3].Metrics[0].Breakdown["hops"]["10"] = c
		}, fails: []string{"dense/khop seed=1 exact_match,none hops=10: 0.1000 vs baseline 0.4000 (-30.00 points"}},
		{name: "model missing", edit: func(mf *harness.MetricsFile) {
			mf.Results = mf.Results[:4]
		}, fails: []string{"chance/khop seed=1: missing from the run"}},
		{name: "metric missing", edit: func(mf *harness.MetricsFile) {
			mf.Results[0].Metrics = nil
		}, fails: []string{"looped/khop seed=1,R=1 exact_match,none: metric missing from the run"}},
		{name: "cell missing", edit: func(mf *harness.MetricsFile) {
			delete(mf.Results[0].Metrics[0].Breakdown["hops"], "1")
		}, fails: []string{"looped/khop seed=1,R=1 exact_match,none hops=1: breakdown cell missing"}},
		{name: "value missing", edit: func(mf *harness.MetricsFile) {
			mf.Results[0].Metrics[0].Value = nil
		}, fails: []string{"no value in the run, baseline 0.6000"}},
		{name: "different --limit", edit: func(mf *harness.MetricsFile) {
			mf.Results[0].Metrics[0].N = 100
		}, fails: []string{"scored 100 documents, baseline 200: not comparable"}},
		{name: "more failed requests", edit: func(mf *harness.MetricsFile) {
			mf.Results[2].NErrors = 3
		}, fails: []string{"looped/khop seed=1,R=4,q=0.5: 3 documents failed, baseline 0"}},
		{name: "lower is better rises", edit: func(mf *harness.MetricsFile) {
			mf.Results[4].Metrics[0].HigherIsBetter = false
			*mf.Results[4].Metrics[0].Value += 0.06
		}, fails: []string{"chance/khop seed=1 exact_match,none: 0.0600 vs baseline 0.0000 (+6.00 points, lower is better)"}},
		{name: "extra results are noted, not failed", edit: func(mf *harness.MetricsFile) {
			mf.Results = append(mf.Results, result("new", harness.Setting{Seed: 1}, 0.5, 0.5, 0.5, 0))
		}, extra: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			run := fixture().Metrics
			tt.edit(run)
			b := base
			if tt.name == "lower is better rises" {
				b = fixture().Metrics
				b.Results[4].Metrics[0].HigherIsBetter = false
			}
			rep := Gate(b, run, tt.minTol)
			var buf bytes.Buffer
			if err := rep.Write(&buf, true); err != nil {
				t.Fatal(err)
			}
			var failed []string
			for _, line := range strings.Split(buf.String(), "\n") {
				if strings.HasPrefix(line, "FAIL ") {
					failed = append(failed, line)
				}
			}
			if len(failed) != len(tt.fails) || rep.Failures != len(tt.fails) || rep.OK() != (len(tt.fails) == 0) {
				t.Fatalf("failures %d, want %d:\n%s", rep.Failures, len(tt.fails), buf.String())
			}
			for i, w := range tt.fails {
				if !strings.Contains(failed[i], w) {
					t.Errorf("failure %d = %q, want it to contain %q", i, failed[i], w)
				}
			}
			if len(rep.Extra) != tt.extra {
				t.Errorf("extra %v, want %d", rep.Extra, tt.extra)
			}
			// 5 results × (overall + 2 cells) checks, plus result-level ones.
			if len(rep.Checks) < 10 {
				t.Errorf("only %d checks", len(rep.Checks))
			}
		})
	}
}
