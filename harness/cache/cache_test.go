package cache

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

func key(i int) Key { return KeyOf([]byte("k"), []byte(strconv.Itoa(i))) }
func val(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("v%d;", i)), i%7+1)
}

func TestPutGetReopen(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 300; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Put(key(i), val(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	for i := 0; i < 300; i++ {
		if v, ok := c.Get(key(i)); !ok || !bytes.Equal(v, val(i)) {
			t.Fatalf("Get(%d) = %q, %v", i, v, ok)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(key(1), nil); err == nil {
		t.Error("Put after Close succeeded")
	}
	c2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.Len() != 300 {
		t.Fatalf("reopened cache has %d keys, want 300", c2.Len())
	}
	// A second writer gets its own segment.
	if err := c2.Put(key(1000), val(1000)); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if len(segs) != 2 {
		t.Errorf("%d segments, want 2", len(segs))
	}
}

// TestTornTail truncates a segment at every byte offset and flips every
// byte: the reader must keep exactly the records before the damage and
// never fail.
func TestTornTail(t *testing.T) {
	var buf []byte
	var ends []int
	for i := 0; i < 4; i++ {
		buf = AppendRecord(buf, key(i), val(i))
		ends = append(ends, len(buf))
	}
	complete := func(n int) int {
		c := 0
		for _, e := range ends {
			if e <= n {
				c++
			}
		}
		return c
	}
	for cut := 0; cut <= len(buf); cut++ {
		got := 0
		n, torn, err := ReadRecords(bytes.NewReader(buf[:cut]), func(k Key, v []byte) {
			if k != key(got) || !bytes.Equal(v, val(got)) {
				t.Fatalf("cut %d: record %d mismatched", cut, got)
			}
			got++
		})
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if n != complete(cut) {
			t.Errorf("cut %d: %d records, want %d", cut, n, complete(cut))
		}
		if wantTorn := cut != 0 && complete(cut) != 0 && ends[complete(cut)-1] != cut || cut > 0 && complete(cut) == 0; torn != wantTorn {
			t.Errorf("cut %d: torn = %v, want %v", cut, torn, wantTorn)
		}
	}
	for i := range buf {
		bad := append([]byte(nil), buf...)
		bad[i] ^= 0x40
		n, _, err := ReadRecords(bytes.NewReader(bad), func(Key, []byte) {})
		if err != nil {
			t.Fatal(err)
		}
		// The damaged record and everything after it are dropped.
		want := 0
		for _, e := range ends {
			if e <= i {
				want++
			}
		}
		if n != want {
			t.Errorf("flip at %d: %d records, want %d", i, n, want)
		}
	}
}

func TestOpenDropsTornSegment(t *testing.T) {
	dir := t.TempDir()
	c, _ := Open(dir)
	for i := 0; i < 10; i++ {
		if err := c.Put(key(i), val(i)); err != nil {
			t.Fatal(err)
		}
	}
	name := c.seg.Name()
	c.Close()
	fi, _ := os.Stat(name)
	if err := os.Truncate(name, fi.Size()-3); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if s := c2.Stats(); c2.Len() != 9 || s.Dropped != 1 {
		t.Errorf("after torn tail: %d keys, stats %+v; want 9 keys, 1 dropped", c2.Len(), s)
	}
}

// TestMultiProcess runs writer processes concurrently on one directory.
func TestMultiProcess(t *testing.T) {
	if os.Getenv("CACHE_CHILD_DIR") != "" {
		return
	}
	dir := t.TempDir()
	const procs, per = 3, 200
	var cmds []*exec.Cmd
	for p := 0; p < procs; p++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$")
		cmd.Env = append(os.Environ(), "CACHE_CHILD_DIR="+dir, fmt.Sprintf("CACHE_CHILD_BASE=%d", p*per), fmt.Sprintf("CACHE_CHILD_N=%d", per))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Every child also wrote the shared key 0 with the same value.
	if c.Len() != procs*per {
		t.Fatalf("%d keys, want %d", c.Len(), procs*per)
	}
	for i := 0; i < procs*per; i++ {
		if v, ok := c.Get(key(i)); !ok || !bytes.Equal(v, val(i)) {
			t.Fatalf("key %d: %q %v", i, v, ok)
		}
	}
}

func TestChildWriter(t *testing.T) {
	dir := os.Getenv("CACHE_CHILD_DIR")
	if dir == "" {
		t.Skip("helper process for TestMultiProcess")
	}
	base, _ := strconv.Atoi(os.Getenv("CACHE_CHILD_BASE"))
	n, _ := strconv.Atoi(os.Getenv("CACHE_CHILD_N"))
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := base; i < base+n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Put(key(i), val(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if err := c.Put(key(0), val(0)); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add([]byte{})
	f.Add(AppendRecord(nil, key(1), val(1)))
	f.Add(AppendRecord(AppendRecord(nil, key(1), nil), key(2), val(2))[:50])
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		n, _, err := ReadRecords(bytes.NewReader(data), func(Key, []byte) {})
		if err != nil {
			t.Fatal(err)
		}
		// Re-encoding what was read reproduces a prefix of the input.
		var out []byte
		ReadRecords(bytes.NewReader(data), func(k Key, v []byte) { out = AppendRecord(out, k, v) })
		if !bytes.HasPrefix(data, out) {
			t.Fatalf("re-encoded %d records are not a prefix of the input", n)
		}
	})
}
