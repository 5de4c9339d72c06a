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
