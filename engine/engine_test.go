package engine

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

func writeSpec(t testing.TB, s enginetest.Spec) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), s.ModelType)
	if err := enginetest.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

func load(t testing.TB, dir string) *Model {
	t.Helper()
	m, err := Load(context.Background(), dir, LoadOptions{Workers: 2, KernelPath: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

var testIDs = []int{5, 17, 3, 88, 42, 42, 7, 60, 1, 33}

// specs covers every architecture and its options.
func specs() map[string]enginetest.Spec {
	out := map[string]enginetest.Spec{}
	for _, a := range []string{"ouro", "llama", "qwen2", "qwen3"} {
		out[a+"-f32"] = enginetest.Tiny(a, safetensors.F32)
		out[a+"-bf16"] = enginetest.Tiny(a, safetensors.BF16)
	}
	l := enginetest.Tiny("llama", safetensors.F32)
	l.Config = map[string]any{
		"attention_bias": true, "mlp_bias": true, "rope_theta": 500000.0,
		"rope_scaling": map[string]any{"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
			"high_freq_factor": 4.0, "original_max_position_embeddings": 16},
	}
	l.Shards = 3
	out["llama-bias-llama3-sharded"] = l
	f16 := enginetest.Tiny("qwen3", safetensors.F16)
	f16.Tied = false
	f16.KVHeads = 4
	out["qwen3-f16-mha-untied"] = f16
	return out
}

func TestAgainstNaive(t *testing.T) {
	for name, s := range specs() {
		t.Run(name, func(t *testing.T) {
			dir := writeSpec(t, s)
			m := load(t, dir)
			R := 1
			if m.Looped() {
				R = 5 // beyond total_ut_steps: extrapolation
			}
			tr, err := m.Trace(context.Background(), testIDs, R)
			if err != nil {
				t.Fatal(err)
			}
			want, lams := newNaive(t, dir).forward(testIDs, R)
			if len(tr.Steps) != R {
				t.Fatalf("%d steps, want %d", len(tr.Steps), R)
			}
			var worst float64
			for st := range R {
				for i := range testIDs {
					for v, lp := range tr.Steps[st].LogProbs[i] {
						worst = math.Max(worst, math.Abs(float64(lp)-want[st][i][v]))
					}
					if m.Looped() {
						if d := math.Abs(float64(tr.Steps[st].Lambda[i]) - lams[st][i]); d > 1e-5 {
							t.Errorf("step %d pos %d: λ %v, want %v", st+1, i, tr.Steps[st].Lambda[i], lams[st][i])
						}
					}
				}
			}
			t.Logf("max |Δ log-prob| vs float64 reference: %.2g", worst)
			if worst > 1e-4 {
				t.Errorf("max |Δ log-prob| = %g > 1e-4", worst)
			}
			if m.Looped() {
				for i := range testIDs {
					var sum float64
					lam := make([]float64, R)
					for st := range R {
						sum += float64(tr.Steps[st].PExit[i])
						lam[st] = lams[st][i]
					}
					if math.Abs(sum-1) > 1e-5 {
						t.Errorf("pos %d: p_exit sums to %v", i, sum)
					}
					for st, p := range ExitDistribution(lam) {
						if math.Abs(float64(tr.Steps[st].PExit[i])-p) > 1e-5 {
							t.Errorf("pos %d step %d: p_exit %v, want %v", i, st+1, tr.Steps[st].PExit[i], p)
						}
					}
				}
			}
		})
	}
}

// TestCacheEqualsRecompute checks that prefill + token-by-token decode
// with the KV cache gives the same per-step states as one full pass.
func TestCacheEqualsRecompute(t *testing.T) {
	for _, a := range []string{"ouro", "qwen3", "llama"} {
		t.Run(a, func(t *testing.T) {
			m := load(t, writeSpec(t, enginetest.Tiny(a, safetensors.BF16)))
			ctx := context.Background()
			full, err := m.NewSequence(0)
			if err != nil {
				t.Fatal(err)
			}
			all, err := full.Forward(ctx, testIDs, false)
			if err != nil {
				t.Fatal(err)
			}
			inc, _ := m.NewSequence(0)
			D := m.Config().HiddenSize
			split := 4
			if _, err := inc.Forward(ctx, testIDs[:split], false); err != nil {
				t.Fatal(err)
			}
			for p := split; p < len(testIDs); p++ {
				st, err := inc.Forward(ctx, testIDs[p:p+1], true)
				if err != nil {
					t.Fatal(err)
				}
				if st.Pos0 != p {
					t.Fatalf("Pos0 %d, want %d", st.Pos0, p)
				}
				for r := range full.R {
					got, want := st.Hidden[r], all.Hidden[r][p*D:(p+1)*D]
					for e := range got {
						if d := math.Abs(float64(got[e] - want[e])); d > 1e-5 {
							t.Fatalf("pos %d step %d: cached %v vs recomputed %v", p, r+1, got[e], want[e])
						}
					}
					if st.Lambda != nil && math.Abs(float64(st.Lambda[r][0]-all.Lambda[r][p])) > 1e-6 {
						t.Fatalf("pos %d step %d: λ differs", p, r+1)
					}
				}
			}
		})
	}
}

// TestDepthPrefix checks that the state after step r does not depend on
// the total R (the R = r model is a prefix of the R > r model).
func TestDepthPrefix(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.F32)))
	ctx := context.Background()
	long, err := m.Trace(ctx, testIDs, 6)
	if err != nil {
		t.Fatal(err)
	}
	for R := 1; R <= 4; R++ {
		short, err := m.Trace(ctx, testIDs, R)
		if err != nil {
			t.Fatal(err)
		}
		for st := range R {
			for i := range testIDs {
				for v := range short.Steps[st].LogProbs[i] {
					if short.Steps[st].LogProbs[i][v] != long.Steps[st].LogProbs[i][v] {
						t.Fatalf("R=%d step %d differs from R=6", R, st+1)
					}
				}
			}
		}
		if R == 1 && short.Steps[0].PExit[0] != 1 {
			t.Errorf("R=1: p_exit %v, want 1", short.Steps[0].PExit[0])
		}
	}
	if m.DefaultSteps() != 4 {
		t.Errorf("DefaultSteps %d, want total_ut_steps 4", m.DefaultSteps())
	}
}

func TestLoadErrors(t *testing.T) {
	base := enginetest.Tiny("qwen2", safetensors.F32)
	cases := []struct {
		name string
		edit func(s *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor
		want string
	}{
		{"missing tensor", func(_ *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			return dropTensor(ts, "model.layers.1.self_attn.k_proj.bias")
		}, `tensor "model.layers.1.self_attn.k_proj.bias": missing`},
		{"unexpected tensor", func(_ *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			return append(ts, safetensors.WriteTensor{Name: "model.layers.0.extra.weight", DType: safetensors.F32, Shape: []int{1}, Data: make([]byte, 4)})
		}, `unexpected tensors for model_type "qwen2"`},
		{"rotary inv_freq buffers are ignored", func(_ *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			return append(ts, safetensors.WriteTensor{Name: "model.layers.0.self_attn.rotary_emb.inv_freq", DType: safetensors.F32, Shape: []int{1}, Data: make([]byte, 4)})
		}, ""},
		{"config shape", func(s *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			s.Config = map[string]any{"intermediate_size": 40}
			return ts
		}, `tensor "model.layers.0.mlp.gate_proj.weight": shape [48 32] disagrees with config.json, which implies [40 32]`},
		{"model type", func(s *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			s.Config = map[string]any{"model_type": "gpt2"}
			return ts
		}, `model_type "gpt2" is not supported (supported: llama, ouro, qwen2, qwen3)`},
		{"bad config", func(s *enginetest.Spec, ts []safetensors.WriteTensor) []safetensors.WriteTensor {
			s.Config = map[string]any{"num_key_value_heads": 3}
			return ts
		}, "not a multiple of num_key_value_heads"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := base
			ts := c.edit(&s, s.Tensors())
			dir := t.TempDir()
			if err := enginetest.WriteTensors(dir, s, ts); err != nil {
				t.Fatal(err)
			}
			m, err := Load(context.Background(), dir, LoadOptions{Workers: 1, KernelPath: "generic"})
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				m.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	// A truncated weight file names the file.
	dir := writeSpec(t, base)
	p := filepath.Join(dir, "model.safetensors")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-10], 0o644)
	if _, err := Load(context.Background(), dir, LoadOptions{}); err == nil || !strings.Contains(err.Error(), "model.safetensors") {
		t.Errorf("truncated file: %v", err)
	}
}

func dropTensor(ts []safetensors.WriteTensor, name string) []safetensors.WriteTensor {
	var out []safetensors.WriteTensor
	for _, t := range ts {
		if t.Name != name {
			out = append(out, t)
		}
	}
	return out
}

func TestLoadFS(t *testing.T) {
	dir := writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16))
	m, err := LoadFS(context.Background(), os.DirFS(filepath.Dir(dir)), "ouro", LoadOptions{Workers: 1, KernelPath: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m2 := load(t, dir)
	a, err := m.Trace(context.Background(), testIDs[:3], 2)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m2.Trace(context.Background(), testIDs[:3], 2)
	if a.Steps[1].LogProbs[2][5] != b.Steps[1].LogProbs[2][5] {
		t.Error("LoadFS and Load disagree")
	}
	if m.NumParams() != m2.NumParams() || m.NumParams() == 0 {
		t.Errorf("NumParams %d vs %d", m.NumParams(), m2.NumParams())
	}
}

func TestTooLong(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("llama", safetensors.F32)))
	ids := make([]int, 65)
	if _, err := m.Trace(context.Background(), ids, 1); err == nil || !strings.Contains(err.Error(), "max_position_embeddings 64") {
		t.Errorf("Trace: %v", err)
	}
	if _, err := m.Generate(context.Background(), ids, GenerateOptions{MaxTokens: 1}); err == nil || !strings.Contains(err.Error(), "max_position_embeddings") {
		t.Errorf("Generate: %v", err)
	}
	if _, err := m.Trace(context.Background(), []int{1, 200}, 1); err == nil || !strings.Contains(err.Error(), "outside the vocabulary") {
		t.Errorf("bad id: %v", err)
	}
	if _, err := m.Trace(context.Background(), []int{1}, 2); err == nil || !strings.Contains(err.Error(), "R must be 1") {
		t.Errorf("dense R=2: %v", err)
	}
	o := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.F32)))
	if _, err := o.Trace(context.Background(), []int{1}, 5000); err == nil || !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("R=5000: %v", err)
	}
}
