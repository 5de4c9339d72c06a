package harness

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRealTasksDeterministic runs the built-in procedural group through the
// real tasks and scoring packages at concurrency 1 and 64: byte-identical
// metrics.json and identical records.
func TestRealTasksDeterministic(t *testing.T) {
	env := realEnv(t)
	var metrics [][]byte
	var recs [][]Record
	for _, conc := range []int{1, 64} {
		cfg := &Config{Models: []ModelConfig{{Spec: "chance?seed=5"}}, Tasks: []string{"procedural"}, Limit: 40, Bootstrap: 300, Concurrency: conc}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		res, err := Run(context.Background(), cfg, env, Options{Out: out})
		if err != nil {
			t.Fatal(err)
		}
		m, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
		metrics = append(metrics, m)
		var rs []Record
		for _, tr := range res.Metrics.Results {
			rs = append(rs, readRecords(t, filepath.Join(out, "samples", "chance_seed=5", tr.Task+".jsonl"))...)
		}
		recs = append(recs, rs)
	}
	if !bytes.Equal(metrics[0], metrics[1]) {
		t.Error("metrics.json differs between concurrency 1 and 64")
	}
	if !reflect.DeepEqual(recs[0], recs[1]) {
		t.Error("records differ between concurrency 1 and 64")
	}
	// procedural, procedural_gen and procedural_mc are aggregated.
	if !bytes.Contains(metrics[0], []byte(`"group": "procedural_mc"`)) {
		t.Errorf("no group aggregate for the nested group procedural_mc")
	}
}

func TestRealTasksBadInput(t *testing.T) {
	env := realEnv(t)
	for _, tt := range []struct {
		tasks []string
		want  string
	}{
		{[]string{"mano", "manoo"}, `unknown task or group "manoo"`},
	} {
		cfg := &Config{Models: []ModelConfig{{Spec: "chance"}}, Tasks: tt.tasks}
		cfg.Validate()
		_, err := Run(context.Background(), cfg, env, Options{Out: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("tasks %v: err = %v, want %q", tt.tasks, err, tt.want)
		}
	}
}
