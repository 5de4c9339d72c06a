package harness

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/harness/cache"
)

const killDocs = 150

func killConfig() *Config {
	cfg := sweep([]string{"slow:k"}, []string{"add"}, 8)
	cfg.R = []int{1, 2}
	return cfg
}

// TestKillChild is the child process of TestKillResume.
func TestKillChild(t *testing.T) {
	dir := os.Getenv("OUROEVAL_KILL_CHILD")
	if dir == "" {
		t.Skip("helper process for TestKillResume")
	}
	env := fakeEnv(killDocs, map[string]*slowBackend{"k": newSlow("k", 4*time.Millisecond)})
	if _, err := Run(context.Background(), killConfig(), env, Options{Out: filepath.Join(dir, "child"), CacheDir: filepath.Join(dir, "cache")}); err != nil {
		t.Fatal(err)
	}
}

// TestKillResume SIGKILLs a real child process at random points of a run,
// several times, then resumes: nothing that was durable is recomputed, the
// cache is never corrupt, and the results equal an uninterrupted run.
func TestKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns child processes")
	}
	dir := t.TempDir()
	cacheDir := filepath.Join(dir, "cache")
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 0))
	t.Logf("kill schedule seed %d", seed)
	durable := 0
	for round := 0; round < 4; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "OUROEVAL_KILL_CHILD="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(20+rng.IntN(250)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		werr := cmd.Wait()
		if werr != nil && !isKilled(werr) {
			t.Fatalf("round %d: child failed: %v\n%s", round, werr, stderr.String())
		}
		c, err := cache.Open(cacheDir)
		if err != nil {
			t.Fatalf("round %d: reopening the cache after SIGKILL: %v", round, err)
		}
		n := c.Len()
		t.Logf("round %d: killed after %v (killed=%v): %d durable responses, stats %+v", round, delay, isKilled(werr), n, c.Stats())
		c.Close()
		if n < durable {
			t.Fatalf("round %d: durable responses went from %d to %d", round, durable, n)
		}
		durable = n
	}
	total := int64(killDocs * (1 + 4) * 2) // (1 generate + 4 choices) × 2 settings
	b := newSlow("k", 0)
	res, err := Run(context.Background(), killConfig(), fakeEnv(killDocs, map[string]*slowBackend{"k": b}), Options{Out: filepath.Join(dir, "resumed"), CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if res.CacheHits != int64(durable) || res.Requests != total-int64(durable) || b.calls.Load() != res.Requests {
		t.Errorf("resume: %d cache hits and %d backend calls (backend saw %d); want %d and %d", res.CacheHits, res.Requests, b.calls.Load(), durable, total-int64(durable))
	}
	ref, err := Run(context.Background(), killConfig(), fakeEnv(killDocs, map[string]*slowBackend{"k": newSlow("k", 0)}), Options{Out: filepath.Join(dir, "reference"), CacheDir: filepath.Join(dir, "refcache")})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Requests != total {
		t.Fatalf("reference made %d requests, want %d", ref.Requests, total)
	}
	for _, f := range []string{"metrics.json"} {
		a, _ := os.ReadFile(filepath.Join(dir, "resumed", f))
		b, _ := os.ReadFile(filepath.Join(dir, "reference", f))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s differs between the resumed and the uninterrupted run", f)
		}
	}
	for _, task := range []string{"add_gen", "add_mc"} {
		a := readRecords(t, filepath.Join(dir, "resumed", "samples", "slow_k", task+".jsonl"))
		b := readRecords(t, filepath.Join(dir, "reference", "samples", "slow_k", task+".jsonl"))
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s records differ between the resumed and the uninterrupted run", task)
		}
	}
}

func isKilled(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
