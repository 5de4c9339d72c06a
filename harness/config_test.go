package harness

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	src := `name: s
models:
  - chance
  - {spec: "slow:a", name: fast, concurrency: 2}
tasks: [add]
R: [1, 2]
q: [0.5]
seeds: [1, 2]
limit: 5
num_fewshot: 0
`
	c, err := ParseConfig("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Models[0].Spec != "chance" || c.Models[1].Label() != "fast" || c.Models[1].Concurrency != 2 {
		t.Errorf("models = %+v", c.Models)
	}
	if c.Concurrency != DefaultConcurrency || c.Bootstrap != DefaultBootstrap || *c.NumFewshot != 0 {
		t.Errorf("defaults not applied: %+v", c)
	}
	var keys []string
	for _, s := range c.settings(true) {
		keys = append(keys, s.Key())
	}
	want := []string{"seed=1,R=1,q=0.5", "seed=1,R=2,q=0.5", "seed=2,R=1,q=0.5", "seed=2,R=2,q=0.5"}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("settings = %v, want %v", keys, want)
	}
	if s := c.settings(false); len(s) != 2 || s[0].Key() != "seed=1" {
		t.Errorf("non-looped settings = %v", s)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"models: [chance]\ntasks: [a]\nlmit: 3\n", `s.yaml:3:1: unknown key "lmit" in sweep config; valid keys: name, note, models`},
		{"models: [chance]\ntasks: [a]\nr: [1]\n", `(did you mean "R"?)`},
		{"models:\n  - {spec: chance, conc: 2}\ntasks: [a]\n", `s.yaml:2:20: unknown key "conc" in model; valid keys: spec, name, concurrency`},
		{"models: [chance]\ntasks: [a]\nR: [0]\n", "R must be ≥ 1"},
		{"models: [chance]\ntasks: [a]\nq: [1.5]\n", "q must be in (0, 1]"},
		{"models: [chance]\ntasks: [a]\nlimit: many\n", "s.yaml:3: cannot unmarshal"},
		{"models: [chance]\n", "no tasks"},
		{"tasks: [a]\n", "no models"},
		{"models: [chance, chance]\ntasks: [a]\n", `two models are named "chance"`},
		{"models: [chance]\ntasks: [a, a]\n", `tasks lists "a" twice`},
		{"models: [chance]\ntasks: [a]\nformats: [csv]\n", `unknown format "csv"`},
		{"models: [chance]\ntasks: [a]\nkv: [most]\n", `unknown kv strategy "most"`},
		{"- a\n", "s.yaml:1:1: a sweep config must be a mapping"},
		{"", "empty sweep config"},
		{"models: {a: b}\ntasks: [a]\n", "s.yaml:1:9: models must be a list"},
		{"models: [chance]\ntasks: [a]\ntasks: [b]\n", `duplicate key "tasks"`},
		{"models: [[x]]\ntasks: [a]\n", "a model is a spec string or a mapping"},
	}
	for _, tt := range tests {
		_, err := ParseConfig("s.yaml", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) error = %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}

func TestLabel(t *testing.T) {
	for spec, want := range map[string]string{
		"chance":                           "chance",
		"chance?seed=3":                    "chance_seed=3",
		"engine:/ckpts/ouro-1.4b/":         "engine_ouro-1.4b",
		"engine:ckpts/ouro?R=4&q=0.5":      "engine_ouro_R=4_q=0.5",
		"openai:gpt-4o-mini?base=http://x": "openai_gpt-4o-mini_base=http_3A_2F_2Fx",
	} {
		if got := (ModelConfig{Spec: spec}).Label(); got != want {
			t.Errorf("Label(%q) = %q, want %q", spec, got, want)
		}
	}
	if got := (ModelConfig{Spec: "chance", Name: "floor"}).Label(); got != "floor" {
		t.Errorf("named label = %q", got)
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{"chance": "chance", "engine:a/b?R=4": "engine_a_b_R=4", "..": "_", "": "_"} {
		if got := Sanitize(in); got != want {
			t.Errorf("Sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("models: [chance]\ntasks: [procedural]\nlimit: 10\n"))
	f.Add([]byte("models:\n  - {spec: x, name: y}\ntasks: [a]\nR: [1,2]\nq: [0.5]\n"))
	f.Add([]byte("models: [[x]]\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("models:\n  - spec: x\n    settings: [{R: 1}, {R: 4, q: 0.5}, {kv: full}]\ntasks: [a]\n"))
	f.Add([]byte("models:\n  - {spec: x, settings: [[1]]}\ntasks: [a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig("f.yaml", data)
		if err == nil && (len(c.Models) == 0 || len(c.Tasks) == 0 || c.Concurrency <= 0) {
			t.Fatalf("accepted an invalid config: %+v", c)
		}
	})
}

func TestModelSettings(t *testing.T) {
	src := `models:
  - chance
  - spec: "slow:a"
    settings: [{R: 1}, {R: 4}, {R: 4, q: 0.5}, {R: 4, q: 0.9, kv: full}]
tasks: [add]
R: [2]
seeds: [1, 2]
`
	c, err := ParseConfig("s.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		model  int
		looped bool
		want   []string
	}{
		{1, true, []string{"seed=1,R=1", "seed=1,R=4", "seed=1,R=4,q=0.5", "seed=1,R=4,q=0.9,kv=full",
			"seed=2,R=1", "seed=2,R=4", "seed=2,R=4,q=0.5", "seed=2,R=4,q=0.9,kv=full"}},
		{1, false, []string{"seed=1", "seed=2"}},        // non-looped: once per seed
		{0, true, []string{"seed=1,R=2", "seed=2,R=2"}}, // no explicit settings: the grid
	}
	for _, tt := range tests {
		var keys []string
		for _, s := range c.modelSettings(c.Models[tt.model], tt.looped) {
			keys = append(keys, s.Key())
		}
		if !reflect.DeepEqual(keys, tt.want) {
			t.Errorf("model %d looped=%v: settings = %v, want %v", tt.model, tt.looped, keys, tt.want)
		}
	}
}

func TestModelSettingsErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{"models:\n  - {spec: chance, settings: [{R: 1, Q: 0.5}]}\ntasks: [a]\n", `s.yaml:2:38: unknown key "Q" in setting (did you mean "q"?); valid keys: R, q, kv`},
		{"models:\n  - {spec: chance, settings: {R: 1}}\ntasks: [a]\n", "s.yaml:2:30: settings must be a list"},
		{"models:\n  - {spec: chance, settings: [4]}\ntasks: [a]\n", "s.yaml:2:31: a setting is a mapping with keys R, q, kv"},
		{"models:\n  - {spec: chance, settings: [{R: -1}]}\ntasks: [a]\n", `model "chance": setting 1: R must be ≥ 1`},
		{"models:\n  - {spec: chance, settings: [{q: 2}]}\ntasks: [a]\n", `model "chance": setting 1: q must be in (0, 1]`},
		{"models:\n  - {spec: chance, settings: [{kv: most}]}\ntasks: [a]\n", `setting 1: unknown kv strategy "most"`},
		{"models:\n  - {spec: chance, settings: [{R: 4, q: 0.5}, {q: 0.5, R: 4}]}\ntasks: [a]\n", `model "chance": setting 2 repeats R=4,q=0.5`},
	}
	for _, tt := range tests {
		_, err := ParseConfig("s.yaml", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseConfig(%q) error = %v, want it to contain %q", tt.src, err, tt.want)
		}
	}
}
