package shareddata

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDirOutsideModule(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, err := Dir(); !errors.Is(err, ErrAbsent) {
		t.Fatalf("Dir() outside a module: err = %v, want ErrAbsent", err)
	}
}

func TestDirBesideModule(t *testing.T) {
	root := t.TempDir()
	mod := filepath.Join(root, "repo")
	data := filepath.Join(root, "shared", "data")
	for _, d := range []string{filepath.Join(mod, "pkg"), data} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(filepath.Join(mod, "pkg")); err != nil {
		t.Fatal(err)
	}
	got, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(data); got != data && got != want {
		t.Errorf("Dir() = %q, want %q", got, data)
	}
}
