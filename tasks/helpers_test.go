package tasks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles creates files (slash paths relative to dir) with content.
func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// loadUser loads a catalog with one user dir holding files.
func loadUser(t testing.TB, files map[string]string) (*Catalog, string, error) {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	c, err := loadCatalog(false, dir)
	return c, dir, err
}

// mustDataset loads task name from a user dir holding files.
func mustDataset(t testing.TB, files map[string]string, name string, opt LoadOptions) *Dataset {
	t.Helper()
	c, _, err := loadUser(t, files)
	if err != nil {
		t.Fatal(err)
	}
	task, ok := c.Task(name)
	if !ok {
		t.Fatalf("task %s not in catalog", name)
	}
	d, err := task.Load(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// jsonl builds a JSON Lines file from lines.
func jsonl(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want error containing %q, got nil", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
