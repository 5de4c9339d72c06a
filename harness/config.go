package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/ouroeval/ouroeval/backends"
)

// Config is a sweep: models × tasks × settings.
//
//	name: depth-sweep
//	note: printed before the run
//	models:
//	  - chance                       # a model spec ...
//	  - {spec: "engine:ckpt/ouro", name: ouro, concurrency: 2}
//	  - spec: "engine:ckpt/ouro"     # explicit settings for one model
//	    name: ouro-exit              # (replace R, q and kv for it)
//	    settings: [{R: 1}, {R: 4}, {R: 4, q: 0.5}]
//	tasks: [procedural]              # tasks or groups
//	R: [1, 2, 3, 4]                  # fixed recurrent depths (looped backends)
//	q: [0.5, 0.9]                    # exit thresholds (looped backends)
//	kv: [full]                       # KV strategies (looped backends)
//	seeds: [1234]                    # few-shot / sampling seeds (default 1234, as lm-eval)
//	limit: 100                       # documents per task (0 = all)
//	num_fewshot: 0                   # override every task's num_fewshot
//	concurrency: 8                   # requests in flight per backend
//	bootstrap: 10000                 # bootstrap resamples for CIs
//	formats: [lm-eval]               # extra output layouts
type Config struct {
	Name        string        `yaml:"name" json:"name,omitempty"`
	Note        string        `yaml:"note" json:"note,omitempty"`
	Models      []ModelConfig `yaml:"models" json:"models"`
	Tasks       []string      `yaml:"tasks" json:"tasks"`
	R           []int         `yaml:"R" json:"R,omitempty"`
	Q           []float64     `yaml:"q" json:"q,omitempty"`
	KV          []string      `yaml:"kv" json:"kv,omitempty"`
	Seeds       []uint64      `yaml:"seeds" json:"seeds"`
	Limit       int           `yaml:"limit" json:"limit"`
	NumFewshot  *int          `yaml:"num_fewshot" json:"num_fewshot,omitempty"`
	Concurrency int           `yaml:"concurrency" json:"concurrency"`
	Bootstrap   int           `yaml:"bootstrap" json:"bootstrap"`
	Formats     []string      `yaml:"formats" json:"formats,omitempty"`
}

// ModelConfig is one model of a sweep.
type ModelConfig struct {
	// Spec is the backend spec ("chance", "engine:path?R=4", ...).
	Spec string `yaml:"spec" json:"spec"`
	// Name labels the model in result paths and tables (default: derived
	// from the spec).
	Name string `yaml:"name" json:"name,omitempty"`
	// Concurrency overrides the sweep's per-backend limit.
	Concurrency int `yaml:"concurrency" json:"concurrency,omitempty"`
	// Settings, when set, lists this model's settings explicitly (each
	// crossed with the sweep's seeds) instead of the sweep's R × q × kv
	// grid: e.g. fixed depths R = 1..4 plus adaptive exit at R = 4, which
	// no grid expresses. Like the grid, it applies only to looped
	// backends; a non-looped backend runs once per seed.
	Settings []SettingConfig `yaml:"settings" json:"settings,omitempty"`
}

// SettingConfig is one explicit setting of a model: a fixed depth R (0:
// the backend's default), an exit threshold q and a KV strategy, each
// optional.
type SettingConfig struct {
	R  int      `yaml:"R" json:"R,omitempty"`
	Q  *float64 `yaml:"q" json:"q,omitempty"`
	KV string   `yaml:"kv" json:"kv,omitempty"`
}

// Defaults used when a config leaves a field zero.
const (
	DefaultConcurrency = 8
	DefaultBootstrap   = 10000
	// DefaultSeed is lm-eval's default few-shot seed.
	DefaultSeed = 1234
)

// Formats the harness can write besides its own.
var knownFormats = []string{"lm-eval"}

// validKVs are the decode-time KV strategies of backends.Options.
var validKVs = []string{"full", "last", "first", "average"}

// yamlKeys returns the yaml key names of a struct type's fields.
func yamlKeys(v any) []string {
	switch v.(type) {
	case Config:
		return []string{"name", "note", "models", "tasks", "R", "q", "kv", "seeds", "limit", "num_fewshot", "concurrency", "bootstrap", "formats"}
	case ModelConfig:
		return []string{"spec", "name", "concurrency", "settings"}
	case SettingConfig:
		return []string{"R", "q", "kv"}
	}
	return nil
}

// ParseConfig parses a sweep config. Errors carry file:line:column; unknown
// keys are rejected with the list of valid ones.
func ParseConfig(file string, data []byte) (*Config, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty sweep config", file)
		}
		return nil, fmt.Errorf("%s: %v", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(root.Content) == 0 {
		return nil, fmt.Errorf("%s: empty sweep config", file)
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: a sweep config must be a mapping of keys (valid keys: %s)", file, doc.Line, doc.Column, strings.Join(yamlKeys(Config{}), ", "))
	}
	if err := checkKeys(file, doc, yamlKeys(Config{}), "sweep config"); err != nil {
		return nil, err
	}
	var cfg Config
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if k.Value != "models" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("%s:%d:%d: models must be a list", file, v.Line, v.Column)
		}
		for _, m := range v.Content {
			switch m.Kind {
			case yaml.ScalarNode:
				// shorthand: a bare spec
				m.Kind, m.Tag = yaml.MappingNode, "!!map"
				m.Content = []*yaml.Node{
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: "spec", Line: m.Line, Column: m.Column},
					{Kind: yaml.ScalarNode, Tag: "!!str", Value: m.Value, Line: m.Line, Column: m.Column},
				}
				m.Value = ""
			case yaml.MappingNode:
				if err := checkKeys(file, m, yamlKeys(ModelConfig{}), "model"); err != nil {
					return nil, err
				}
				if err := checkSettingKeys(file, m); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("%s:%d:%d: a model is a spec string or a mapping with keys %s", file, m.Line, m.Column, strings.Join(yamlKeys(ModelConfig{}), ", "))
			}
		}
	}
	if err := doc.Decode(&cfg); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			// "line 3: cannot unmarshal ..." → "file:3: cannot unmarshal ..."
			var msgs []string
			for _, e := range te.Errors {
				msgs = append(msgs, file+":"+strings.Replace(strings.TrimPrefix(e, "line "), ": ", ": ", 1))
			}
			return nil, errors.New(strings.Join(msgs, "\n"))
		}
		return nil, fmt.Errorf("%s: %v", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return &cfg, nil
}

// LoadConfig reads and parses a sweep config file.
func LoadConfig(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseConfig(file, data)
}

// checkSettingKeys checks the entries of a model's settings: list.
func checkSettingKeys(file string, m *yaml.Node) error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Value != "settings" {
			continue
		}
		if v.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s:%d:%d: settings must be a list of mappings such as {R: 4, q: 0.5}", file, v.Line, v.Column)
		}
		for _, e := range v.Content {
			if e.Kind != yaml.MappingNode {
				return fmt.Errorf("%s:%d:%d: a setting is a mapping with keys %s", file, e.Line, e.Column, strings.Join(yamlKeys(SettingConfig{}), ", "))
			}
			if err := checkKeys(file, e, yamlKeys(SettingConfig{}), "setting"); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkKeys(file string, m *yaml.Node, valid []string, what string) error {
	seen := map[string]bool{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		ok := false
		for _, v := range valid {
			ok = ok || v == k.Value
		}
		if !ok {
			hint := ""
			for _, v := range valid {
				if strings.EqualFold(v, k.Value) {
					hint = fmt.Sprintf(" (did you mean %q?)", v)
				}
			}
			return fmt.Errorf("%s:%d:%d: unknown key %q in %s%s; valid keys: %s", file, k.Line, k.Column, k.Value, what, hint, strings.Join(valid, ", "))
		}
		if seen[k.Value] {
			return fmt.Errorf("%s:%d:%d: duplicate key %q in %s", file, k.Line, k.Column, k.Value, what)
		}
		seen[k.Value] = true
	}
	return nil
}

// validate checks values and fills defaults.
func (c *Config) validate() error {
	if len(c.Models) == 0 {
		return fmt.Errorf("no models (add a models: list)")
	}
	for i, m := range c.Models {
		if strings.TrimSpace(m.Spec) == "" {
			return fmt.Errorf("model %d has no spec", i+1)
		}
		if m.Concurrency < 0 {
			return fmt.Errorf("model %q: concurrency must be ≥ 0, got %d", m.Spec, m.Concurrency)
		}
		seen := map[string]bool{}
		for j, st := range m.Settings {
			if st.R < 0 {
				return fmt.Errorf("model %q: setting %d: R must be ≥ 1, got %d", m.Spec, j+1, st.R)
			}
			if st.Q != nil && !(*st.Q > 0 && *st.Q <= 1) {
				return fmt.Errorf("model %q: setting %d: q must be in (0, 1], got %v", m.Spec, j+1, *st.Q)
			}
			if st.KV != "" && !contains(validKVs, st.KV) {
				return fmt.Errorf("model %q: setting %d: unknown kv strategy %q (valid: %s)", m.Spec, j+1, st.KV, strings.Join(validKVs, ", "))
			}
			k := st.setting(0).Key()
			if seen[k] {
				return fmt.Errorf("model %q: setting %d repeats %s", m.Spec, j+1, strings.TrimPrefix(k, "seed=0,"))
			}
			seen[k] = true
		}
	}
	if len(c.Tasks) == 0 {
		return fmt.Errorf("no tasks (add a tasks: list)")
	}
	for _, r := range c.R {
		if r < 1 {
			return fmt.Errorf("R must be ≥ 1, got %d", r)
		}
	}
	for _, q := range c.Q {
		if !(q > 0 && q <= 1) {
			return fmt.Errorf("q must be in (0, 1], got %v", q)
		}
	}
	for _, kv := range c.KV {
		if !contains(validKVs, kv) {
			return fmt.Errorf("unknown kv strategy %q (valid: %s)", kv, strings.Join(validKVs, ", "))
		}
	}
	if c.Limit < 0 {
		return fmt.Errorf("limit must be ≥ 0, got %d", c.Limit)
	}
	if c.NumFewshot != nil && *c.NumFewshot < 0 {
		return fmt.Errorf("num_fewshot must be ≥ 0, got %d", *c.NumFewshot)
	}
	if c.Concurrency < 0 {
		return fmt.Errorf("concurrency must be ≥ 0, got %d", c.Concurrency)
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.Bootstrap < 0 {
		return fmt.Errorf("bootstrap must be ≥ 0, got %d", c.Bootstrap)
	}
	if c.Bootstrap == 0 {
		c.Bootstrap = DefaultBootstrap
	}
	if len(c.Seeds) == 0 {
		c.Seeds = []uint64{DefaultSeed}
	}
	for _, f := range c.Formats {
		if !contains(knownFormats, f) {
			return fmt.Errorf("unknown format %q (valid: %s)", f, strings.Join(knownFormats, ", "))
		}
	}
	if err := noDup("tasks", c.Tasks); err != nil {
		return err
	}
	names := map[string]bool{}
	for i := range c.Models {
		n := c.Models[i].Label()
		if names[n] {
			return fmt.Errorf("two models are named %q; give them distinct name: fields", n)
		}
		names[n] = true
	}
	return nil
}

// Validate checks a programmatically built config and fills its defaults.
func (c *Config) Validate() error { return c.validate() }

func noDup(what string, xs []string) error {
	seen := map[string]bool{}
	for _, x := range xs {
		if seen[x] {
			return fmt.Errorf("%s lists %q twice", what, x)
		}
		seen[x] = true
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Label is the model's name in paths and tables: Name, or else the spec
// with its target shortened to the last path element ("engine:ckpt/ouro?R=4"
// → "engine_ouro_R=4"), made file-name safe.
func (m ModelConfig) Label() string {
	if m.Name != "" {
		return Sanitize(m.Name)
	}
	sp, err := backends.ParseSpec(m.Spec)
	if err != nil {
		return Sanitize(m.Spec)
	}
	l := sp.Scheme
	if sp.Target != "" {
		l += "_" + path.Base(strings.TrimRight(filepath.ToSlash(sp.Target), "/"))
	}
	if q := sp.Params.Encode(); q != "" {
		l += "_" + q
	}
	return Sanitize(l)
}

// Sanitize makes s safe as one path element.
func Sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '=', r == '+':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "_"
	}
	return out
}

// Setting is one point of a sweep's settings grid.
type Setting struct {
	Seed uint64   `json:"seed"`
	R    int      `json:"R,omitempty"`
	Q    *float64 `json:"q,omitempty"`
	KV   string   `json:"kv,omitempty"`
}

// Key is a stable, readable name such as "seed=0,R=2,q=0.9".
func (s Setting) Key() string {
	parts := []string{"seed=" + strconv.FormatUint(s.Seed, 10)}
	if s.R != 0 {
		parts = append(parts, "R="+strconv.Itoa(s.R))
	}
	if s.Q != nil {
		parts = append(parts, "q="+strconv.FormatFloat(*s.Q, 'g', -1, 64))
	}
	if s.KV != "" {
		parts = append(parts, "kv="+s.KV)
	}
	return strings.Join(parts, ",")
}

// setting is the Setting of s under seed.
func (s SettingConfig) setting(seed uint64) Setting {
	var q *float64
	if s.Q != nil {
		v := *s.Q
		q = &v
	}
	return Setting{Seed: seed, R: s.R, Q: q, KV: s.KV}
}

// modelSettings is the settings one model runs: its explicit settings
// crossed with the seeds when it has them and is looped, else the grid.
func (c *Config) modelSettings(m ModelConfig, looped bool) []Setting {
	if !looped || len(m.Settings) == 0 {
		return c.settings(looped)
	}
	var out []Setting
	for _, seed := range c.Seeds {
		for _, s := range m.Settings {
			out = append(out, s.setting(seed))
		}
	}
	return out
}

// settings expands the grid; looped=false drops R, q and kv (they mean
// nothing to a non-looped backend).
func (c *Config) settings(looped bool) []Setting {
	rs := []int{0}
	qs := []*float64{nil}
	kvs := []string{""}
	if looped {
		if len(c.R) > 0 {
			rs = c.R
		}
		if len(c.Q) > 0 {
			qs = nil
			for i := range c.Q {
				qs = append(qs, &c.Q[i])
			}
		}
		if len(c.KV) > 0 {
			kvs = c.KV
		}
	}
	var out []Setting
	for _, seed := range c.Seeds {
		for _, r := range rs {
			for _, q := range qs {
				for _, kv := range kvs {
					out = append(out, Setting{Seed: seed, R: r, Q: q, KV: kv})
				}
			}
		}
	}
	return out
}
