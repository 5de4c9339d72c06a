//go:build amd64

package kernels

import (
	"fmt"
	"runtime"
	"testing"
	"time"
	"unsafe"
)

// BenchmarkGemmMicro measures the packed-GEMM micro-kernels on
// cache-resident operands (one thread, wall clock: run it on a quiet
// machine, with -benchtime of a second or more) as a fraction of the
// one-thread FMA / VDPBF16PS ceiling measured alongside.
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
				peak, err := MeasureComputeClock(probe, 1, 1, 100*time.Millisecond, Wall)
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
				fl := 2 * float64(mr*gemmPanel*kc) * float64(b.N) / t0.since(Wall, 1) / 1e9
				b.ReportMetric(fl, "GFLOP/s")
				b.ReportMetric(fl/peak, "of-peak")
			})
		}
	}
}

func unsafePointer(p *float32) unsafe.Pointer { return unsafe.Pointer(p) }

// BenchmarkMatMulRows compares the dot-product tiles and the packed GEMM
// (bf16 weights, 2048 × 2048) over the activation row counts around the
// switch-over (gemmMinRows), for each bf16 method, all threads, wall
// clock.
func BenchmarkMatMulRows(b *testing.B) {
	if !HasAVX512() {
		b.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16")
	}
	const N, K = 2048, 2048
	w := benchWeights(N, K)
	for _, path := range []string{"avx512-exact", "avx512-bf16", "amx-bf16"} {
		k, err := Open(path, runtime.GOMAXPROCS(0))
		if err != nil {
			continue
		}
		a := k.(*avx512)
		for _, M := range []int{6, 8, 12, 16, 24, 32, 48, 64, 96} {
			x, out := make([]float32, M*K), make([]float32, M*N)
			for _, packed := range []bool{false, true} {
				name := fmt.Sprintf("%s/M%d/tiles", path, M)
				a.packMin = 1 << 30
				if packed {
					name, a.packMin = fmt.Sprintf("%s/M%d/packed", path, M), 1
				}
				b.Run(name, func(b *testing.B) {
					t0 := now()
					for b.Loop() {
						k.MatMul(out, x, M, w)
					}
					b.ReportMetric(2*float64(M*N*K)*float64(b.N)/t0.since(Wall, 1)/1e9, "GFLOP/s")
				})
			}
		}
		a.packMin = 0
		k.Close()
	}
}

// BenchmarkGemmBlocking runs the prefill GEMM shapes of Ouro-1.4B (exact
// method, M = 512) with several pack-group sizes (packKG), all threads,
// wall clock, each against the FMA ceiling measured before it.
func BenchmarkGemmBlocking(b *testing.B) {
	k, a := exactPath(b)
	const M = 512
	for _, sh := range []struct{ N, K int }{{2048, 5632}, {5632, 2048}} {
		w := benchWeights(sh.N, sh.K)
		x, out := make([]float32, M*sh.K), make([]float32, M*sh.N)
		for _, kg := range []int{gemmKC, 512, 1024, 2048} {
			b.Run(fmt.Sprintf("N%d_K%d/kg%d", sh.N, sh.K, kg), func(b *testing.B) {
				a.packKG = kg
				peak, err := MeasureComputeClock(ProbeFMA, a.pool.Workers(), 1, 100*time.Millisecond, Wall)
				if err != nil {
					b.Fatal(err)
				}
				t0 := now()
				for b.Loop() {
					k.MatMul(out, x, M, w)
				}
				fl := 2 * float64(M*sh.N*sh.K) * float64(b.N) / t0.since(Wall, 1) / 1e9
				b.ReportMetric(fl, "GFLOP/s")
				b.ReportMetric(fl/peak, "of-peak")
			})
		}
	}
	a.packKG = gemmKG
}

// exactPath opens the avx512-exact path for a benchmark (closed at its
// end), skipping without AVX-512.
func exactPath(b *testing.B) (Kernels, *avx512) {
	if !HasAVX512() {
		b.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16")
	}
	k, err := Open("avx512-exact", runtime.GOMAXPROCS(0))
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

// BenchmarkGEMVRows streams 1 GiB of bf16 weights through the decode GEMV
// (exact method, M = 1, K = 2048 — rows of one 4 KiB page, as in most
// Ouro-1.4B matrices — and 4096, 2 workers) with tiles of 1, 2, 4 and 8
// weight rows, against the read bandwidth of the same machine (wall
// clock; run on a quiet machine).
func BenchmarkGEMVRows(b *testing.B) {
	if !HasAVX512() {
		b.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16")
	}
	buf := make([]byte, 1<<30)
	for i := range buf {
		buf[i] = byte(i)
	}
	bw, err := MeasureRead(buf, 2, 1, 3)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("read bandwidth, 2 threads: %.2f GB/s", bw)
	p := NewPool(2)
	defer p.Close()
	for _, K := range []int{2048, 4096} {
		N := (1 << 30) / (2 * K)
		w := benchWeights(N, K)
		x, out := make([]float32, K), make([]float32, N)
		for _, rm := range []int{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("K%d/rows%d", K, rm), func(b *testing.B) {
				fn := func(_, lo, hi int) {
					for n := lo; n < hi; n += rm {
						tileBF16X(min(rm, hi-n), 1, unsafe.Pointer(&w.U16[n*K]), uintptr(K)*2, unsafe.Pointer(&x[0]), uintptr(K)*4, K, &out[n], 4)
					}
				}
				t0 := now()
				for b.Loop() {
					p.RunChunks(N, 2, fn)
				}
				gbs := float64(N*K*2) * float64(b.N) / t0.since(Wall, 1) / 1e9
				b.ReportMetric(gbs, "GB/s")
				b.ReportMetric(gbs/bw, "of-read-bw")
			})
		}
	}
}
