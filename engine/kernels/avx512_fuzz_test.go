//go:build amd64

package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// FuzzMatMulAVX512 checks the avx512 paths against a float64 reference on
// fuzzer-chosen shapes, dtypes and data.
//
//	go test -run XXX -fuzz FuzzMatMulAVX512 -fuzztime 20s ./engine/kernels
func FuzzMatMulAVX512(f *testing.F) {
	for _, s := range [][4]uint16{{1, 1, 1, 0}, {7, 9, 33, 1}, {13, 17, 4097, 2}, {6, 8, 32, 0}, {100, 3, 15, 5}, {2, 64, 31, 4},
		{20, 33, 1100, 16 | 1}, {129, 69, 300, 16 | 4}, {16, 1, 16, 16 | 2}, {40, 65, 1024, 32 | 16 | 1}} { // 16: the packed GEMM, 32: AMX
		f.Add(uint64(s[0])*977+uint64(s[2]), s[0], s[1], s[2], uint8(s[3]))
	}
	fast, exact, _ := avxPaths(f)
	amx := withAMX(f)
	packed := packedPaths(f)
	f.Fuzz(func(t *testing.T, seed uint64, m, n, k uint16, sel uint8) {
		M, N, K := int(m%130)+1, int(n%70)+1, int(k%5000)+1
		if sel&16 != 0 { // shapes the packed GEMM takes: K a multiple of 32
			K = (K + 31) / 32 * 32
		}
		if M*N*K > 4<<20 {
			K = (4 << 20) / (M * N)
			if sel&16 != 0 {
				K = K / 32 * 32
			}
			if K == 0 {
				K = 1
			}
		}
		dt := []DType{F32, BF16, F16}[int(sel)%3]
		kern := fast
		switch {
		case sel&32 != 0 && len(amx) > 0: // amx-bf16 where available
			kern = amx[0]
		case sel&16 != 0: // the packed GEMM from M = 1 on
			kern = packed[int(sel>>2)&1]
		case sel&4 != 0:
			kern = exact
		}
		r := rand.New(rand.NewPCG(seed, uint64(sel)))
		w := offsetMatrix(r, dt, N, K)
		x := offsetVec(r, M*K)
		if sel&8 != 0 { // large dynamic range
			for i := range x {
				x[i] *= float32(math.Exp2(float64(r.IntN(40) - 20)))
			}
		}
		got := offsetVec(r, M*N)
		kern.MatMul(got, x, M, w)
		rounded := dt == BF16 && RoundsActivations(kern.Name())
		for i := 0; i < M; i++ {
			for j := 0; j < N; j++ {
				var s, ref float64
				for kk := 0; kk < K; kk++ {
					xv := x[i*K+kk]
					if rounded {
						xv = BF16ToF32(F32ToBF16(xv))
					}
					p := float64(xv) * weightAt(w, j*K+kk)
					s += math.Abs(p)
					ref += p
				}
				g := float64(got[i*N+j])
				if math.IsNaN(g) || math.Abs(g-ref) > 1e-5*s+1e-30 {
					t.Fatalf("%s %v M=%d N=%d K=%d out[%d][%d] = %v, want %v (S=%g)", kern.Name(), dt, M, N, K, i, j, g, ref, s)
				}
			}
		}
	})
}

// FuzzSoftmaxAVX512 compares the assembly softmax with the generic one on
// fuzzer-chosen values, including infinities and extreme magnitudes.
func FuzzSoftmaxAVX512(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0, 0, 0x80, 0xff, 0, 0, 0x80, 0x3f, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0, 0, 0x80, 0x7f, 0, 0, 0x80, 0x3f})
	if !HasAVX512() {
		f.Skip("no AVX-512 BF16")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n := len(data) / 4
		if n == 0 {
			return
		}
		x := make([]float32, n)
		for i := range x {
			b := uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
			v := math.Float32frombits(b)
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 1) {
				v = 0 // NaN and +Inf have no meaningful softmax
			}
			x[i] = v
		}
		want := append([]float32(nil), x...)
		softmax(want)
		softmaxAVX512(x)
		for i := range x {
			if d := math.Abs(float64(x[i] - want[i])); d > 4e-6*float64(want[i])+1e-37 || math.IsNaN(float64(x[i])) {
				t.Fatalf("softmax[%d] = %v, want %v", i, x[i], want[i])
			}
		}
	})
}

// FuzzAttentionAVX512 compares attention on the avx512 path (per-row and
// blocked prefill kernels) with the generic kernel on fuzzer-chosen shapes.
func FuzzAttentionAVX512(f *testing.F) {
	f.Add(uint64(1), uint16(1), uint16(0), uint8(1), uint8(1), uint8(2))
	f.Add(uint64(2), uint16(50), uint16(7), uint8(4), uint8(2), uint8(4))
	f.Add(uint64(3), uint16(16), uint16(300), uint8(3), uint8(1), uint8(1))
	fast, _, gen := avxPaths(f)
	f.Fuzz(func(t *testing.T, seed uint64, nq, pos0 uint16, heads, group, hd uint8) {
		c := attnCase{int(nq%120) + 1, int(pos0 % 700), 0, int(heads%4) + 1, 0}
		c.heads = c.kv * (int(group%3) + 1)
		c.hd = []int{1, 7, 16, 32, 33, 64, 96, 128}[int(hd)%8]
		checkAttention(t, fast, gen, rand.New(rand.NewPCG(seed, 9)), c, 3e-5)
	})
}
