package procedural

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"strings"
)

// KHop generates k-hop lookup over an in-context function table, the task
// the shipped micro models are trained on ("khop").
//
// Each document draws a random single N-cycle f over the symbols 0..N-1
// (so f^k(x) != x for 0 < k < N; with N >= 2K+1 no k-hop answer is also a
// shorter backward walk). The sequence is
//
//	<bos> P(x1,f(x1)) ... P(xN,f(xN)) <sep> Q(y1,k1) ... Q(yQ,kQ)
//
// where every table entry P(x, f(x)) and every query Q(y, k) is a single
// token, the entries come in random order, and the answer to query Q(y, k)
// is the symbol f^k(y). Answers are not part of the sequence: a model reads
// the query token and predicts the answer as its next token, so every query
// position is supervised.
//
// Train and test are disjoint by construction: the cycle of a document is
// accepted for a split only if a canonical hash of the function f falls in
// that split's half of the hash space, so no table seen in training ever
// appears in a test document.
type KHop struct {
	// N is the number of symbols (the cycle length), 2..32.
	N int
	// K is the largest hop count, 1..N-1.
	K int
	// Q is the number of queries per document, >= 1.
	Q int
}

// NewKHop returns the built-in khop generator: 8 symbols, 1..4 hops, 16
// queries per document. On an 8-cycle f^4 = f^-4 is the farthest symbol
// (4 hops either way), so difficulty rises monotonically with the hop
// count; the micro models are trained on exactly this configuration
// (training/README.md explains the choice over 13 symbols).
func NewKHop() KHop { return KHop{N: 8, K: 4, Q: 16} }

// Name implements Generator.
func (g KHop) Name() string { return "khop" }

// Description implements Generator.
func (g KHop) Description() string {
	return fmt.Sprintf("k-hop lookup over an in-context function table (%d-cycle, 1..%d hops, %d queries/doc, one token per entry)", g.N, g.K, g.Q)
}

// Splits implements Generator.
func (g KHop) Splits() []string { return []string{"train", "test"} }

// Vocabulary returns every task symbol, in a fixed order: <bos>, <sep>, the
// N answer symbols <sX>, the N*N table entries <pX_Y> (row-major) and the
// N*K queries <qX_K> (row-major). Tokenizers for the micro models add
// exactly these tokens.
func (g KHop) Vocabulary() []string {
	v := []string{"<bos>", "<sep>"}
	for x := 0; x < g.N; x++ {
		v = append(v, symTok(x))
	}
	for x := 0; x < g.N; x++ {
		for y := 0; y < g.N; y++ {
			v = append(v, pairTok(x, y))
		}
	}
	for x := 0; x < g.N; x++ {
		for k := 1; k <= g.K; k++ {
			v = append(v, queryTok(x, k))
		}
	}
	return v
}

func symTok(x int) string      { return fmt.Sprintf("<s%d>", x) }
func pairTok(x, y int) string  { return fmt.Sprintf("<p%d_%d>", x, y) }
func queryTok(x, k int) string { return fmt.Sprintf("<q%d_%d>", x, k) }

func (g KHop) validate() error {
	switch {
	case g.N < 2 || g.N > 32:
		return fmt.Errorf("khop: N = %d, want 2..32", g.N)
	case g.K < 1 || g.K >= g.N:
		return fmt.Errorf("khop: K = %d, want 1..%d", g.K, g.N-1)
	case g.Q < 1:
		return fmt.Errorf("khop: Q = %d, want >= 1", g.Q)
	}
	return nil
}

// splitBit is the half of the hash space of the functions a split owns.
func splitBit(split string) (uint64, error) {
	switch split {
	case "train":
		return 0, nil
	case "test":
		return 1, nil
	}
	return 0, fmt.Errorf("khop: unknown split %q (known: train, test)", split)
}

// tableHash is the canonical hash of the function f (its value table),
// independent of the order in which a document lists the entries.
func tableHash(f []int) uint64 {
	h := fnv.New64a()
	var b [1]byte
	for _, y := range f {
		b[0] = byte(y)
		h.Write(b[:])
	}
	s := h.Sum64()
	// FNV's low bit is a poor splitter on short inputs; finalise.
	s ^= s >> 33
	s *= 0xff51afd7ed558ccd
	s ^= s >> 33
	return s
}

// docRNG returns the random stream of document i of split under seed.
func docRNG(seed uint64, split string, i int) *rand.Rand {
	h := fnv.New64a()
	h.Write([]byte("khop/"))
	h.Write([]byte(split))
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(i))
	h.Write(b[:])
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Doc implements Generator. Fields:
//
//	tokens      []string  the whole training sequence, one symbol per token
//	text        string    tokens concatenated (what a tokenizer sees)
//	targets     []string  the answer to each query, in order
//	query_hops  []int     the hop count of each query
//	prompt      string    <bos>, the table, <sep> and all Q queries
//	answer      string    the answer to the last query (the one a prompt asks)
//	hops        int       the hop count of the last query (1 + i mod K)
//	choices     []string  the N answer symbols, in symbol order
//	gold        int       index of answer in choices
//
// The last query's hop count cycles through 1..K with i, so any contiguous
// run of K documents is balanced across difficulties.
func (g KHop) Doc(split string, seed uint64, i int) (Doc, error) {
	if err := g.validate(); err != nil {
		return nil, err
	}
	want, err := splitBit(split)
	if err != nil {
		return nil, err
	}
	if i < 0 {
		return nil, fmt.Errorf("khop: document index %d < 0", i)
	}
	r := docRNG(seed, split, i)
	n := g.N

	// Draw a random single n-cycle (Sattolo's algorithm over the visiting
	// order) until its function falls into this split's half.
	f := make([]int, n)
	order := make([]int, n)
	for attempt := 0; ; attempt++ {
		if attempt == 1000 {
			return nil, fmt.Errorf("khop: document %d of split %q: no table found after %d attempts", i, split, attempt)
		}
		for j := range order {
			order[j] = j
		}
		r.Shuffle(n, func(a, b int) { order[a], order[b] = order[b], order[a] })
		for j := 0; j < n; j++ {
			f[order[j]] = order[(j+1)%n]
		}
		if tableHash(f)&1 == want {
			break
		}
	}

	tokens := make([]string, 0, 2+n+g.Q)
	tokens = append(tokens, "<bos>")
	perm := r.Perm(n)
	for _, x := range perm {
		tokens = append(tokens, pairTok(x, f[x]))
	}
	tokens = append(tokens, "<sep>")
	targets := make([]string, g.Q)
	hops := make([]int, g.Q)
	var lastY, lastK int
	for q := 0; q < g.Q; q++ {
		y := r.IntN(n)
		k := 1 + r.IntN(g.K)
		if q == g.Q-1 {
			k = 1 + i%g.K
		}
		a := y
		for j := 0; j < k; j++ {
			a = f[a]
		}
		tokens = append(tokens, queryTok(y, k))
		targets[q] = symTok(a)
		hops[q] = k
		lastY, lastK = a, k
	}
	choices := make([]string, n)
	for x := range choices {
		choices[x] = symTok(x)
	}
	text := strings.Join(tokens, "")
	return Doc{
		"tokens":     tokens,
		"text":       text,
		"targets":    targets,
		"query_hops": hops,
		"prompt":     text,
		"answer":     symTok(lastY),
		"hops":       lastK,
		"choices":    choices,
		"gold":       lastY,
	}, nil
}
