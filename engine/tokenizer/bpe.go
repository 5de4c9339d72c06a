package tokenizer

import (
	"container/heap"
	"sync"
)

// merge is the result of merging an adjacent pair of tokens.
type merge struct {
	rank int32 // priority: the merge's index in the merges list
	id   int32 // the merged token
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// symbol is a token in a word being merged; words are doubly linked lists.
type symbol struct {
	id         int32
	prev, next int32 // indices, -1 at the ends
	size       int32 // bytes covered; 0 once merged into its left neighbour
}

// candidate is a possible merge of the symbol at pos with its right neighbour.
type candidate struct {
	rank, pos  int32
	left, righ int32 // ids of the pair when the candidate was made
}

type candidateHeap []candidate

func (h candidateHeap) Len() int { return len(h) }
func (h candidateHeap) Less(i, j int) bool {
	if h[i].rank != h[j].rank {
		return h[i].rank < h[j].rank
	}
	return h[i].pos < h[j].pos
}
func (h candidateHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *candidateHeap) Push(x any)   { *h = append(*h, x.(candidate)) }
func (h *candidateHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// bpe encodes one pre-token (raw bytes) and appends its ids to out. It
// applies the lowest-ranked applicable merge first, leftmost on ties, until
// no merge applies — exactly the order of Hugging Face's BPE model.
func (t *Tokenizer) bpe(word string, out []int) []int {
	if ids, ok := t.cache.get(word); ok {
		return append(out, ids...)
	}
	start := len(out)
	out = t.bpeUncached(word, out)
	t.cache.put(word, out[start:])
	return out
}

func (t *Tokenizer) bpeUncached(word string, out []int) []int {
	if t.ignoreMerges {
		if id, ok := t.rawVocab[word]; ok {
			return append(out, id)
		}
	}
	syms := make([]symbol, 0, len(word))
	for i := 0; i < len(word); i++ {
		id := t.byteID[word[i]]
		if id < 0 {
			continue // no token for this byte and no unk: dropped, as in Hugging Face
		}
		n := int32(len(syms))
		syms = append(syms, symbol{id: id, prev: n - 1, next: n + 1, size: 1})
	}
	switch len(syms) {
	case 0:
		return out
	case 1:
		return append(out, int(syms[0].id))
	}
	syms[len(syms)-1].next = -1

	h := make(candidateHeap, 0, len(word))
	for i := 0; i+1 < len(syms); i++ {
		if m, ok := t.merges[pairKey(syms[i].id, syms[i+1].id)]; ok {
			h = append(h, candidate{rank: m.rank, pos: int32(i), left: syms[i].id, righ: syms[i+1].id})
		}
	}
	heap.Init(&h)
	for h.Len() > 0 {
		c := heap.Pop(&h).(candidate)
		l := &syms[c.pos]
		// Skip stale candidates: a side was merged away or changed.
		if l.size == 0 || l.id != c.left || l.next < 0 {
			continue
		}
		r := &syms[l.next]
		if r.id != c.righ {
			continue
		}
		m := t.merges[pairKey(c.left, c.righ)]
		l.id = m.id
		l.size += r.size
		r.size = 0
		l.next = r.next
		if l.next >= 0 {
			syms[l.next].prev = c.pos
		}
		if l.prev >= 0 {
			p := &syms[l.prev]
			if m2, ok := t.merges[pairKey(p.id, l.id)]; ok {
				heap.Push(&h, candidate{rank: m2.rank, pos: l.prev, left: p.id, righ: l.id})
			}
		}
		if l.next >= 0 {
			n := &syms[l.next]
			if m2, ok := t.merges[pairKey(l.id, n.id)]; ok {
				heap.Push(&h, candidate{rank: m2.rank, pos: c.pos, left: l.id, righ: n.id})
			}
		}
	}
	for i := int32(0); i >= 0; i = syms[i].next {
		out = append(out, int(syms[i].id))
	}
	return out
}

// defaultCacheSize bounds the pre-token cache of each Tokenizer.
const defaultCacheSize = 1 << 16

// cache maps pre-tokens to their ids. It is bounded: when full it is
// cleared, which keeps the common words of the current workload hot without
// any bookkeeping per hit.
type cache struct {
	mu  sync.RWMutex
	m   map[string][]int
	cap int
}

func newCache(capacity int) *cache {
	return &cache{m: make(map[string][]int), cap: capacity}
}

func (c *cache) get(k string) ([]int, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

func (c *cache) put(k string, ids []int) {
	if len(k) > 256 { // long pre-tokens are rare; don't let them evict
		return
	}
	v := append([]int(nil), ids...)
	c.mu.Lock()
	if len(c.m) >= c.cap {
		clear(c.m)
	}
	c.m[k] = v
	c.mu.Unlock()
}

func (c *cache) clearAll() {
	c.mu.Lock()
	clear(c.m)
	c.mu.Unlock()
}
