package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestDataPullAndVerify(t *testing.T) {
	content := []byte(`{"q": "1+1", "a": "2"}` + "\n" + `{"q": "2+2", "a": "4"}` + "\n")
	sum := sha256.Sum256(content)
	hexSum := hex.EncodeToString(sum[:])
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/datasets/org/arith/resolve/abc123/data/test.jsonl":
			http.ServeContent(w, r, "test.jsonl", time.Time{}, bytes.NewReader(content))
		case "/datasets/org/arith/resolve/abc123/data/bad.jsonl":
			w.Write([]byte("not the declared bytes\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	tasksDir := t.TempDir()
	task := `task: arith
dataset_path: jsonl
data_files: {test: arith/test.jsonl}
test_split: test
output_type: generate_until
doc_to_text: "Q: {{q}}\nA:"
doc_to_target: "{{a}}"
metadata:
  version: 1.0
  source: {dataset: org/arith, splits: {test: test}}
  files:
    - {path: arith/test.jsonl, sha256: ` + hexSum + `, rows: 2, hub: {repo: org/arith, revision: abc123, path: data/test.jsonl}}
`
	if err := os.WriteFile(filepath.Join(tasksDir, "arith.yaml"), []byte(task), 0o644); err != nil {
		t.Fatal(err)
	}
	dataDir := t.TempDir()
	run := func(args ...string) (string, error) {
		var out, errb bytes.Buffer
		err := dataCmd(context.Background(), append(args, "--tasks-dir", tasksDir, "--data-dir", dataDir, "--hub", srv.URL), &out, &errb)
		return out.String() + errb.String(), err
	}
	if out, err := run("verify", "arith"); err == nil || !strings.Contains(err.Error(), "arith/test.jsonl (arith): missing") {
		t.Fatalf("verify before pull: %v\n%s", err, out)
	}
	if out, err := run("pull", "arith"); err != nil || !strings.Contains(out, "pulled   arith/test.jsonl") {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	got, err := os.ReadFile(filepath.Join(dataDir, "arith", "test.jsonl"))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("pulled file %q, %v", got, err)
	}
	n := requests.Load()
	if out, err := run("pull", "arith"); err != nil || !strings.Contains(out, "ok       arith/test.jsonl") || requests.Load() != n {
		t.Fatalf("second pull: %v (requests %d -> %d)\n%s", err, n, requests.Load(), out)
	}
	if out, err := run("verify", "arith"); err != nil {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// The pulled file loads as the task's data.
	var o, e bytes.Buffer
	if err := tasksCmd(context.Background(), []string{"show", "arith", "--tasks-dir", tasksDir, "--data-dir", dataDir, "--doc", "1"}, &o, &e); err != nil || !strings.Contains(o.String(), "Q: 2+2\nA:") {
		t.Fatalf("tasks show on pulled data: %v\n%s%s", err, o.String(), e.String())
	}
	// A corrupted local copy is reported, then replaced by pull.
	os.WriteFile(filepath.Join(dataDir, "arith", "test.jsonl"), []byte("x"), 0o644)
	if _, err := run("verify", "arith"); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("verify corrupted: %v", err)
	}
	if out, err := run("pull", "arith"); err != nil {
		t.Fatalf("re-pull: %v\n%s", err, out)
	}
	// A server sending other bytes fails the checksum, naming the file.
	bad := strings.Replace(task, "data/test.jsonl", "data/bad.jsonl", 1)
	bad = strings.Replace(bad, "arith/test.jsonl", "arith/bad.jsonl", 2)
	os.WriteFile(filepath.Join(tasksDir, "arith.yaml"), []byte(bad), 0o644)
	if out, err := run("pull", "arith"); err == nil || !strings.Contains(err.Error(), "arith/bad.jsonl") || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Fatalf("bad download: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "arith", "bad.jsonl")); err == nil {
		t.Error("a file failing its checksum was placed in the data dir")
	}
}
