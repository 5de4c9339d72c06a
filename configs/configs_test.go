package configs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/backends/engine"
	"github.com/ouroeval/ouroeval/configs"
	"github.com/ouroeval/ouroeval/harness"
	"github.com/ouroeval/ouroeval/models"
)

func TestDefaultEmbedded(t *testing.T) {
	disk, err := os.ReadFile("default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, configs.Default) || len(configs.Default) == 0 {
		t.Error("embedded Default differs from default.yaml")
	}
}

// TestSweepConfigsParse checks every sweep config in this directory.
func TestSweepConfigsParse(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	if len(files) == 0 {
		t.Fatal("no sweep configs")
	}
	for _, f := range files {
		if _, err := harness.LoadConfig(f); err != nil {
			t.Errorf("%v", err)
		}
	}
}

// TestEmbeddedSpecsShipped checks that every engine:embedded:NAME spec of
// the configs here names a checkpoint the binary embeds, and that the
// default sweep evaluates every shipped model and the chance floor.
func TestEmbeddedSpecsShipped(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	for _, f := range files {
		c, err := harness.LoadConfig(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range c.Models {
			sp, err := backends.ParseSpec(m.Spec)
			if err != nil {
				t.Fatal(err)
			}
			if name, ok := strings.CutPrefix(sp.Target, engine.EmbeddedPrefix); ok && sp.Scheme == "engine" {
				if _, err := models.Lookup(name); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
		}
	}
	c, err := harness.ParseConfig(configs.DefaultName, configs.Default)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"engine:embedded:khop-looped-l2r4", "engine:embedded:khop-dense-l2", "engine:embedded:khop-dense-l8", "chance"}
	var got []string
	for _, m := range c.Models {
		got = append(got, m.Spec)
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("default models %v, want %v", got, want)
	}
	if n := len(c.Models[0].Settings); n != 6 {
		t.Errorf("default: looped model has %d settings, want 6 (R = 1..4, q = 0.5 and 0.9 at R = 4)", n)
	}
}
