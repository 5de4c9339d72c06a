package configs_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ouroeval/ouroeval/configs"
	"github.com/ouroeval/ouroeval/harness"
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
