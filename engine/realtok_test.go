package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ouroeval/ouroeval/engine/chat"
)

// TestRealOuroTokenizer loads the golden checkpoint with the real Ouro
// vocabulary size together with the real Ouro-1.4B tokenizer files from
// ../shared/data (skipped when absent) and checks the text-level paths:
// the ChatML stop ids, chat rendering, and lm-eval's context split.
func TestRealOuroTokenizer(t *testing.T) {
	tokDir := filepath.Join(sharedData(), "tokenizers", "ouro-1.4B")
	if _, err := os.Stat(filepath.Join(tokDir, "tokenizer.json")); err != nil {
		t.Skipf("real Ouro tokenizer not available (../shared/data absent): %v", err)
	}
	files := memFS{}
	for _, f := range []string{"config.json", "model.safetensors", "generation_config.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", "golden", "ouro-vocab49152-bf16", f))
		if err != nil && f != "generation_config.json" {
			t.Skipf("golden checkpoint missing: %v", err)
		}
		if err == nil {
			files["m/"+f] = b
		}
	}
	for _, f := range []string{"tokenizer.json", "tokenizer_config.json"} {
		b, err := os.ReadFile(filepath.Join(tokDir, f))
		if err != nil {
			t.Fatal(err)
		}
		files["m/"+f] = b
	}
	ctx := context.Background()
	m, err := LoadFS(ctx, files, "m", LoadOptions{Workers: 2, KernelPath: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	eos := map[int]bool{}
	for _, id := range m.EOS() {
		eos[id] = true
	}
	if !eos[0] || !eos[2] {
		t.Errorf("EOS %v must contain <|endoftext|> 0 and <|im_end|> 2", m.EOS())
	}
	if got := m.Tokenizer().Encode("<|im_start|>user\nHello world 12345<|im_end|>"); !equalInts(got, []int{1, 4093, 198, 19556, 905, 216, 33, 34, 35, 36, 37, 2}) {
		t.Errorf("check vector encodes to %v", got)
	}
	c, err := m.Chat()
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Render([]chat.Message{{Role: "user", Content: "Hi"}}, chat.RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"; out != want {
		t.Errorf("chat render %q, want %q", out, want)
	}
	s, err := m.LogLikelihood(ctx, "Question: What is 2+2?\nAnswer:", " 4", ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Tokens != 2 || len(s.PerDepth) != m.DefaultSteps() { // " " and "4": digits are split
		t.Errorf("score %+v", s)
	}
}
