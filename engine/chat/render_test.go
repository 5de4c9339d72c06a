package chat

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/internal/shareddata"
)

// fixedNow is the clock testdata/gen_expected.py uses.
func fixedNow() time.Time { return time.Date(2026, 11, 29, 15, 4, 5, 0, time.UTC) }

// sharedTokenizers returns ../shared/data/tokenizers relative to the module
// root, or "" when it is absent.
func sharedTokenizers(t *testing.T) string {
	t.Helper()
	d, err := shareddata.Dir()
	if err != nil {
		return ""
	}
	d = filepath.Join(d, "tokenizers")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

type expectedCase struct {
	Name     string                       `json:"name"`
	Template string                       `json:"template"`
	Messages []map[string]json.RawMessage `json:"messages"`
	Options  map[string]json.RawMessage   `json:"options"`
	Want     *string                      `json:"want"`
	Error    *string                      `json:"error"`
}

// TestRenderMatchesJinja2 renders the real Ouro, Qwen3 and Llama 3 templates
// and a feature-rich test template, comparing with Python jinja2 output
// configured as transformers configures it (testdata/gen_expected.py).
func TestRenderMatchesJinja2(t *testing.T) {
	data, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []expectedCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	shared := sharedTokenizers(t)
	configs := map[string]*Config{}
	ran := 0
	for _, tc := range cases {
		cfg := configs[tc.Template]
		if cfg == nil {
			if strings.HasSuffix(tc.Template, ".jinja") {
				src, err := os.ReadFile(filepath.Join("testdata", tc.Template))
				if err != nil {
					t.Fatal(err)
				}
				js, _ := json.Marshal(map[string]any{"chat_template": string(src), "bos_token": "<s>", "eos_token": "</s>"})
				if cfg, err = ParseConfig(js, tc.Template); err != nil {
					t.Fatal(err)
				}
			} else {
				if shared == "" {
					t.Logf("skipping %s: ../shared/data/tokenizers not available", tc.Name)
					continue
				}
				if cfg, err = LoadConfig(filepath.Join(shared, tc.Template, "tokenizer_config.json")); err != nil {
					t.Fatal(err)
				}
			}
			configs[tc.Template] = cfg
		}
		msgs := make([]Message, len(tc.Messages))
		for i, m := range tc.Messages {
			msgs[i].Fields = map[string]any{}
			for k, raw := range m {
				switch k {
				case "role":
					json.Unmarshal(raw, &msgs[i].Role)
				case "content":
					json.Unmarshal(raw, &msgs[i].Content)
				default:
					msgs[i].Fields[k] = raw
				}
			}
		}
		opts := RenderOptions{Now: fixedNow, Extra: map[string]any{}}
		for k, raw := range tc.Options {
			switch k {
			case "add_generation_prompt":
				json.Unmarshal(raw, &opts.AddGenerationPrompt)
			case "enable_thinking":
				var b bool
				json.Unmarshal(raw, &b)
				opts.EnableThinking = &b
			case "tools":
				var tools []json.RawMessage
				json.Unmarshal(raw, &tools)
				for _, tl := range tools {
					opts.Tools = append(opts.Tools, tl)
				}
			default:
				opts.Extra[k] = raw
			}
		}
		got, err := cfg.Render(msgs, opts)
		ran++
		switch {
		case tc.Error != nil:
			if err == nil || !strings.Contains(err.Error(), *tc.Error) {
				t.Errorf("%s: error = %v, want one containing %q", tc.Name, err, *tc.Error)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.Name, err)
		case got != *tc.Want:
			t.Errorf("%s:\n got %q\nwant %q", tc.Name, got, *tc.Want)
		}
	}
	if ran == 0 {
		t.Fatal("no cases ran")
	}
	t.Logf("%d of %d cases rendered", ran, len(cases))
}
