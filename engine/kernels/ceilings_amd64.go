//go:build amd64

package kernels

import "unsafe"

// Per-call sizes of the probes: each assembly call takes well under a
// millisecond, so the Go scheduler and GC are never held off for long.
const (
	fmaIters   = 20000 // × 768 FLOP
	dpIters    = 20000 // × 1536 FLOP
	readChunk  = 1 << 20
	probeAlign = 512
)

func haveProbes() bool { return hasAVX512() }

func fmaChunk() float64 { fmaPeakLoop(fmaIters); return fmaIters * 768 }

func dpChunk() float64 { dpbf16PeakLoop(dpIters); return dpIters * 1536 }

// readSlice8 streams b as 8 interleaved sequential streams (more memory
// parallelism, the access pattern of an 8-row GEMV tile), in bounded calls.
func readSlice8(b []byte) float64 {
	stride := len(b) / 8 / 128 * 128
	for i := 0; i < stride; i += readChunk / 8 {
		n := min(readChunk/8, stride-i)
		readLoop8(unsafe.Pointer(&b[i]), n, uintptr(stride))
	}
	return float64(stride * 8)
}

// readSlice streams b (len a multiple of probeAlign) in bounded calls.
func readSlice(b []byte) float64 {
	for i := 0; i < len(b); i += readChunk {
		n := min(readChunk, len(b)-i)
		readLoop(unsafe.Pointer(&b[i]), n)
	}
	return float64(len(b))
}
