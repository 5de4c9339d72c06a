package checkpoint

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

func TestTokenIDs(t *testing.T) {
	for in, want := range map[string][]int{`null`: nil, `7`: {7}, `[0, 2]`: {0, 2}, `[]`: {}} {
		var ids TokenIDs
		if err := json.Unmarshal([]byte(in), &ids); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if len(ids) != len(want) || (len(want) > 0 && ids[len(ids)-1] != want[len(want)-1]) {
			t.Errorf("%s → %v, want %v", in, ids, want)
		}
	}
	var ids TokenIDs
	if err := json.Unmarshal([]byte(`"x"`), &ids); err == nil {
		t.Error(`"x" accepted`)
	}
}

func TestConfigDefaultsAndErrors(t *testing.T) {
	c, err := ParseConfig("c.json", []byte(`{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":1,"num_attention_heads":4,"vocab_size":10,
		"rope_parameters":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192,"rope_theta":500000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.NumKeyValueHeads != 4 || c.HeadDim != 16 || c.RMSNormEps != 1e-6 || c.RopeTheta != 500000 || c.RopeScaling.Kind() != "llama3" {
		t.Errorf("defaults: %+v", c)
	}
	for cfg, want := range map[string]string{
		`{`:                                  "c.json",
		`{"hidden_size":1}`:                  "model_type is missing",
		`{"model_type":"x","hidden_size":0}`: "hidden_size must be positive",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":3,"vocab_size":4}`:                                  "not a multiple",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"hidden_act":"gelu"}`:              "hidden_act",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"rope_scaling":{"type":"yarn"}}`:   `"yarn" is not supported`,
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"rope_scaling":{"type":"llama3"}}`: "llama3 needs",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"use_sliding_window":true}`:        "sliding",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"head_dim":1048576}`:               "implausibly large",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"total_ut_steps":-1}`:              "must not be negative",
		`{"model_type":"x","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4,"eos_token_id":"a"}`:               "token id",
	} {
		if _, err := ParseConfig("c.json", []byte(cfg)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", cfg, err, want)
		}
	}
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	s := enginetest.Tiny("ouro", safetensors.BF16)
	s.Shards = 2
	dir := t.TempDir()
	if err := enginetest.Write(dir, s); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "generation_config.json"), []byte(`{"eos_token_id":[0,2],"bos_token_id":0}`), 0o644)
	ck, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ck.Close()
	if len(ck.Files) != 2 || len(ck.TensorNames()) != len(s.Shapes()) || ck.Generation == nil || len(ck.Generation.EOSTokenID) != 2 {
		t.Errorf("files %v, %d tensors, generation %+v", ck.Files, len(ck.TensorNames()), ck.Generation)
	}
	// The same directory through fs.FS.
	fck, err := OpenFS(ctx, os.DirFS(dir), ".", Options{})
	if err != nil {
		t.Fatal(err)
	}
	fck.Close()

	// Index problems name the tensor.
	idx := filepath.Join(dir, "model.safetensors.index.json")
	orig, _ := os.ReadFile(idx)
	var m map[string]map[string]string
	json.Unmarshal(orig, &m)
	for name, edit := range map[string]func(wm map[string]string){
		`"model.norm.weight" is in`:        func(wm map[string]string) { flip(wm, "model.norm.weight") },
		`not listed in`:                    func(wm map[string]string) { delete(wm, "model.norm.weight") },
		`"ghost" listed in the index`:      func(wm map[string]string) { wm["ghost"] = "model-00001-of-00002.safetensors" },
		`invalid file name "../x"`:         func(wm map[string]string) { wm["model.norm.weight"] = "../x" },
		`model-00009-of-00009.safetensors`: func(wm map[string]string) { wm["model.norm.weight"] = "model-00009-of-00009.safetensors" },
	} {
		wm := map[string]string{}
		for k, v := range m["weight_map"] {
			wm[k] = v
		}
		edit(wm)
		b, _ := json.Marshal(map[string]any{"weight_map": wm})
		os.WriteFile(idx, b, 0o644)
		if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("want %q, got %v", name, err)
		}
	}
	os.WriteFile(idx, []byte("{"), 0o644)
	if _, err := Open(ctx, dir, Options{}); err == nil || !strings.Contains(err.Error(), "model.safetensors.index.json") {
		t.Errorf("bad index: %v", err)
	}
	if _, err := OpenFS(ctx, fstest.MapFS{}, "none", Options{}); err == nil || !strings.Contains(err.Error(), "config.json") {
		t.Errorf("empty fs: %v", err)
	}
}

func flip(wm map[string]string, k string) {
	if strings.HasPrefix(wm[k], "model-00001") {
		wm[k] = "model-00002-of-00002.safetensors"
	} else {
		wm[k] = "model-00001-of-00002.safetensors"
	}
}
