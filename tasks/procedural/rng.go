package procedural

import (
	"fmt"
	"sort"
	"strings"
)

// rng is splitmix64: tiny, fast, and fixed forever (math/rand's streams
// may change between Go releases; generated datasets must not).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// intn returns a uniform integer in [0, n), n > 0 (rejection sampling, no
// modulo bias).
func (r *rng) intn(n int) int {
	if n <= 0 {
		panic("procedural: intn of non-positive bound")
	}
	un := uint64(n)
	limit := ^uint64(0) - (^uint64(0) % un)
	for {
		v := r.next()
		if v < limit {
			return int(v % un)
		}
	}
}

// mix hashes a sequence of words into one seed (splitmix64 finaliser over
// a running state), so rngs for (seed, split, i, attempt) are independent.
func mix(words ...uint64) uint64 {
	h := uint64(0x6a09e667f3bcc908)
	for _, w := range words {
		h ^= w + 0x9e3779b97f4a7c15 + (h << 6) + (h >> 2)
		r := rng{h}
		h = r.next()
	}
	return h
}

// strHash is FNV-1a 64 followed by a splitmix finaliser: the canonical hash
// of a problem's text, independent of any seed.
func strHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	r := rng{h}
	return r.next()
}

func splitID(split string) uint64 { return strHash("split:" + split) }

// testShare is the fraction (per mille) of the problem space assigned to
// the test split by canonical hash.
const defaultTestPerMille = 100

// isTestProblem decides a problem's split from its canonical text alone:
// the same problem is in the same split for every seed, so train and test
// are disjoint by construction.
func isTestProblem(canonical string, perMille int) bool {
	return int(strHash("problem:"+canonical)%1000) < perMille
}

// maxAttempts bounds rejection sampling of a document of the wanted split.
const maxAttempts = 100000

// kwargs helpers ------------------------------------------------------------

func checkKwargs(gen string, kwargs map[string]any, valid ...string) error {
	var bad []string
	for k := range kwargs {
		ok := false
		for _, v := range valid {
			if k == v {
				ok = true
			}
		}
		if !ok {
			bad = append(bad, k)
		}
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		sort.Strings(valid)
		return fmt.Errorf("%s: unknown dataset_kwargs %s (valid: %s, plus seed and <split>_size)", gen, strings.Join(bad, ", "), strings.Join(valid, ", "))
	}
	return nil
}

func kwInt(gen string, kwargs map[string]any, key string, def, lo, hi int) (int, error) {
	v, ok := kwargs[key]
	if !ok {
		return def, nil
	}
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case float64:
		if x != float64(int(x)) {
			return 0, fmt.Errorf("%s: %s must be an integer, got %v", gen, key, v)
		}
		n = int(x)
	default:
		return 0, fmt.Errorf("%s: %s must be an integer, got %v", gen, key, v)
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("%s: %s must be in [%d, %d], got %d", gen, key, lo, hi, n)
	}
	return n, nil
}

func checkSplit(gen string, split string, splits []string, i int) error {
	if i < 0 {
		return fmt.Errorf("%s: negative document index %d", gen, i)
	}
	for _, s := range splits {
		if s == split {
			return nil
		}
	}
	return fmt.Errorf("%s: unknown split %q (splits: %s)", gen, split, strings.Join(splits, ", "))
}
