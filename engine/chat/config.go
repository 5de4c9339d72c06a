// Package chat renders the chat templates of Hugging Face checkpoints.
//
// LoadConfig reads tokenizer_config.json (chat_template as a string or a
// list of named templates, special tokens as strings or AddedToken objects);
// Config.Render renders a conversation exactly as transformers'
// apply_chat_template does, using this package's Jinja interpreter (see
// Template for the supported language).
package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Message is one turn of a conversation. Fields adds further keys to the
// message object the template sees (e.g. "reasoning_content", "tool_calls");
// a "content" field replaces Content (for non-string content).
type Message struct {
	Role    string
	Content string
	Fields  map[string]any
}

// RenderOptions control rendering.
type RenderOptions struct {
	// AddGenerationPrompt appends the assistant turn header.
	AddGenerationPrompt bool
	// ContinueFinalMessage leaves the last message open so that generation
	// continues it (for prefilled assistant answers): the rendering is cut
	// right after the final message's content, as transformers does. It
	// cannot be combined with AddGenerationPrompt.
	ContinueFinalMessage bool
	// EnableThinking sets the enable_thinking variable (Qwen3); nil leaves it
	// undefined, which Qwen3's template treats as thinking enabled.
	EnableThinking *bool
	// Tools is the list of tool (function) schemas; nil renders "tools" as
	// None. Use json.RawMessage elements to keep key order.
	Tools []any
	// Documents is the list of documents for RAG templates; nil means None.
	Documents []any
	// Template selects a named template when the config has several; ""
	// selects "tool_use" when Tools is set and such a template exists, else
	// "default".
	Template string
	// Extra holds further template variables (e.g. "date_string").
	Extra map[string]any
	// Now is the clock for strftime_now; nil means time.Now.
	Now func() time.Time
}

// Config is the chat-relevant part of a tokenizer_config.json.
type Config struct {
	// Path is the file the config was loaded from.
	Path string
	// Templates maps template names to their sources; a single
	// chat_template string is named "default".
	Templates map[string]string
	// Special tokens ("" when unset).
	BOSToken, EOSToken, UnkToken, PadToken string
	// AdditionalSpecialTokens lists additional_special_tokens.
	AdditionalSpecialTokens []string
	// AddBOSToken and AddEOSToken are add_bos_token / add_eos_token.
	AddBOSToken, AddEOSToken bool

	compiled map[string]*Template
}

type configJSON struct {
	ChatTemplate            json.RawMessage   `json:"chat_template"`
	BOSToken                json.RawMessage   `json:"bos_token"`
	EOSToken                json.RawMessage   `json:"eos_token"`
	UnkToken                json.RawMessage   `json:"unk_token"`
	PadToken                json.RawMessage   `json:"pad_token"`
	AdditionalSpecialTokens []json.RawMessage `json:"additional_special_tokens"`
	AddBOSToken             *bool             `json:"add_bos_token"`
	AddEOSToken             *bool             `json:"add_eos_token"`
}

// LoadConfig reads a tokenizer_config.json. When it has no chat_template,
// chat_template.jinja or chat_template.json next to it are used (newer
// checkpoints store the template there). All templates are compiled, so a
// template the renderer cannot handle is reported here.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chat: %w", err)
	}
	c, err := ParseConfig(data, path)
	if err != nil {
		return nil, err
	}
	if len(c.Templates) == 0 {
		dir := filepath.Dir(path)
		if src, err := os.ReadFile(filepath.Join(dir, "chat_template.jinja")); err == nil {
			c.Templates["default"] = string(src)
		} else if js, err := os.ReadFile(filepath.Join(dir, "chat_template.json")); err == nil {
			var f struct {
				ChatTemplate json.RawMessage `json:"chat_template"`
			}
			name := filepath.Join(dir, "chat_template.json")
			if err := json.Unmarshal(js, &f); err != nil {
				return nil, fmt.Errorf("chat: %s: %w", name, err)
			}
			if c.Templates, err = parseTemplates(f.ChatTemplate); err != nil {
				return nil, fmt.Errorf("chat: %s: %w", name, err)
			}
		}
	}
	if err := c.compile(); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseConfig parses tokenizer_config.json data; name is used in errors.
func ParseConfig(data []byte, name string) (*Config, error) {
	var f configJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("chat: %s: invalid JSON: %w", name, err)
	}
	c := &Config{Path: name}
	var err error
	if c.Templates, err = parseTemplates(f.ChatTemplate); err != nil {
		return nil, fmt.Errorf("chat: %s: %w", name, err)
	}
	for _, t := range []struct {
		raw json.RawMessage
		dst *string
		key string
	}{
		{f.BOSToken, &c.BOSToken, "bos_token"},
		{f.EOSToken, &c.EOSToken, "eos_token"},
		{f.UnkToken, &c.UnkToken, "unk_token"},
		{f.PadToken, &c.PadToken, "pad_token"},
	} {
		if *t.dst, err = tokenString(t.raw); err != nil {
			return nil, fmt.Errorf("chat: %s: %s: %w", name, t.key, err)
		}
	}
	for i, raw := range f.AdditionalSpecialTokens {
		s, err := tokenString(raw)
		if err != nil {
			return nil, fmt.Errorf("chat: %s: additional_special_tokens[%d]: %w", name, i, err)
		}
		c.AdditionalSpecialTokens = append(c.AdditionalSpecialTokens, s)
	}
	c.AddBOSToken = f.AddBOSToken != nil && *f.AddBOSToken
	c.AddEOSToken = f.AddEOSToken != nil && *f.AddEOSToken
	if err := c.compile(); err != nil {
		return nil, err
	}
	return c, nil
}

// parseTemplates accepts a template string or a list of {name, template}.
func parseTemplates(raw json.RawMessage) (map[string]string, error) {
	out := map[string]string{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("chat_template: %w", err)
		}
		out["default"] = s
		return out, nil
	}
	var list []struct {
		Name     *string `json:"name"`
		Template *string `json:"template"`
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("chat_template must be a string or a list of {\"name\", \"template\"} objects")
	}
	for i, e := range list {
		if e.Name == nil || e.Template == nil {
			return nil, fmt.Errorf("chat_template[%d] lacks \"name\" or \"template\"", i)
		}
		if _, dup := out[*e.Name]; dup {
			return nil, fmt.Errorf("chat_template: template %q appears twice", *e.Name)
		}
		out[*e.Name] = *e.Template
	}
	return out, nil
}

// tokenString accepts a token as a string, null, or an AddedToken object.
func tokenString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	if raw[0] == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var t struct {
		Content *string `json:"content"`
	}
	if err := json.Unmarshal(raw, &t); err != nil || t.Content == nil {
		return "", errors.New("must be a string, null or an object with \"content\"")
	}
	return *t.Content, nil
}

func (c *Config) compile() error {
	c.compiled = map[string]*Template{}
	names := make([]string, 0, len(c.Templates))
	for n := range c.Templates {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		t, err := Compile(c.Templates[n], fmt.Sprintf("%s: chat_template %q", c.Path, n))
		if err != nil {
			return fmt.Errorf("chat: %w", err)
		}
		c.compiled[n] = t
	}
	return nil
}

// HasTemplate reports whether the config has a chat template.
func (c *Config) HasTemplate() bool { return len(c.compiled) > 0 }

// Render renders messages with the chat template, with the same variables
// transformers' apply_chat_template provides: messages, tools, documents,
// add_generation_prompt, the special tokens (bos_token, eos_token, …; unset
// ones are undefined), enable_thinking when set, and opts.Extra.
func (c *Config) Render(messages []Message, opts RenderOptions) (string, error) {
	name := opts.Template
	if name == "" {
		name = "default"
		if opts.Tools != nil && c.compiled["tool_use"] != nil {
			name = "tool_use"
		}
		if c.compiled[name] == nil && len(c.compiled) == 1 {
			for n := range c.compiled {
				name = n
			}
		}
	}
	t := c.compiled[name]
	if t == nil {
		if len(c.compiled) == 0 {
			return "", fmt.Errorf("chat: %s has no chat_template", c.Path)
		}
		return "", fmt.Errorf("chat: %s has no chat template named %q", c.Path, name)
	}
	vars := map[string]any{}
	for _, tok := range []struct{ key, val string }{
		{"bos_token", c.BOSToken}, {"eos_token", c.EOSToken}, {"unk_token", c.UnkToken}, {"pad_token", c.PadToken},
	} {
		if tok.val != "" {
			vars[tok.key] = tok.val
		}
	}
	if len(c.AdditionalSpecialTokens) > 0 {
		vars["additional_special_tokens"] = c.AdditionalSpecialTokens
	}
	for k, v := range opts.Extra {
		vars[k] = v
	}
	msgs := make([]any, len(messages))
	for i, m := range messages {
		d := newDict()
		d.set("role", m.Role)
		d.set("content", m.Content)
		keys := make([]string, 0, len(m.Fields))
		for k := range m.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, err := fromGo(m.Fields[k])
			if err != nil {
				return "", fmt.Errorf("chat: message %d field %q: %w", i, k, err)
			}
			d.set(k, v)
		}
		msgs[i] = d
	}
	vars["messages"] = msgs
	vars["tools"] = nilIfEmpty(opts.Tools)
	vars["documents"] = nilIfEmpty(opts.Documents)
	vars["add_generation_prompt"] = opts.AddGenerationPrompt
	if opts.EnableThinking != nil {
		vars["enable_thinking"] = *opts.EnableThinking
	}
	if opts.ContinueFinalMessage {
		if opts.AddGenerationPrompt {
			return "", errors.New("chat: ContinueFinalMessage and AddGenerationPrompt cannot be combined")
		}
		if len(messages) == 0 {
			return "", errors.New("chat: ContinueFinalMessage needs at least one message")
		}
	}
	out, err := t.Execute(vars, opts.Now)
	if err != nil || !opts.ContinueFinalMessage {
		return out, err
	}
	// Cut after the last occurrence of the final content; templates that
	// trim messages (Llama 3.1) are matched with the content trimmed.
	final := messages[len(messages)-1].Content
	i := strings.LastIndex(out, final)
	if i < 0 {
		final = strings.TrimSpace(final)
		i = strings.LastIndex(out, final)
	}
	if i < 0 {
		return "", fmt.Errorf("chat: ContinueFinalMessage: the final message's content does not appear in the rendered chat")
	}
	return out[:i+len(final)], nil
}

func nilIfEmpty(l []any) any {
	if l == nil {
		return nil
	}
	return l
}
