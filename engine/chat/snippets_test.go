package chat

import (
	"encoding/json"
	"os"
	"testing"
)

// TestSnippetsMatchJinja2 renders small templates covering each supported
// Jinja feature and compares with Python's jinja2 (testdata/gen_snippets.py).
func TestSnippetsMatchJinja2(t *testing.T) {
	data, err := os.ReadFile("testdata/snippets.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vars  map[string]json.RawMessage `json:"vars"`
		Cases []struct {
			Template string  `json:"template"`
			Want     *string `json:"want"`
			Error    bool    `json:"error"`
			PyError  string  `json:"python_error"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{}
	for k, v := range f.Vars {
		vars[k] = v
	}
	for i, tc := range f.Cases {
		got, err := render(tc.Template, vars)
		switch {
		case tc.Error:
			if err == nil {
				t.Errorf("case %d %q: rendered %q, want an error like Python's %s", i, tc.Template, got, tc.PyError)
			}
		case err != nil:
			t.Errorf("case %d %q: %v", i, tc.Template, err)
		case got != *tc.Want:
			t.Errorf("case %d %q:\n got %q\nwant %q", i, tc.Template, got, *tc.Want)
		}
	}
}

func render(src string, vars map[string]any) (string, error) {
	tpl, err := Compile(src, "snippet")
	if err != nil {
		return "", err
	}
	return tpl.Execute(vars, fixedNow)
}
