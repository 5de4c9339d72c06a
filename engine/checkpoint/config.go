package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// MaxSteps bounds the recurrent depth R of a request or config.
const MaxSteps = 1024

// Config is the subset of a Hugging Face config.json the engine uses.
// Fields absent from the file keep their zero value; Normalize fills the
// documented defaults.
type Config struct {
	ModelType             string       `json:"model_type"`
	Architectures         []string     `json:"architectures"`
	HiddenSize            int          `json:"hidden_size"`
	IntermediateSize      int          `json:"intermediate_size"`
	NumHiddenLayers       int          `json:"num_hidden_layers"`
	NumAttentionHeads     int          `json:"num_attention_heads"`
	NumKeyValueHeads      int          `json:"num_key_value_heads"`
	HeadDim               int          `json:"head_dim"`
	VocabSize             int          `json:"vocab_size"`
	MaxPositionEmbeddings int          `json:"max_position_embeddings"`
	RMSNormEps            float64      `json:"rms_norm_eps"`
	RopeTheta             float64      `json:"rope_theta"`
	RopeScaling           *RopeScaling `json:"rope_scaling"`
	// RopeParameters is the newer transformers spelling of RopeScaling
	// (it may also carry rope_theta).
	RopeParameters    *RopeScaling `json:"rope_parameters"`
	TieWordEmbeddings bool         `json:"tie_word_embeddings"`
	AttentionBias     bool         `json:"attention_bias"`
	MLPBias           bool         `json:"mlp_bias"`
	HiddenAct         string       `json:"hidden_act"`
	TorchDType        string       `json:"torch_dtype"`
	BOSTokenID        TokenIDs     `json:"bos_token_id"`
	EOSTokenID        TokenIDs     `json:"eos_token_id"`
	UseSlidingWindow  bool         `json:"use_sliding_window"`

	// Ouro.
	TotalUTSteps       int      `json:"total_ut_steps"`
	EarlyExitThreshold *float64 `json:"early_exit_threshold"`
}

// RopeScaling is config.json's rope_scaling (or rope_parameters) object.
type RopeScaling struct {
	RopeType                      string   `json:"rope_type"`
	Type                          string   `json:"type"` // older spelling of rope_type
	Factor                        float64  `json:"factor"`
	LowFreqFactor                 float64  `json:"low_freq_factor"`
	HighFreqFactor                float64  `json:"high_freq_factor"`
	OriginalMaxPositionEmbeddings int      `json:"original_max_position_embeddings"`
	RopeTheta                     *float64 `json:"rope_theta"`
}

// Kind returns rope_type, or the older type field.
func (r *RopeScaling) Kind() string {
	if r == nil {
		return ""
	}
	if r.RopeType != "" {
		return r.RopeType
	}
	return r.Type
}

// TokenIDs is a token id field that config files spell as null, one
// integer or a list of integers.
type TokenIDs []int

// UnmarshalJSON accepts null, an integer or a list of integers.
func (t *TokenIDs) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*t = nil
		return nil
	}
	if len(b) > 0 && b[0] == '[' {
		var l []int
		if err := json.Unmarshal(b, &l); err != nil {
			return fmt.Errorf("token ids: %v", err)
		}
		*t = l
		return nil
	}
	var v int
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("token id must be an integer or a list of integers: %v", err)
	}
	*t = TokenIDs{v}
	return nil
}

// ParseConfig parses config.json and checks it for the fields every
// architecture needs; name is used in errors.
func ParseConfig(name string, data []byte) (*Config, error) {
	var c Config
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if err := c.Normalize(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return &c, nil
}

// Normalize fills defaults (num_key_value_heads = num_attention_heads,
// head_dim = hidden_size / num_attention_heads, rms_norm_eps 1e-6,
// rope_theta 10000, rope_parameters → rope_scaling) and validates sizes.
func (c *Config) Normalize() error {
	if c.ModelType == "" {
		return fmt.Errorf("model_type is missing")
	}
	for _, f := range []struct {
		name string
		v    int
	}{
		{"hidden_size", c.HiddenSize}, {"intermediate_size", c.IntermediateSize},
		{"num_hidden_layers", c.NumHiddenLayers}, {"num_attention_heads", c.NumAttentionHeads},
		{"vocab_size", c.VocabSize},
	} {
		if f.v <= 0 {
			return fmt.Errorf("%s must be positive, is %d", f.name, f.v)
		}
	}
	// Sanity bounds far above any released model, so a corrupt config
	// fails here instead of driving huge allocations.
	for _, f := range []struct {
		name  string
		v, hi int
	}{
		{"hidden_size", c.HiddenSize, 1 << 20}, {"intermediate_size", c.IntermediateSize, 1 << 22},
		{"num_hidden_layers", c.NumHiddenLayers, 1 << 12}, {"num_attention_heads", c.NumAttentionHeads, 1 << 12},
		{"num_key_value_heads", c.NumKeyValueHeads, 1 << 12}, {"head_dim", c.HeadDim, 1 << 16},
		{"vocab_size", c.VocabSize, 1 << 24}, {"total_ut_steps", c.TotalUTSteps, MaxSteps},
	} {
		if f.v > f.hi {
			return fmt.Errorf("%s %d is implausibly large (limit %d)", f.name, f.v, f.hi)
		}
	}
	if c.TotalUTSteps < 0 || c.MaxPositionEmbeddings < 0 {
		return fmt.Errorf("total_ut_steps and max_position_embeddings must not be negative")
	}
	if c.NumKeyValueHeads == 0 {
		c.NumKeyValueHeads = c.NumAttentionHeads
	}
	if c.NumKeyValueHeads < 0 || c.NumAttentionHeads%c.NumKeyValueHeads != 0 {
		return fmt.Errorf("num_attention_heads %d is not a multiple of num_key_value_heads %d", c.NumAttentionHeads, c.NumKeyValueHeads)
	}
	if c.HeadDim == 0 {
		if c.HiddenSize%c.NumAttentionHeads != 0 {
			return fmt.Errorf("hidden_size %d is not a multiple of num_attention_heads %d and head_dim is not given", c.HiddenSize, c.NumAttentionHeads)
		}
		c.HeadDim = c.HiddenSize / c.NumAttentionHeads
	}
	if c.HeadDim < 0 || c.HeadDim%2 != 0 {
		return fmt.Errorf("head_dim %d must be positive and even (RoPE)", c.HeadDim)
	}
	if c.RMSNormEps == 0 {
		c.RMSNormEps = 1e-6
	}
	if c.RopeScaling == nil && c.RopeParameters != nil {
		c.RopeScaling = c.RopeParameters
	}
	if c.RopeTheta == 0 && c.RopeScaling != nil && c.RopeScaling.RopeTheta != nil {
		c.RopeTheta = *c.RopeScaling.RopeTheta
	}
	if c.RopeTheta == 0 {
		c.RopeTheta = 10000
	}
	if c.HiddenAct != "" && c.HiddenAct != "silu" {
		return fmt.Errorf("hidden_act %q is not supported (only silu)", c.HiddenAct)
	}
	if c.UseSlidingWindow {
		return fmt.Errorf("use_sliding_window is true; sliding-window attention is not supported")
	}
	switch k := c.RopeScaling.Kind(); k {
	case "", "default":
	case "llama3":
		r := c.RopeScaling
		if r.Factor <= 0 || r.LowFreqFactor <= 0 || r.HighFreqFactor <= r.LowFreqFactor || r.OriginalMaxPositionEmbeddings <= 0 {
			return fmt.Errorf("rope_scaling llama3 needs factor > 0, 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0 (got %+v)", *r)
		}
	default:
		return fmt.Errorf("rope_scaling type %q is not supported (supported: default, llama3)", k)
	}
	return nil
}

// GenerationConfig is the subset of generation_config.json the engine uses.
type GenerationConfig struct {
	BOSTokenID  TokenIDs `json:"bos_token_id"`
	EOSTokenID  TokenIDs `json:"eos_token_id"`
	PadTokenID  TokenIDs `json:"pad_token_id"`
	DoSample    *bool    `json:"do_sample"`
	Temperature *float64 `json:"temperature"`
	TopP        *float64 `json:"top_p"`
	TopK        *int     `json:"top_k"`
}

// ParseGenerationConfig parses generation_config.json.
func ParseGenerationConfig(name string, data []byte) (*GenerationConfig, error) {
	var g GenerationConfig
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return &g, nil
}
