package configs

import (
	"bytes"
	"os"
	"testing"
)

func TestDefaultEmbedded(t *testing.T) {
	disk, err := os.ReadFile("default.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(disk, Default) || len(Default) == 0 {
		t.Error("embedded Default differs from default.yaml")
	}
}
