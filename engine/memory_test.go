package engine

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// TestZeroCopy checks that bf16 weight matrices are views of the mapped
// file, not float32 copies (resident memory ≈ file size + KV cache).
func TestZeroCopy(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16)))
	for _, c := range []struct {
		name string
		u16  []uint16
	}{
		{"model.layers.0.self_attn.q_proj.weight", m.net.layers[0].q.w.U16},
		{"model.layers.1.mlp.down_proj.weight", m.net.layers[1].down.w.U16},
		{"lm_head.weight", m.net.head.U16},
		{"model.embed_tokens.weight", m.net.embed.U16},
	} {
		tn, _ := m.ck.Tensor(c.name)
		if len(c.u16) == 0 || unsafe.Pointer(&c.u16[0]) != unsafe.Pointer(&tn.Data[0]) {
			t.Errorf("%s is not a zero-copy view of the file", c.name)
		}
	}
}

// TestOuroEOS: Ouro stops on both <|endoftext|> (0) and <|im_end|> (2).
func TestOuroEOS(t *testing.T) {
	m := load(t, filepath.Join("testdata", "golden", "ouro-f32"))
	eos := map[int]bool{}
	for _, id := range m.EOS() {
		eos[id] = true
	}
	if !eos[0] || !eos[2] || len(eos) != 2 {
		t.Errorf("EOS %v, want [0 2]", m.EOS())
	}
	// Text-level scoring with the checkpoint's tokenizer agrees with the
	// id-level call on the lm-eval split.
	ctx := context.Background()
	tok := m.Tokenizer()
	s, err := m.LogLikelihood(ctx, "The cat sat on the ", "mat", ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	whole := tok.Encode("The cat sat on the mat")
	n := len(tok.Encode("The cat sat on the"))
	s2, err := m.LogLikelihoodIDs(ctx, whole[:n], whole[n:], ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.LogProb != s2.LogProb || s.Tokens != len(whole)-n {
		t.Errorf("text %+v vs ids %+v", s, s2)
	}
	// A context ending inside a word: the model reads the context's own
	// encoding, the continuation is the whole encoding past its length.
	cIDs := tok.Encode("The ca")
	whole = tok.Encode("The cat sat")
	if len(whole) > len(cIDs) {
		s3, err := m.LogLikelihood(ctx, "The ca", "t sat", ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s4, _ := m.LogLikelihoodIDs(ctx, cIDs, whole[len(cIDs):], ScoreOptions{})
		if s3.LogProb != s4.LogProb {
			t.Errorf("mid-word split: %v vs %v", s3.LogProb, s4.LogProb)
		}
	}
	if _, err := m.LogLikelihood(ctx, "The cat", "", ScoreOptions{}); err == nil || !strings.Contains(err.Error(), "no tokens") {
		t.Errorf("empty continuation: %v", err)
	}
	g, err := m.Generate(ctx, tok.Encode("Once"), GenerateOptions{MaxTokens: 6, Stop: []string{"e"}})
	if err != nil {
		t.Fatal(err)
	}
	if g.FinishReason == "stop" && g.StopToken < 0 && len(g.Text) > 0 && g.Text[len(g.Text)-1] == 'e' {
		t.Errorf("stop string not cut: %q", g.Text)
	}
}

// TestResidentMemory: loading a bf16 model allocates (on the Go heap, i.e.
// besides the memory-mapped files) less than a tenth of the file size, so
// resident memory stays within 1.1× the files plus the KV cache.
func TestResidentMemory(t *testing.T) {
	s := enginetest.Spec{ModelType: "ouro", Hidden: 256, Inter: 512, Layers: 4, Heads: 4, KVHeads: 4, Vocab: 2000,
		MaxPos: 64, UTSteps: 4, DType: safetensors.BF16, Seed: 3, Fast: true}
	dir := writeSpec(t, s)
	fi, err := os.Stat(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Load(context.Background(), dir, LoadOptions{Workers: 1, KernelPath: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if grown > fi.Size()/10 {
		t.Errorf("load grew the heap by %d bytes for a %d-byte bf16 file (> 10%%)", grown, fi.Size())
	}
	t.Logf("file %d bytes, heap growth %d bytes", fi.Size(), grown)
	runtime.KeepAlive(m)
}

// TestDecodeNoAllocs: once its KV cache has room (Sequence.Reserve), the
// steady-state decode step — Forward of one token through all R recurrent
// steps — allocates nothing, for looped and dense models on every kernel
// path this machine runs.
func TestDecodeNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
	}
	paths := []string{"generic"}
	if kernels.HasAVX512() {
		paths = append(paths, "avx512-bf16", "avx512-exact")
	}
	if kernels.HasAMX() {
		paths = append(paths, "amx-bf16")
	}
	ctx := context.Background()
	for _, arch := range []string{"ouro", "llama", "qwen3"} {
		dir := writeSpec(t, enginetest.Tiny(arch, safetensors.BF16))
		for _, path := range paths {
			t.Run(arch+"/"+path, func(t *testing.T) {
				m, err := Load(ctx, dir, LoadOptions{Workers: 2, KernelPath: path})
				if err != nil {
					t.Fatal(err)
				}
				defer m.Close()
				seq, err := m.NewSequence(0)
				if err != nil {
					t.Fatal(err)
				}
				const runs = 40
				prompt := testIDs[:4]
				seq.Reserve(len(prompt) + runs + 1)
				if _, err := seq.Forward(ctx, prompt, true); err != nil {
					t.Fatal(err)
				}
				tok := []int{7}
				var ferr error
				a := testing.AllocsPerRun(runs, func() {
					st, err := seq.Forward(ctx, tok, true)
					if err != nil {
						ferr = err
						return
					}
					tok[0] = int(uint32(math.Float32bits(st.Hidden[0][0]))) % m.vocab
				})
				if ferr != nil {
					t.Fatal(ferr)
				}
				if a != 0 {
					t.Errorf("decode step: %v allocations per token, want 0", a)
				}
				if seq.Len() != len(prompt)+runs+1 {
					t.Errorf("Len %d after %d decode steps", seq.Len(), runs+1)
				}
			})
		}
	}
}
