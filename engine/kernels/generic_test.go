package kernels

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

func randVec(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// matrix returns a random matrix of the dtype together with its exact
// values as float64 (after rounding to the dtype).
func matrix(r *rand.Rand, dt DType, rows, cols int) (*Matrix, []float64) {
	m := &Matrix{DType: dt, Rows: rows, Cols: cols}
	exact := make([]float64, rows*cols)
	switch dt {
	case F32:
		m.F32 = randVec(r, rows*cols)
		for i, v := range m.F32 {
			exact[i] = float64(v)
		}
	case BF16, F16:
		m.U16 = make([]uint16, rows*cols)
		for i := range m.U16 {
			f := float32(r.NormFloat64())
			if dt == BF16 {
				m.U16[i] = F32ToBF16(f)
				exact[i] = float64(BF16ToF32(m.U16[i]))
			} else {
				m.U16[i] = F32ToF16(f)
				exact[i] = float64(F16ToF32(m.U16[i]))
			}
		}
	}
	return m, exact
}

func close32(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: len %d, want %d", what, len(got), len(want))
	}
	for i := range got {
		d := math.Abs(float64(got[i]) - want[i])
		if d > tol*(1+math.Abs(want[i])) || math.IsNaN(float64(got[i])) {
			t.Fatalf("%s[%d] = %v, want %v (|Δ| %g)", what, i, got[i], want[i], d)
		}
	}
}

func TestMatMul(t *testing.T) {
	k := NewGeneric(3)
	defer k.Close()
	r := rand.New(rand.NewPCG(1, 2))
	for _, dt := range []DType{F32, BF16, F16} {
		for _, sh := range []struct{ M, N, K int }{{1, 1, 1}, {1, 7, 13}, {1, 100, 64}, {5, 3, 17}, {9, 130, 33}, {64, 2, 8}} {
			w, exact := matrix(r, dt, sh.N, sh.K)
			x := randVec(r, sh.M*sh.K)
			out := make([]float32, sh.M*sh.N)
			k.MatMul(out, x, sh.M, w)
			want := make([]float64, sh.M*sh.N)
			for m := range sh.M {
				for n := range sh.N {
					var s float64
					for kk := range sh.K {
						s += float64(x[m*sh.K+kk]) * exact[n*sh.K+kk]
					}
					want[m*sh.N+n] = s
				}
			}
			close32(t, dt.String()+" matmul", out, want, 1e-5*math.Sqrt(float64(sh.K)))
		}
	}
}

func TestRMSNormSiLUAddSoftmax(t *testing.T) {
	k := NewGeneric(2)
	defer k.Close()
	r := rand.New(rand.NewPCG(3, 4))
	const d, rows = 37, 3
	x := randVec(r, d*rows)
	w := randVec(r, d)
	out := make([]float32, len(x))
	k.RMSNorm(out, x, w, 1e-6)
	want := make([]float64, len(x))
	for rr := range rows {
		var ss float64
		for i := range d {
			ss += float64(x[rr*d+i]) * float64(x[rr*d+i])
		}
		inv := 1 / math.Sqrt(ss/d+1e-6)
		for i := range d {
			want[rr*d+i] = float64(x[rr*d+i]) * inv * float64(w[i])
		}
	}
	close32(t, "rmsnorm", out, want, 1e-6)
	k.RMSNorm(x, x, w, 1e-6) // aliasing
	for i := range x {
		if x[i] != out[i] {
			t.Fatalf("aliased RMSNorm differs at %d", i)
		}
	}

	gate, up := randVec(r, 50), randVec(r, 50)
	o := make([]float32, 50)
	k.SiLUMul(o, gate, up)
	for i := range want[:50] {
		g := float64(gate[i])
		want[i] = g / (1 + math.Exp(-g)) * float64(up[i])
	}
	close32(t, "silumul", o, want[:50], 1e-6)

	a, b := randVec(r, 10), randVec(r, 10)
	sum := make([]float64, 10)
	for i := range a {
		sum[i] = float64(a[i]) + float64(b[i])
	}
	k.Add(a, b)
	close32(t, "add", a, sum, 1e-7)

	for _, in := range [][]float32{{1, 2, 3}, {1000, -1000, 999}, {0}, {-1e30, -1e30}} {
		s := append([]float32(nil), in...)
		k.Softmax(s)
		mx := math.Inf(-1)
		for _, v := range in {
			mx = math.Max(mx, float64(v))
		}
		var z float64
		for _, v := range in {
			z += math.Exp(float64(v) - mx)
		}
		w := make([]float64, len(in))
		for i, v := range in {
			w[i] = math.Exp(float64(v)-mx) / z
		}
		close32(t, "softmax", s, w, 1e-6)
	}
}

// naiveAttention is the float64 reference for Attention.
func naiveAttention(q, k, v []float32, nq, pos0, heads, kvHeads, hd int, scale float64) []float64 {
	out := make([]float64, nq*heads*hd)
	for i := range nq {
		for h := range heads {
			kh := h / (heads / kvHeads)
			n := pos0 + i + 1
			s := make([]float64, n)
			mx := math.Inf(-1)
			for j := range n {
				var d float64
				for e := range hd {
					d += float64(q[(i*heads+h)*hd+e]) * float64(k[(j*kvHeads+kh)*hd+e])
				}
				s[j] = d * scale
				mx = math.Max(mx, s[j])
			}
			var z float64
			for j := range s {
				s[j] = math.Exp(s[j] - mx)
				z += s[j]
			}
			for j := range s {
				for e := range hd {
					out[(i*heads+h)*hd+e] += s[j] / z * float64(v[(j*kvHeads+kh)*hd+e])
				}
			}
		}
	}
	return out
}

func TestAttention(t *testing.T) {
	k := NewGeneric(2)
	defer k.Close()
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ nq, pos0, heads, kv, hd int }{
		{1, 0, 1, 1, 4}, {4, 0, 4, 2, 8}, {1, 9, 4, 1, 16}, {3, 5, 6, 6, 5}, {7, 2, 8, 2, 32},
	} {
		total := c.pos0 + c.nq
		q := randVec(r, c.nq*c.heads*c.hd)
		kk := randVec(r, total*c.kv*c.hd)
		v := randVec(r, total*c.kv*c.hd)
		out := make([]float32, len(q))
		scale := 1 / math.Sqrt(float64(c.hd))
		k.Attention(out, q, kk, v, c.nq, c.pos0, c.heads, c.kv, c.hd, float32(scale))
		close32(t, "attention", out, naiveAttention(q, kk, v, c.nq, c.pos0, c.heads, c.kv, c.hd, scale), 1e-5)
	}
}

func TestConversions(t *testing.T) {
	// Every f16 pattern widens exactly (compare with float64 arithmetic).
	for h := range 1 << 16 {
		u := uint16(h)
		got := F16ToF32(u)
		exp := int(u>>10) & 0x1f
		mant := float64(u & 0x3ff)
		var want float64
		switch {
		case exp == 0:
			want = mant * math.Pow(2, -24)
		case exp == 31 && mant == 0:
			want = math.Inf(1)
		case exp == 31:
			want = math.NaN()
		default:
			want = (1 + mant/1024) * math.Pow(2, float64(exp-15))
		}
		if u>>15 == 1 {
			want = -want
		}
		if math.IsNaN(want) != math.IsNaN(float64(got)) || (!math.IsNaN(want) && float64(got) != want) {
			t.Fatalf("F16ToF32(%#04x) = %v, want %v", u, got, want)
		}
		if !math.IsNaN(want) && F32ToF16(got) != u {
			t.Fatalf("F32ToF16(F16ToF32(%#04x)) = %#04x", u, F32ToF16(got))
		}
		if b := uint16(h); !math.IsNaN(float64(BF16ToF32(b))) && F32ToBF16(BF16ToF32(b)) != b {
			t.Fatalf("bf16 round trip of %#04x", b)
		}
	}
	// Rounding: ties to even.
	if got := F32ToBF16(math.Float32frombits(0x3f808000)); got != 0x3f80 {
		t.Errorf("bf16 tie rounds to %#04x, want 0x3f80", got)
	}
	if got := F32ToBF16(math.Float32frombits(0x3f818000)); got != 0x3f82 {
		t.Errorf("bf16 tie rounds to %#04x, want 0x3f82", got)
	}
	if got := F32ToF16(65520); got != 0x7c00 {
		t.Errorf("F32ToF16(65520) = %#04x, want +Inf", got)
	}
	w := &Matrix{DType: BF16, Rows: 2, Cols: 3, U16: []uint16{0x3f80, 0x4000, 0xc040, 0, 0x8000, 0x3f00}}
	dst := make([]float32, 3)
	NewGeneric(1).ToF32(dst, w, 0)
	if dst[0] != 1 || dst[1] != 2 || dst[2] != -3 {
		t.Errorf("ToF32 row 0 = %v", dst)
	}
}

func TestPool(t *testing.T) {
	p := NewPool(3)
	defer p.Close()
	for _, n := range []int{0, 1, 2, 3, 10, 1001} {
		seen := make([]int32, n)
		var mu sync.Mutex
		p.Run(n, func(w, lo, hi int) {
			if w < 0 || w >= 3 {
				t.Errorf("worker id %d", w)
			}
			mu.Lock()
			defer mu.Unlock()
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("n=%d: item %d ran %d times", n, i, c)
			}
		}
	}
	// Concurrent callers each get their own completion.
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			sum := make([]int, 100)
			for range 50 {
				p.Run(100, func(_, lo, hi int) {
					for i := lo; i < hi; i++ {
						sum[i] += g
					}
				})
			}
			for i := range sum {
				if sum[i] != 50*g {
					t.Errorf("caller %d item %d = %d", g, i, sum[i])
					return
				}
			}
		})
	}
	wg.Wait()
	p.Close()
	p.Close() // idempotent
}

func TestMatMulDeterministicAcrossWorkers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	w, _ := matrix(r, BF16, 67, 129)
	x := randVec(r, 5*129)
	var ref []float32
	for _, workers := range []int{1, 2, 3, 8} {
		k := NewGeneric(workers)
		out := make([]float32, 5*67)
		k.MatMul(out, x, 5, w)
		k.Close()
		if ref == nil {
			ref = out
			continue
		}
		for i := range out {
			if out[i] != ref[i] {
				t.Fatalf("workers=%d: out[%d] = %v, want %v (bit-identical)", workers, i, out[i], ref[i])
			}
		}
	}
}

// TestGEMVFusedMatchesGEMM: the fused bf16 decode path gives bit-identical
// results to the widen-then-dot path used for M > 1.
func TestGEMVFusedMatchesGEMM(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	w, _ := matrix(r, BF16, 70, 131)
	x := randVec(r, 2*131)
	k := NewGeneric(2)
	defer k.Close()
	both := make([]float32, 2*70)
	k.MatMul(both, x, 2, w)
	for m := range 2 {
		one := make([]float32, 70)
		k.MatMul(one, x[m*131:(m+1)*131], 1, w)
		for n := range one {
			if one[n] != both[m*70+n] {
				t.Fatalf("row %d col %d: GEMV %v, GEMM %v", m, n, one[n], both[m*70+n])
			}
		}
	}
}

func BenchmarkGenericGEMV(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	w, _ := matrix(r, BF16, 2048, 2048)
	x := randVec(r, 2048)
	out := make([]float32, 2048)
	k := NewGeneric(1)
	defer k.Close()
	b.SetBytes(2 * 2048 * 2048)
	for b.Loop() {
		k.MatMul(out, x, 1, w)
	}
}

// TestGenericNoAllocs: the portable MatMul (all three splits) and
// Attention allocate nothing once their buffers are warm.
func TestGenericNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
	}
	k := NewGeneric(2)
	defer k.Close()
	rng := rand.New(rand.NewPCG(2, 2))
	x, out := make([]float32, 64*256), make([]float32, 64*256)
	q := make([]float32, 4*64)
	kv := make([]float32, 100*4*64)
	for _, c := range []struct {
		dt      DType
		M, N, K int
	}{{BF16, 1, 256, 256}, {F32, 1, 256, 256}, {BF16, 4, 256, 256}, {F16, 64, 8, 256}} {
		w, _ := matrix(rng, c.dt, c.N, c.K)
		k.MatMul(out, x, c.M, w)
		if a := testing.AllocsPerRun(50, func() { k.MatMul(out, x, c.M, w) }); a != 0 {
			t.Errorf("MatMul %v M=%d N=%d: %v allocations per call", c.dt, c.M, c.N, a)
		}
	}
	k.Attention(q, q, kv, kv, 1, 99, 4, 4, 64, 0.125)
	if a := testing.AllocsPerRun(50, func() { k.Attention(q, q, kv, kv, 1, 99, 4, 4, 64, 0.125) }); a != 0 {
		t.Errorf("Attention: %v allocations per call", a)
	}
}
