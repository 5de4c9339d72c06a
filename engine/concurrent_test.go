package engine

import (
	"context"
	"sync"
	"testing"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// TestConcurrentUse: one Model serves many goroutines at once with the same
// answers as serially (run with -race to check the shared kernels, pool
// scratch and prefix cache).
func TestConcurrentUse(t *testing.T) {
	m := load(t, writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16)))
	ctx := context.Background()
	want, err := m.LogLikelihoodIDs(ctx, testIDs[:5], testIDs[5:], ScoreOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantGen, _ := m.Generate(ctx, testIDs[:3], GenerateOptions{MaxTokens: 4, Seed: 1, Sampling: Sampling{Temperature: 1}})
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for range 3 {
				if g%2 == 0 {
					s, err := m.LogLikelihoodIDs(ctx, testIDs[:5], testIDs[5:], ScoreOptions{})
					if err != nil || s.LogProb != want.LogProb {
						t.Errorf("goroutine %d: %v %v, want %v", g, s, err, want.LogProb)
					}
				} else {
					gen, err := m.Generate(ctx, testIDs[:3], GenerateOptions{MaxTokens: 4, Seed: 1, Sampling: Sampling{Temperature: 1}})
					if err != nil || !equalInts(gen.IDs, wantGen.IDs) {
						t.Errorf("goroutine %d: %v %v, want %v", g, gen, err, wantGen.IDs)
					}
				}
			}
		})
	}
	wg.Wait()
}

// TestRoPETableGrowth: the shared cos/sin table grows while sequences of
// different lengths run concurrently; results equal a fresh model's.
func TestRoPETableGrowth(t *testing.T) {
	s := enginetest.Tiny("llama", safetensors.F32)
	s.MaxPos = 1000
	dir := writeSpec(t, s)
	ids := make([]int, 600)
	for i := range ids {
		ids[i] = (i*31 + 7) % s.Vocab
	}
	ref := load(t, dir)
	want, err := ref.Trace(context.Background(), ids, 1)
	if err != nil {
		t.Fatal(err)
	}
	m := load(t, dir)
	var wg sync.WaitGroup
	for _, n := range []int{10, 300, 600, 200} {
		wg.Go(func() {
			tr, err := m.Trace(context.Background(), ids[:n], 1)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range n {
				if tr.Steps[0].LogProbs[i][ids[(i+1)%len(ids)]] != want.Steps[0].LogProbs[i][ids[(i+1)%len(ids)]] {
					t.Errorf("n=%d pos %d differs", n, i)
					return
				}
			}
		})
	}
	wg.Wait()
}
