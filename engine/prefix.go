package engine

import (
	"context"
	"slices"
	"sync"
)

// DefaultPrefixCacheBytes is the default budget of the context-prefix KV
// cache (LoadOptions.PrefixCacheBytes).
const DefaultPrefixCacheBytes = 2 << 30

// prefixCache keeps the KV caches of recently scored contexts so that the
// choices of a multiple-choice question (same context, several
// continuations) prefill the shared context once.
//
// Determinism: scoring always computes a request in the same two chunks
// (the context without its last token, then the rest), whether or not the
// first chunk comes from the cache, and a cached chunk is the bit-exact
// result of computing that chunk from an empty sequence. So a hit returns
// exactly what a miss would compute, and results do not depend on request
// order or concurrency.
type prefixCache struct {
	mu      sync.Mutex
	budget  int64
	entries []*prefixEntry // most recently used first
	hits    int64
	misses  int64
}

type prefixEntry struct {
	R     int
	ids   []int
	seq   *Sequence
	bytes int64
}

const maxPrefixEntries = 8

func (c *prefixCache) get(R int, ids []int) *Sequence {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range c.entries {
		if e.R == R && slices.Equal(e.ids, ids) {
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			c.hits++
			return e.seq.fork()
		}
	}
	c.misses++
	return nil
}

func (c *prefixCache) put(R int, ids []int, seq *Sequence) {
	size := seq.kvBytes()
	if size > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.R == R && slices.Equal(e.ids, ids) {
			return
		}
	}
	c.entries = append([]*prefixEntry{{R: R, ids: slices.Clone(ids), seq: seq, bytes: size}}, c.entries...)
	var total int64
	for i, e := range c.entries {
		total += e.bytes
		if total > c.budget || i >= maxPrefixEntries {
			c.entries = c.entries[:i]
			break
		}
	}
}

// kvBytes returns the memory held by the sequence's KV cache: the whole
// capacity of heap slots, the written part of lazily committed ones.
func (s *Sequence) kvBytes() int64 {
	var n int64
	for _, sl := range s.slots {
		if sl.mem != nil {
			n += int64(len(sl.k)+len(sl.v)) * 4
		} else {
			n += int64(cap(sl.k)+cap(sl.v)) * 4
		}
	}
	return n
}

// fork returns a sequence that continues from s's cache without modifying
// it: the slots share s's memory with their capacity capped, so the first
// append copies (copy on write).
func (s *Sequence) fork() *Sequence {
	c := &Sequence{m: s.m, R: s.R, n: s.n, slots: make([]kvSlot, len(s.slots))}
	for i, sl := range s.slots {
		c.slots[i] = kvSlot{k: sl.k[:len(sl.k):len(sl.k)], v: sl.v[:len(sl.v):len(sl.v)], mem: sl.mem}
	}
	return c
}

// prefixed returns a sequence holding the KV of prefix (from the cache, or
// computed now and, when cache is set, cached), ready to continue.
func (m *Model) prefixed(ctx context.Context, R int, prefix []int, cache bool) (*Sequence, error) {
	if !cache {
		seq, err := m.NewSequence(R)
		if err != nil {
			return nil, err
		}
		if _, err := seq.Forward(ctx, prefix, true); err != nil {
			return nil, err
		}
		return seq, nil
	}
	if m.prefix != nil {
		if s := m.prefix.get(R, prefix); s != nil {
			return s, nil
		}
	}
	seq, err := m.NewSequence(R)
	if err != nil {
		return nil, err
	}
	if _, err := seq.Forward(ctx, prefix, true); err != nil {
		return nil, err
	}
	seq.dropBuffers() // the cached copy needs no scratch
	if m.prefix != nil {
		m.prefix.put(R, prefix, seq)
	}
	return seq.fork(), nil
}

// PrefixCacheStats returns the prefix cache's hits and misses so far.
func (m *Model) PrefixCacheStats() (hits, misses int64) {
	if m.prefix == nil {
		return 0, 0
	}
	m.prefix.mu.Lock()
	defer m.prefix.mu.Unlock()
	return m.prefix.hits, m.prefix.misses
}
