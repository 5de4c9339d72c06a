package harness

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLinesProgress(t *testing.T) {
	var buf syncBuffer
	p := NewLines(&buf, 10*time.Millisecond)
	j := p.Job("chance mano seed=0", 10)
	j.Add(4, math.NaN())
	j.Add(4, 0.5)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "2/10 docs") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	j.Done()
	p.Wait()
	out := buf.String()
	for _, want := range []string{"progress: chance mano seed=0 2/10 docs", "req/s", "ETA", "score 0.5000"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress output lacks %q:\n%s", want, out)
		}
	}
	// Finished jobs are not reported again.
	n := strings.Count(buf.String(), "\n")
	time.Sleep(30 * time.Millisecond)
	if strings.Count(buf.String(), "\n") != n {
		t.Error("progress lines kept coming after Wait")
	}
}

// TestBarsProgress checks that bars finish cleanly, including a bar
// abandoned before completion (an interrupted job). What mpb draws is only
// visible on a terminal.
func TestBarsProgress(t *testing.T) {
	var buf syncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		p := NewBars(context.Background(), &buf)
		a := p.Job("a", 3)
		b := p.Job("b", 5)
		for i := 0; i < 3; i++ {
			a.Add(1, 0.25)
		}
		b.Add(2, 1)
		a.Done()
		b.Done()
		p.Wait()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("bars did not finish")
	}
}
