package chat

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorsNameConstructAndLine(t *testing.T) {
	tests := []struct {
		src     string
		compile bool // error at Compile rather than at render
		line    int
		want    string
	}{
		{"line1\n{{ x | frobnicate }}", true, 2, `unknown filter "frobnicate"`},
		{"{{ x | batch(2) }}", true, 1, `unsupported filter "batch"`},
		{"a\n{{ 1 is frob }}", true, 2, `unknown test "frob"`},
		{"line1\nline2\n{% frob %}", true, 3, `unknown tag "frob"`},
		{"{% include 'a' %}", true, 1, `unsupported tag "include"`},
		{"{% extends 'a' %}", true, 1, `unsupported tag "extends"`},
		{"{% if true %}\nunclosed", true, 1, "missing {% endif %}"},
		{"{% for x in y %}", true, 1, "missing {% endfor %}"},
		{"{% endif %}", true, 1, "unexpected {% endif %}"},
		{"{{ 1 + }}", true, 1, "unexpected end of tag"},
		{"\n{{ 'abc }}", true, 2, "unclosed expression"},
		{"{# never closed", true, 1, "unclosed comment"},
		{"{{ a b }}", true, 1, `unexpected name "b"`},
		{"{% for x in items recursive %}{% endfor %}", true, 1, "recursive"},
		{"{{ 'a'.nosuch() }}", false, 1, "unknown method str.nosuch()"},
		{"{{ nofn() }}", false, 1, "unknown function nofn()"},
		{"\n{{ missing.attr }}", false, 2, `missing is undefined (cannot read attribute "attr")`},
		{"\n\n{{ raise_exception('boom') }}", false, 3, "raise_exception: boom"},
		{"{{ [1].append(2) }}", false, 1, "unsafe"},
		{"{% for x in 5 %}{% endfor %}", false, 1, "int object is not iterable"},
		{"{{ 'a' + 1 }}", false, 1, "unsupported operand"},
		{"{{ strftime_now('%Q') }}", false, 1, "unsupported directive %Q"},
		{"{% set x.y = 1 %}", false, 1, "only namespace objects"},
	}
	for _, tc := range tests {
		tpl, err := Compile(tc.src, "t.jinja")
		if err == nil {
			if tc.compile {
				t.Errorf("%q: compiled, want a compile error", tc.src)
				continue
			}
			_, err = tpl.Execute(nil, fixedNow)
		} else if !tc.compile {
			t.Errorf("%q: compile error %v, want a render error", tc.src, err)
			continue
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("%q: error %v (%T) is not an *Error", tc.src, err, err)
			continue
		}
		if e.Line != tc.line || e.Template != "t.jinja" || !strings.Contains(e.Msg, tc.want) {
			t.Errorf("%q: error %q (line %d), want line %d mentioning %q", tc.src, err, e.Line, tc.line, tc.want)
		}
	}
}

func TestGenerationTagAndStrftime(t *testing.T) {
	got, err := render("{% generation %}gen {{ 1 }}{% endgeneration %}|{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%-d/%-m') }}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "gen 1|29 Nov 2026|29/11"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseConfigShapes(t *testing.T) {
	data := []byte(`{
		"chat_template": [
			{"name": "default", "template": "{{ bos_token }}{% for m in messages %}{{ m.role }}:{{ m.content }};{% endfor %}"},
			{"name": "tool_use", "template": "tools={{ tools | length }}"}
		],
		"bos_token": {"__type": "AddedToken", "content": "<s>", "lstrip": false},
		"eos_token": "</s>",
		"unk_token": null,
		"add_bos_token": true,
		"additional_special_tokens": ["<a>", {"content": "<b>"}]
	}`)
	c, err := ParseConfig(data, "cfg.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.BOSToken != "<s>" || c.EOSToken != "</s>" || c.UnkToken != "" || !c.AddBOSToken || c.AddEOSToken {
		t.Errorf("tokens: %+v", c)
	}
	if strings.Join(c.AdditionalSpecialTokens, ",") != "<a>,<b>" {
		t.Errorf("additional_special_tokens = %v", c.AdditionalSpecialTokens)
	}
	msgs := []Message{{Role: "user", Content: "hi"}}
	if got, _ := c.Render(msgs, RenderOptions{}); got != "<s>user:hi;" {
		t.Errorf("default template: %q", got)
	}
	if got, _ := c.Render(msgs, RenderOptions{Tools: []any{map[string]any{"name": "f"}}}); got != "tools=1" {
		t.Errorf("tool_use template: %q", got)
	}
	if _, err := c.Render(msgs, RenderOptions{Template: "nope"}); err == nil || !strings.Contains(err.Error(), `no chat template named "nope"`) {
		t.Errorf("missing template error: %v", err)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ data, want string }{
		{`{`, "invalid JSON"},
		{`{"chat_template": 5}`, "chat_template must be a string or a list"},
		{`{"chat_template": [{"name": "x"}]}`, `lacks "name" or "template"`},
		{`{"chat_template": [{"name": "x", "template": "a"}, {"name": "x", "template": "b"}]}`, "appears twice"},
		{`{"bos_token": 3}`, "bos_token"},
		{`{"chat_template": "{{ x | nope }}"}`, `cfg.json: chat_template "default": line 1: unknown filter "nope"`},
	}
	for _, tc := range tests {
		_, err := ParseConfig([]byte(tc.data), "cfg.json")
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "cfg.json") {
			t.Errorf("%s: error %v, want one mentioning %q", tc.data, err, tc.want)
		}
	}
	c, err := ParseConfig([]byte(`{}`), "empty.json")
	if err != nil {
		t.Fatal(err)
	}
	if c.HasTemplate() {
		t.Error("HasTemplate on a config without one")
	}
	if _, err := c.Render(nil, RenderOptions{}); err == nil || !strings.Contains(err.Error(), "no chat_template") {
		t.Errorf("Render without template: %v", err)
	}
}

func TestLoadConfigTemplateFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "tokenizer_config.json")
	if err := os.WriteFile(cfg, []byte(`{"eos_token": "</s>"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "chat_template.jinja"), []byte("{{ messages[0].content }}{{ eos_token }}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Render([]Message{{Role: "user", Content: "x"}}, RenderOptions{}); err != nil || got != "x</s>" {
		t.Errorf("Render = %q, %v", got, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("LoadConfig(missing) = %v", err)
	}
}

func TestRenderMessageFieldsAndExtra(t *testing.T) {
	tpl := `{% for m in messages %}{{ m.role }}|{{ m.content }}|{{ m.reasoning_content | default('-') }}|{% if m.tool_calls %}{{ m.tool_calls | tojson }}{% endif %}
{% endfor %}{{ date_string }} {{ enable_thinking is defined }} {{ tools is none }}`
	c, err := ParseConfig([]byte(`{"chat_template": `+quoteJSON(tpl)+`}`), "x.json")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{
		{Role: "user", Content: "q"},
		{Role: "assistant", Content: "a", Fields: map[string]any{
			"reasoning_content": "r",
			"tool_calls":        []any{map[string]any{"name": "f", "arguments": map[string]any{"b": 1, "a": "x"}}},
		}},
	}
	got, err := c.Render(msgs, RenderOptions{Extra: map[string]any{"date_string": "today"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "user|q|-|assistant|a|r|[{\"arguments\": {\"a\": \"x\", \"b\": 1}, \"name\": \"f\"}]today False True" // trim_blocks eats the newlines
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func quoteJSON(s string) string {
	var b strings.Builder
	jsonString(&b, s)
	return b.String()
}

func TestConcurrentRender(t *testing.T) {
	c, err := ParseConfig([]byte(`{"chat_template": "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ m.content }}{% endfor %}{{ ns.n }}"}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				got, err := c.Render([]Message{{Content: "a"}, {Content: "b"}}, RenderOptions{Now: func() time.Time { return time.Unix(0, 0) }})
				if err != nil || got != "ab2" {
					t.Errorf("Render = %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestContinueFinalMessage(t *testing.T) {
	c, err := ParseConfig([]byte(`{"chat_template": "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"}`), "c.json")
	if err != nil {
		t.Fatal(err)
	}
	msgs := []Message{{Role: "user", Content: "2+2?"}, {Role: "assistant", Content: "The answer is "}}
	got, err := c.Render(msgs, RenderOptions{ContinueFinalMessage: true})
	if err != nil {
		t.Fatal(err)
	}
	// The template trims the content, so the trimmed content is matched.
	if want := "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\nThe answer is"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := c.Render(msgs, RenderOptions{ContinueFinalMessage: true, AddGenerationPrompt: true}); err == nil {
		t.Error("ContinueFinalMessage with AddGenerationPrompt: no error")
	}
}
