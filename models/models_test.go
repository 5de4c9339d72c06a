package models_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/engine"
	"github.com/ouroeval/ouroeval/harness"
	"github.com/ouroeval/ouroeval/models"
)

// maxShippedBytes is the size budget of all embedded checkpoints.
const maxShippedBytes = 12 << 20

func TestShippedFilesAndBudget(t *testing.T) {
	total := int64(0)
	for _, m := range models.List() {
		for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json"} {
			st, err := fs.Stat(models.FS(), m.Name+"/"+f)
			if err != nil {
				t.Fatalf("%s: %v", m.Name, err)
			}
			total += st.Size()
		}
		b, err := fs.ReadFile(models.FS(), m.Name+"/config.json")
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			ModelType string `json:"model_type"`
			Layers    int    `json:"num_hidden_layers"`
			Steps     int    `json:"total_ut_steps"`
		}
		if err := json.Unmarshal(b, &c); err != nil {
			t.Fatalf("%s/config.json: %v", m.Name, err)
		}
		if c.ModelType != "ouro" || c.Layers != m.Layers || c.Steps != m.Steps {
			t.Errorf("%s: config says %s, %d layers x %d steps; List says %d x %d", m.Name, c.ModelType, c.Layers, c.Steps, m.Layers, m.Steps)
		}
	}
	if total > maxShippedBytes {
		t.Errorf("embedded checkpoints take %d bytes, budget %d", total, maxShippedBytes)
	}
	if _, err := models.Lookup("nope"); err == nil || !strings.Contains(err.Error(), "khop-looped-l2r4") {
		t.Errorf("Lookup of an unknown name: %v", err)
	}
}

// golden is training/golden.py's output (models/testdata/<name>.json).
type golden struct {
	Checkpoint string `json:"checkpoint"`
	Steps      int    `json:"total_ut_steps"`
	AnswerIDs  []int  `json:"answer_ids"`
	Prompts    []struct {
		Text           string      `json:"text"`
		IDs            []int       `json:"ids"`
		Answer         string      `json:"answer"`
		Greedy         []int       `json:"greedy"`
		ExitCDF        []float64   `json:"exit_cdf"`
		AnswerLogProbs [][]float64 `json:"answer_logprobs"`
	} `json:"prompts"`
}

// TestCrossCheckPyTorch compares the Go engine with the PyTorch training
// code on every shipped checkpoint: tokenization, log-probs of the answer
// symbols at every depth (within 2e-3), the exit CDF, and greedy answers
// at every depth on held-out test prompts (≥ 99 % identical).
func TestCrossCheckPyTorch(t *testing.T) {
	ctx := context.Background()
	for _, info := range models.List() {
		t.Run(info.Name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", info.Name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatalf("testdata/%s.json: %v", info.Name, err)
			}
			m, err := engine.LoadFS(ctx, models.FS(), info.Name, engine.LoadOptions{Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			prompts := g.Prompts
			if testing.Short() && len(prompts) > 100 {
				prompts = prompts[:100]
			}
			const tol = 2e-3
			agree, total, worst := 0, 0, 0.0
			for i, p := range prompts {
				ids := m.Tokenizer().Encode(p.Text)
				if !equalInts(ids, p.IDs) {
					t.Fatalf("prompt %d: engine tokenizes to %v, PyTorch used %v", i, ids, p.IDs)
				}
				tr, err := m.Trace(ctx, ids, g.Steps)
				if err != nil {
					t.Fatal(err)
				}
				last := len(ids) - 1
				for r := 0; r < g.Steps; r++ {
					lp := tr.Steps[r].LogProbs[last]
					total++
					if argmax(lp) == p.Greedy[r] {
						agree++
					}
					if r < len(p.AnswerLogProbs) {
						for j, id := range g.AnswerIDs {
							d := math.Abs(float64(lp[id]) - p.AnswerLogProbs[r][j])
							worst = math.Max(worst, d)
							if d > tol {
								t.Errorf("prompt %d step %d symbol %d: log-prob %.6f, PyTorch %.6f", i, r+1, j, lp[id], p.AnswerLogProbs[r][j])
							}
						}
					}
				}
				if p.ExitCDF != nil {
					cdf := 0.0
					for r := 0; r < g.Steps; r++ {
						cdf += float64(tr.Steps[r].PExit[last])
						if d := math.Abs(cdf - p.ExitCDF[r]); d > tol {
							t.Errorf("prompt %d: exit CDF at step %d is %.6f, PyTorch %.6f", i, r+1, cdf, p.ExitCDF[r])
						}
					}
				}
			}
			rate := float64(agree) / float64(total)
			t.Logf("%s: %d prompts, greedy agreement %.4f over all depths, worst answer log-prob diff %.2e", info.Name, len(prompts), rate, worst)
			if rate < 0.99 {
				t.Errorf("greedy answers agree on %.4f of (prompt, depth) pairs, want ≥ 0.99", rate)
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// TestSweepConfigs checks that the micro sweeps in configs/ parse, name
// exactly the shipped checkpoints, and evaluate the micro task.
func TestSweepConfigs(t *testing.T) {
	for _, name := range []string{"micro.yaml", "micro-depth.yaml", "micro-exit.yaml"} {
		c, err := harness.LoadConfig(filepath.Join("..", "configs", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Tasks) != 1 || c.Tasks[0] != "khop" {
			t.Errorf("%s: tasks %v, want [khop]", name, c.Tasks)
		}
		for _, m := range c.Models {
			dir := strings.TrimPrefix(m.Spec, "engine:embedded:")
			if _, err := models.Lookup(dir); err != nil || dir == m.Spec {
				t.Errorf("%s: model %q is not an embedded shipped checkpoint (engine:embedded:NAME)", name, m.Spec)
			}
		}
	}
}
