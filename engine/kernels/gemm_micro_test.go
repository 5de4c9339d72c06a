//go:build amd64

package kernels

import (
	"testing"
	"time"
)

// BenchmarkGemmMicro measures one micro-kernel on cache-resident operands
// (one thread) as a fraction of the one-thread FMA / VDPBF16PS ceiling.
func BenchmarkGemmMicro(b *testing.B) {
	if !HasAVX512() {
		b.Skip("no AVX-512")
	}
	const kc, lda = 256, 256 + 16
	a := make([]float32, 12*lda)
	p := make([]float32, kc*32)
	c := make([]float32, 12*32)
	for i := range a {
		a[i] = 1e-3
	}
	for i := range p {
		p[i] = 1e-3
	}
	for _, mr := range []int{12, 8, 4} {
		b.Run("f32/mr"+string(rune('0'+mr/10))+string(rune('0'+mr%10)), func(b *testing.B) {
			peak, _ := MeasureComputeClock(ProbeFMA, 1, 1, 100*time.Millisecond, Wall)
			t0 := time.Now()
			for b.Loop() {
				gemmF32(mr, &a[0], lda*4, &p[0], kc, &c[0], 32*4, 1<<32-1, 1)
			}
			fl := 2 * float64(mr*32*kc) * float64(b.N) / time.Since(t0).Seconds() / 1e9
			b.ReportMetric(fl, "GFLOP/s")
			b.ReportMetric(fl/peak, "of-peak")
		})
	}
}
