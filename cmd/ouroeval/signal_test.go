package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/harness"
)

// TestMain lets tests run the real command as a child process: with
// OUROEVAL_TEST_MAIN=1 the test binary is ouroeval.
func TestMain(m *testing.M) {
	if os.Getenv("OUROEVAL_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSIGINT sends a real SIGINT to a running ouroeval: it must finish the
// requests in flight, record the run as interrupted and exit 130; running
// the same command again resumes from the cache and completes.
func TestSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	args := []string{"run", "--model", "chance", "--tasks", "procedural", "--out", filepath.Join(dir, "run"),
		"--cache", filepath.Join(dir, "cache"), "--progress", "none", "--bootstrap", "10"}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "OUROEVAL_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the run is under way (run.json is written after planning;
	// allow for a heavily loaded machine).
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "run", "run.json")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the run did not start within 3 minutes; stderr:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err == nil {
		t.Skip("the run finished before SIGINT arrived; nothing to test on this machine")
	}
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want code %d; stderr:\n%s", err, exitInterrupted, stderr.String())
	}
	var info harness.RunInfo
	data, _ := os.ReadFile(filepath.Join(dir, "run", "run.json"))
	if err := json.Unmarshal(data, &info); err != nil || info.Status != "interrupted" {
		t.Fatalf("run.json status %q (%v), want interrupted", info.Status, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "run", "metrics.json")); err == nil {
		t.Error("an interrupted run wrote metrics.json")
	}
	// Resume (with fewer documents to keep the test short).
	cmd = exec.Command(os.Args[0], append(args, "--limit", "300")...)
	cmd.Env = append(os.Environ(), "OUROEVAL_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "run", "run.json"))
	info = harness.RunInfo{}
	json.Unmarshal(data, &info)
	if info.Status != "complete" || info.CacheHits == 0 {
		t.Errorf("resumed run: status %q, %d cache hits; want complete with hits", info.Status, info.CacheHits)
	}
}
