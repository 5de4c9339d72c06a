package tokenizer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ouroeval/ouroeval/internal/shareddata"
)

// findSharedDir returns ../shared/data/tokenizers relative to the module
// root, or an error saying why it is unavailable.
func findSharedDir() (string, error) {
	d, err := shareddata.Dir()
	if err != nil {
		return "", err
	}
	d = filepath.Join(d, "tokenizers")
	if _, err := os.Stat(d); err != nil {
		return "", err
	}
	return d, nil
}

// sharedDir returns the shared tokenizer data directory, skipping the test
// when it is absent (e.g. on a fresh clone).
func sharedDir(t testing.TB) string {
	t.Helper()
	d, err := findSharedDir()
	if err != nil {
		t.Skipf("shared tokenizer data (../shared/data/tokenizers) not available: %v", err)
	}
	return d
}

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Tokenizer{}
)

// sharedTokenizer loads ../shared/data/tokenizers/<name>/tokenizer.json once
// per test binary.
func sharedTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	path := filepath.Join(sharedDir(t), name, "tokenizer.json")
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if tk, ok := loaded[path]; ok {
		return tk
	}
	tk, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	loaded[path] = tk
	return tk
}

// vocabTest is one llama.cpp vocabulary test case.
type vocabTest struct {
	input string
	want  []int
}

func readVocabTests(t testing.TB, stem string) []vocabTest {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "llama.cpp-vocab-tests")
	inp, err := os.ReadFile(filepath.Join(dir, stem+".gguf.inp"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.ReadFile(filepath.Join(dir, stem+".gguf.out"))
	if err != nil {
		t.Fatal(err)
	}
	inputs := strings.Split(string(inp), "\n__ggml_vocab_test__\n")
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(inputs) > 0 && inputs[len(inputs)-1] == "" {
		inputs = inputs[:len(inputs)-1]
	}
	if len(inputs) != len(lines) {
		t.Fatalf("%s: %d inputs but %d expected-id lines", stem, len(inputs), len(lines))
	}
	tests := make([]vocabTest, len(inputs))
	for i, in := range inputs {
		var ids []int
		for _, f := range strings.Fields(lines[i]) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s.out line %d: %v", stem, i+1, err)
			}
			ids = append(ids, id)
		}
		tests[i] = vocabTest{in, ids}
	}
	return tests
}

// readIDLines reads a file of space-separated ids, one line per input.
func readIDLines(t testing.TB, path string) [][]int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var res [][]int
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		ids := []int{}
		for _, f := range strings.Fields(line) {
			id, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s line %d: %v", path, i+1, err)
			}
			ids = append(ids, id)
		}
		res = append(res, ids)
	}
	return res
}
