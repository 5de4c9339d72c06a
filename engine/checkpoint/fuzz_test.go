package checkpoint

import (
	"context"
	"testing"
	"testing/fstest"
)

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"model_type":"ouro","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":512,"eos_token_id":[0,2],"total_ut_steps":4}`))
	f.Add([]byte(`{"model_type":"llama","hidden_size":64,"intermediate_size":128,"num_hidden_layers":1,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":10,"rope_scaling":{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":16}}`))
	f.Add([]byte(`{"model_type":"qwen3","head_dim":-2}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("config.json", data)
		if err != nil {
			return
		}
		// Accepted configs are usable: positive sizes, heads divisible,
		// even head_dim.
		if c.HiddenSize <= 0 || c.NumAttentionHeads <= 0 || c.NumKeyValueHeads <= 0 ||
			c.NumAttentionHeads%c.NumKeyValueHeads != 0 || c.HeadDim <= 0 || c.HeadDim%2 != 0 {
			t.Fatalf("accepted an unusable config: %+v", c)
		}
		ParseGenerationConfig("generation_config.json", data)
	})
}

// FuzzIndex feeds arbitrary model.safetensors.index.json files to the
// loader: it must fail cleanly or load, never panic or escape the
// directory.
func FuzzIndex(f *testing.F) {
	f.Add([]byte(`{"weight_map":{"a":"model-00001-of-00001.safetensors"}}`))
	f.Add([]byte(`{"weight_map":{"a":"../../etc/passwd"}}`))
	f.Add([]byte(`{"weight_map":{}}`))
	f.Fuzz(func(t *testing.T, idx []byte) {
		fsys := fstest.MapFS{
			"m/config.json":                  {Data: []byte(`{"model_type":"llama","hidden_size":8,"intermediate_size":8,"num_hidden_layers":1,"num_attention_heads":2,"vocab_size":4}`)},
			"m/model.safetensors.index.json": {Data: idx},
		}
		if ck, err := OpenFS(context.Background(), fsys, "m", Options{}); err == nil {
			ck.Close()
		}
	})
}
