//go:build !unix

package engine

// mapFloats reports no lazily committed memory on this platform: KV
// caches live on the Go heap.
func mapFloats(n int) ([]float32, *kvMem) { return nil, nil }
