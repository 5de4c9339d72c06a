package engine

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
	"unsafe"

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

// mapped reports whether addr lies in one of the process's mappings.
func mapped(t *testing.T, addr uintptr) bool {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		f := bytes.Fields(line)
		if len(f) == 0 {
			continue
		}
		lo, hi, ok := bytes.Cut(f[0], []byte("-"))
		if !ok {
			continue
		}
		l, err1 := strconv.ParseUint(string(lo), 16, 64)
		h, err2 := strconv.ParseUint(string(hi), 16, 64)
		if err1 == nil && err2 == nil && uint64(addr) >= l && uint64(addr) < h {
			return true
		}
	}
	return false
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
	before := rssAnon(t)
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
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(seq.slots[0].mem.b)))
	if !mapped(t, addr) {
		t.Fatalf("slot memory at %#x is not in /proc/self/maps", addr)
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
	runtime.KeepAlive(seq)
	seq = nil
	deadline := time.Now().Add(5 * time.Second)
	for mapped(t, addr) {
		if time.Now().After(deadline) {
			t.Fatalf("slot memory at %#x is still mapped after its sequence became unreachable", addr)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
