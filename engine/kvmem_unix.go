//go:build unix

package engine

import (
	"runtime"
	"syscall"
)

// mapFloats returns n float32 in a private anonymous mapping whose pages
// are committed on first write (MAP_NORESERVE: no swap is reserved for
// the untouched part), owned by the returned kvMem; nil when the mapping
// fails.
func mapFloats(n int) ([]float32, *kvMem) {
	if n == 0 {
		return nil, nil
	}
	b, err := syscall.Mmap(-1, 0, 4*n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON|mapNoReserve)
	if err != nil {
		return nil, nil
	}
	m := &kvMem{b: b}
	runtime.AddCleanup(m, func(b []byte) { syscall.Munmap(b) }, b)
	return floatsOf(b), m
}
