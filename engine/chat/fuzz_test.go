package chat

import (
	"encoding/json"
	"os"
	"testing"
)

// FuzzTemplate compiles and renders arbitrary template source: it must
// return output or an error, never panic or hang.
func FuzzTemplate(f *testing.F) {
	data, err := os.ReadFile("testdata/snippets.json")
	if err != nil {
		f.Fatal(err)
	}
	var s struct {
		Cases []struct{ Template string } `json:"cases"`
	}
	if err := json.Unmarshal(data, &s); err != nil {
		f.Fatal(err)
	}
	for _, c := range s.Cases {
		f.Add(c.Template)
	}
	if src, err := os.ReadFile("testdata/rich.jinja"); err == nil {
		f.Add(string(src))
	}
	vars := map[string]any{
		"messages": []any{map[string]any{"role": "user", "content": "hi"}, map[string]any{"role": "assistant", "content": "<think>x</think>y"}},
		"x":        map[string]any{"y": 1, "l": []any{1, "a", nil}},
		"s":        "str", "n": 3, "add_generation_prompt": true,
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Compile(src, "fuzz")
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Compile error %v is %T, not *Error", err, err)
			}
			return
		}
		_, _ = tpl.Execute(vars, fixedNow)
	})
}

// FuzzParseConfig feeds arbitrary bytes to ParseConfig.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"chat_template": "{{ bos_token }}{{ messages[0].content }}", "bos_token": {"content": "<s>"}}`))
	f.Add([]byte(`{"chat_template": [{"name": "default", "template": "x"}], "eos_token": null}`))
	f.Add([]byte(`{"chat_template": "{% for m in messages %}{{ m.role }}{% endfor %}", "add_bos_token": true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data, "fuzz.json")
		if err != nil {
			return
		}
		_, _ = c.Render([]Message{{Role: "user", Content: "hi"}}, RenderOptions{AddGenerationPrompt: true, Now: fixedNow})
	})
}
