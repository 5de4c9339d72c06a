package engine

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// rssAnon returns the process's RssAnon in bytes (Linux).
func rssAnon(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if f := bytes.Fields(line); len(f) == 3 && string(f[0]) == "RssAnon:" {
			kb, err := strconv.ParseInt(string(f[1]), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no RssAnon in /proc/self/status")
	return 0
}

// mappings counts the process's memory mappings.
func mappings(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestKVReserveLazy: a reservation far larger than what is written costs
// address space, not resident memory; the cache works in it (same
// hidden states as a sequence without reservation); and the mappings are
// released once the sequence is unreachable.
func TestKVReserveLazy(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16)))
	ctx := context.Background()
	ids := []int{3, 4, 5, 6, 7, 8}
	plain, err := m.NewSequence(0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.Forward(ctx, ids, false)
	if err != nil {
		t.Fatal(err)
	}
	before, maps0 := rssAnon(t), mappings(t)
	seq, err := m.NewSequence(0)
	if err != nil {
		t.Fatal(err)
	}
	const positions = 1 << 16
	seq.Reserve(positions)
	D := m.ck.Config.NumKeyValueHeads * m.ck.Config.HeadDim
	reserved := int64(len(seq.slots)) * 2 * positions * int64(D) * 4
	if seq.slots[0].mem == nil {
		t.Fatal("Reserve did not map lazily committed memory")
	}
	got, err := seq.Forward(ctx, ids, false)
	if err != nil {
		t.Fatal(err)
	}
	last := len(want.Hidden) - 1
	for i, v := range want.Hidden[last] {
		if g := got.Hidden[last][i]; g != v {
			t.Fatalf("hidden[%d] with a reserved cache %v, without %v", i, g, v)
		}
	}
	if grew := rssAnon(t) - before; grew > reserved/8 {
		t.Errorf("RssAnon grew by %d bytes for a %d-byte reservation of which %d positions were written", grew, reserved, len(ids))
	}
	if mappings(t) <= maps0 {
		t.Errorf("no new mappings after Reserve")
	}
	runtime.KeepAlive(seq)
	seq = nil
	deadline := time.Now().Add(5 * time.Second)
	for mappings(t) > maps0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d mappings remain after the sequence became unreachable, want ≤ %d", mappings(t), maps0)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
