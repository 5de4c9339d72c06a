package main

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
)

func TestProcStatus(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status on this system")
	}
	rss, err := procStatus("VmRSS")
	if err != nil || rss < 1<<20 {
		t.Errorf("VmRSS = %v, %v; want at least 1 MiB", rss, err)
	}
	if _, err := procStatus("NoSuchField"); err == nil || !strings.Contains(err.Error(), "NoSuchField") {
		t.Errorf("unknown field: err %v", err)
	}
}

func TestBenchMemoryFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--shape", "llama-7b"}, "unknown --shape"},
		{[]string{"--tokens", "0"}, "must be ≥ 1"},
		{[]string{"--layers", "-1"}, "--layers ≥ 0"},
		{[]string{"--tokens", "70000"}, "exceeds max_position_embeddings"},
		{[]string{"extra"}, "takes no arguments"},
	} {
		err := benchMemory(context.Background(), c.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.args, err, c.want)
		}
	}
}
