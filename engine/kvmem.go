package engine

import "unsafe"

// kvMem owns memory for one cache slot's K and V rows that the operating
// system commits only when it is written (an anonymous private mapping on
// Unix). A sequence can therefore reserve room for its whole generation up
// front — never growing, so never holding a garbage copy of its cache —
// while its resident memory stays what it has written. Slots keep their
// kvMem reachable (forks included); a runtime cleanup unmaps it once no
// slot refers to it.
type kvMem struct {
	b []byte // the mapping, released by the cleanup
}

// newKVSlot returns a slot with room for n float32 of K and of V, holding
// copies of old's rows. Where lazily committed memory is unavailable (or
// the mapping fails, e.g. under strict overcommit) it uses the Go heap,
// with room for at most heapN (never less than old holds).
func newKVSlot(old kvSlot, n, heapN int) kvSlot {
	f, mem := mapFloats(2 * n)
	if f == nil {
		if heapN <= max(cap(old.k), cap(old.v)) {
			return old
		}
		return kvSlot{k: append(make([]float32, 0, heapN), old.k...), v: append(make([]float32, 0, heapN), old.v...)}
	}
	s := kvSlot{k: f[:len(old.k):n], v: f[n : n+len(old.v) : 2*n], mem: mem}
	copy(s.k, old.k)
	copy(s.v, old.v)
	return s
}

// floatsOf views a mapping as float32.
func floatsOf(b []byte) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}
