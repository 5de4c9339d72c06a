package hub

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server serves one file at the hub URL layout, counting requests and body
// bytes sent. breakFirst makes the first full response die half way.
type server struct {
	content    []byte
	noRange    bool
	breakFirst bool
	requests   atomic.Int64
	sent       atomic.Int64
	ranges     []string
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := s.requests.Add(1)
	if r.URL.Path != "/datasets/org/set/resolve/abc123/data/test.jsonl" {
		http.NotFound(w, r)
		return
	}
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	if s.breakFirst && n == 1 {
		half := len(s.content) / 2
		w.Header().Set("Content-Length", strconv.Itoa(len(s.content)))
		w.WriteHeader(http.StatusOK)
		w.Write(s.content[:half])
		s.sent.Add(int64(half))
		// Abort the connection so the client sees an unexpected EOF.
		panic(http.ErrAbortHandler)
	}
	if s.noRange {
		r.Header.Del("Range")
	}
	cw := &countingWriter{ResponseWriter: w, n: &s.sent}
	http.ServeContent(cw, r, "test.jsonl", time.Time{}, bytes.NewReader(s.content))
}

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.ResponseWriter.Write(p)
}

func testFile(content []byte) File {
	h := sha256.Sum256(content)
	return File{Repo: "org/set", Revision: "abc123", Path: "data/test.jsonl", SHA256: hex.EncodeToString(h[:])}
}

func randomContent(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

func newClient(t *testing.T, srv *httptest.Server) *Client {
	return &Client{BaseURL: srv.URL, CacheDir: t.TempDir(), Backoff: time.Millisecond, Retries: 3}
}

func TestFetch(t *testing.T) {
	content := randomContent(1 << 20)
	tests := []struct {
		name        string
		noRange     bool
		breakFirst  bool
		prePart     int // bytes of a previous partial download
		wantSentMax int64
		wantReqs    int64
	}{
		{name: "fresh", wantSentMax: 1 << 20, wantReqs: 1},
		{name: "resume from .part", prePart: 700_000, wantSentMax: 1<<20 - 700_000, wantReqs: 1},
		{name: "broken transfer is resumed", breakFirst: true, wantSentMax: 1<<20 + 1024, wantReqs: 2},
		{name: "server without range support restarts", noRange: true, prePart: 1000, wantSentMax: 1 << 20, wantReqs: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{content: content, noRange: tc.noRange, breakFirst: tc.breakFirst}
			ts := httptest.NewServer(s)
			defer ts.Close()
			c := newClient(t, ts)
			f := testFile(content)
			if tc.prePart > 0 {
				if err := os.MkdirAll(strings.TrimSuffix(c.LocalPath(f), "test.jsonl"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(c.LocalPath(f)+".part", content[:tc.prePart], 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := c.Fetch(context.Background(), f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, content) {
				t.Fatalf("content differs (%d bytes vs %d)", len(got), len(content))
			}
			if s.sent.Load() > tc.wantSentMax {
				t.Errorf("server sent %d bytes, want ≤ %d (ranges %q)", s.sent.Load(), tc.wantSentMax, s.ranges)
			}
			if s.requests.Load() != tc.wantReqs {
				t.Errorf("requests = %d, want %d (ranges %q)", s.requests.Load(), tc.wantReqs, s.ranges)
			}
			if _, err := os.Stat(p + ".part"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf(".part left behind: %v", err)
			}
			// A second fetch is served from the cache.
			before := s.requests.Load()
			if _, err := c.Fetch(context.Background(), f); err != nil {
				t.Fatal(err)
			}
			if s.requests.Load() != before {
				t.Errorf("cached fetch made a request")
			}
		})
	}
}

func TestFetchErrors(t *testing.T) {
	content := randomContent(4096)
	s := &server{content: content}
	ts := httptest.NewServer(s)
	defer ts.Close()

	t.Run("checksum mismatch", func(t *testing.T) {
		c := newClient(t, ts)
		f := testFile(content)
		f.SHA256 = strings.Repeat("0", 64)
		_, err := c.Fetch(context.Background(), f)
		var ce *ChecksumError
		if !errors.As(err, &ce) {
			t.Fatalf("err = %v, want ChecksumError", err)
		}
		if !strings.Contains(err.Error(), "org/set@abc123:data/test.jsonl") {
			t.Errorf("error does not name the file: %v", err)
		}
		if _, err := os.Stat(c.LocalPath(f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("bad file was kept in the cache")
		}
	})
	t.Run("not found is not retried", func(t *testing.T) {
		c := newClient(t, ts)
		f := testFile(content)
		f.Path = "missing.jsonl"
		before := s.requests.Load()
		_, err := c.Fetch(context.Background(), f)
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("err = %v", err)
		}
		if n := s.requests.Load() - before; n != 1 {
			t.Errorf("requests = %d, want 1", n)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		c := newClient(t, ts)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := c.Fetch(ctx, testFile(content)); err == nil {
			t.Fatal("no error")
		}
	})
	for _, f := range []File{
		{Repo: "../etc", Path: "x"},
		{Repo: "a/b", Path: "../x"},
		{Repo: "a/b", Path: "/abs"},
		{Repo: "a/b", Path: "x", Revision: "a/b"},
		{Repo: "a/b", Path: "x", SHA256: "xyz"},
	} {
		c := newClient(t, ts)
		if _, err := c.Fetch(context.Background(), f); err == nil {
			t.Errorf("%+v: no validation error", f)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv("OUROEVAL_DATA", "/tmp/x")
	if d, _ := DefaultCacheDir(); d != "/tmp/x" {
		t.Errorf("got %q", d)
	}
}

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 10-99/100", 10, 100, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes x-1/2", 0, 0, false},
		{"items 1-2/3", 0, 0, false},
		{"", 0, 0, false},
	} {
		s, n, ok := parseContentRange(tc.in)
		if ok != tc.ok || (ok && (s != tc.start || n != tc.size)) {
			t.Errorf("%q: got %d %d %v", tc.in, s, n, ok)
		}
	}
}
