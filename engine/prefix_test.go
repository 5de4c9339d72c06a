package engine

import (
	"context"
	"testing"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// TestPrefixCache: the choices of one question share the context's KV,
// and the scores are bit-identical with and without the cache, in any
// order.
func TestPrefixCache(t *testing.T) {
	dir := writeSpec(t, enginetest.Tiny("ouro", safetensors.BF16))
	ctx := context.Background()
	cached := load(t, dir)
	plain, err := Load(ctx, dir, LoadOptions{Workers: 2, KernelPath: "generic", PrefixCacheBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	c := testIDs[:6]
	choices := [][]int{{9}, {11, 12}, {13, 14, 15}, {9}}
	q := 0.5
	for pass := range 2 {
		for i, cont := range choices {
			o := ScoreOptions{R: 3 + pass, Q: &q}
			a, err := cached.LogLikelihoodIDs(ctx, c, cont, o)
			if err != nil {
				t.Fatal(err)
			}
			b, err := plain.LogLikelihoodIDs(ctx, c, cont, o)
			if err != nil {
				t.Fatal(err)
			}
			if a.LogProb != b.LogProb || a.IsGreedy != b.IsGreedy || len(a.PerDepth) != len(b.PerDepth) {
				t.Fatalf("pass %d choice %d: cached %+v, plain %+v", pass, i, a, b)
			}
			for d := range a.PerDepth {
				if a.PerDepth[d] != b.PerDepth[d] {
					t.Fatalf("depth %d: %+v vs %+v", d+1, a.PerDepth[d], b.PerDepth[d])
				}
			}
		}
	}
	hits, misses := cached.PrefixCacheStats()
	if misses != 2 || hits != 6 {
		t.Errorf("hits %d misses %d, want 6 and 2 (one miss per R)", hits, misses)
	}
	// The cached context is not modified by the continuations appended to
	// its forks: scoring the first choice again gives the same answer.
	a, _ := cached.LogLikelihoodIDs(ctx, c, choices[0], ScoreOptions{R: 3})
	b, _ := plain.LogLikelihoodIDs(ctx, c, choices[0], ScoreOptions{R: 3})
	if a.LogProb != b.LogProb {
		t.Errorf("after forks: %v vs %v", a.LogProb, b.LogProb)
	}
}
