// Package shareddata locates the benchmark data and tokenizers that live
// beside the repository on development machines (../shared/data relative to
// the module root) for tests that read them. The data is never copied into
// the repository; on a fresh clone it is absent and those tests skip.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// ErrAbsent reports that the shared data directory does not exist here.
var ErrAbsent = errors.New("shared data not available (only present on the development machine)")

// Dir returns the shared data directory (../shared/data relative to the
// module root found by walking up from the working directory).
func Dir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("go.mod not found above the working directory: %w", ErrAbsent)
		}
		dir = parent
	}
	data := filepath.Join(filepath.Dir(dir), "shared", "data")
	if st, err := os.Stat(data); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s: %w", data, ErrAbsent)
	}
	return data, nil
}

// Path returns Dir joined with elem, or skips t with a message naming what
// is missing when the directory or the file is absent.
func Path(t testing.TB, elem ...string) string {
	t.Helper()
	dir, err := Dir()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	p := filepath.Join(append([]string{dir}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("skipping: %s is absent from the shared data", p)
	}
	return p
}
