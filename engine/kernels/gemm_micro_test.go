//go:build amd64

package kernels

import (
	"fmt"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkGemmMicro measures the packed-GEMM micro-kernels on
// cache-resident operands (one thread, process CPU time) as a fraction of
// the one-thread FMA / VDPBF16PS ceiling measured alongside.
func BenchmarkGemmMicro(b *testing.B) {
	if !HasAVX512() {
		b.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16")
	}
	const kc, lda = gemmKC, gemmKC + gemmPad/4
	a := make([]float32, gemmMR*lda)
	p := make([]float32, kc*gemmPanel)
	c := make([]float32, gemmMR*gemmPanel)
	for i := range a {
		a[i] = 1e-3
	}
	for i := range p {
		p[i] = 1e-3
	}
	for _, dp := range []bool{false, true} {
		for _, mr := range []int{gemmMR, 8, 4} {
			name, probe := fmt.Sprintf("f32/mr%d", mr), ProbeFMA
			if dp {
				name, probe = fmt.Sprintf("bf16/mr%d", mr), ProbeBF16
			}
			b.Run(name, func(b *testing.B) {
				peak, err := MeasureComputeClock(probe, 1, 1, 100*time.Millisecond, CPU)
				if err != nil {
					b.Fatal(err)
				}
				t0 := now()
				for b.Loop() {
					if dp {
						gemmBF16(mr, (*uint16)(unsafePointer(&a[0])), lda*2, (*uint16)(unsafePointer(&p[0])), kc, &c[0], gemmPanel*4, 1<<32-1, 1)
					} else {
						gemmF32(mr, &a[0], lda*4, &p[0], kc, &c[0], gemmPanel*4, 1<<32-1, 1)
					}
				}
				fl := 2 * float64(mr*gemmPanel*kc) * float64(b.N) / t0.since(CPU, 1) / 1e9
				b.ReportMetric(fl, "GFLOP/s")
				b.ReportMetric(fl/peak, "of-peak")
			})
		}
	}
}

func unsafePointer(p *float32) unsafe.Pointer { return unsafe.Pointer(p) }

// BenchmarkMatMulRows compares the dot-product tiles and the packed GEMM
// (exact method, bf16 weights, 2048 × 2048) over the activation row
// counts around gemmMinRows, all threads, process CPU time.
func BenchmarkMatMulRows(b *testing.B) {
	k, a := exactPath(b)
	const N, K = 2048, 2048
	w := benchWeights(N, K)
	for _, M := range []int{6, 8, 12, 16, 24, 32, 48, 64} {
		x, out := make([]float32, M*K), make([]float32, M*N)
		for _, packed := range []bool{false, true} {
			name := fmt.Sprintf("M%d/tiles", M)
			a.packMin = 1 << 30
			if packed {
				name, a.packMin = fmt.Sprintf("M%d/packed", M), 1
			}
			b.Run(name, func(b *testing.B) {
				t0 := now()
				for b.Loop() {
					k.MatMul(out, x, M, w)
				}
				b.ReportMetric(2*float64(M*N*K)*float64(b.N)/t0.since(CPU, a.pool.Workers())/1e9, "GFLOP/s")
			})
		}
	}
	a.packMin = gemmMinRows
}

// BenchmarkGemmBlocking runs the prefill GEMM shapes of Ouro-1.4B (exact
// method, M = 512) with several pack-group sizes (packKG), all threads,
// process CPU time, each against the FMA ceiling measured before it.
func BenchmarkGemmBlocking(b *testing.B) {
	k, a := exactPath(b)
	const M = 512
	for _, sh := range []struct{ N, K int }{{2048, 5632}, {5632, 2048}} {
		w := benchWeights(sh.N, sh.K)
		x, out := make([]float32, M*sh.K), make([]float32, M*sh.N)
		for _, v := range []struct{ kg, pf int }{{gemmKC, 0}, {512, 0}, {1024, 0}, {2048, 0}, {gemmKG, gemmKG}, {gemmKG, 256}} {
			kg := v.kg
			b.Run(fmt.Sprintf("N%d_K%d/kg%d_pf%d", sh.N, sh.K, kg, v.pf), func(b *testing.B) {
				a.packKG, a.packPF = kg, v.pf
				peak, err := MeasureComputeClock(ProbeFMA, a.pool.Workers(), 1, 100*time.Millisecond, CPU)
				if err != nil {
					b.Fatal(err)
				}
				t0 := now()
				for b.Loop() {
					k.MatMul(out, x, M, w)
				}
				fl := 2 * float64(M*sh.N*sh.K) * float64(b.N) / t0.since(CPU, a.pool.Workers()) / 1e9
				b.ReportMetric(fl, "GFLOP/s")
				b.ReportMetric(fl/peak, "of-peak")
			})
		}
	}
	a.packKG, a.packPF = gemmKG, 0
}

// exactPath opens the avx512-exact path for a benchmark (closed at its
// end), skipping without AVX-512.
func exactPath(b *testing.B) (Kernels, *avx512) {
	if !HasAVX512() {
		b.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16")
	}
	k, err := Open("avx512-exact", 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(k.Close)
	return k, k.(*avx512)
}

// benchWeights returns an N×K bf16 matrix of small non-zero values.
func benchWeights(N, K int) *Matrix {
	w := &Matrix{DType: BF16, Rows: N, Cols: K, U16: make([]uint16, N*K)}
	for i := range w.U16 {
		w.U16[i] = F32ToBF16(float32(i%7+1) * 1e-3)
	}
	return w
}
