//go:build amd64

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// avxPaths opens the avx512 paths, skipping the test on machines without
// AVX-512 BF16.
func avxPaths(t testing.TB) (fast, exact, gen Kernels) {
	t.Helper()
	if !HasAVX512() {
		t.Skip("CPU lacks AVX-512 F/BW/VL + AVX512_BF16; avx512 path not testable here")
	}
	var err error
	if fast, err = Open("avx512-bf16", 2); err != nil {
		t.Fatal(err)
	}
	if exact, err = Open("avx512-exact", 2); err != nil {
		t.Fatal(err)
	}
	gen = NewGeneric(2)
	t.Cleanup(func() { fast.Close(); exact.Close(); gen.Close() })
	return fast, exact, gen
}

// packedPaths opens avx512-bf16 and avx512-exact with the packed GEMM
// taken from M = 1 on (whenever K allows), so tests reach every
// micro-tile height and tail of it on small shapes.
func packedPaths(t testing.TB) []Kernels {
	t.Helper()
	var ks []Kernels
	for _, p := range []string{"avx512-bf16", "avx512-exact"} {
		k, err := Open(p, 2)
		if err != nil {
			t.Fatal(err)
		}
		k.(*avx512).packMin = 1
		t.Cleanup(k.Close)
		ks = append(ks, k)
	}
	return ks
}

// withAMX returns ks plus the amx-bf16 path when this machine has it.
func withAMX(t testing.TB, ks ...Kernels) []Kernels {
	t.Helper()
	if !HasAMX() {
		return ks
	}
	k, err := Open("amx-bf16", 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return append(ks, k)
}

// offsetVec returns n random values starting one element into a larger
// buffer, so kernels see unaligned data and a neighbour they must not
// read past (it is NaN).
func offsetVec(r *rand.Rand, n int) []float32 {
	b := make([]float32, n+2)
	for i := range b {
		b[i] = float32(r.NormFloat64())
	}
	b[0], b[n+1] = float32(math.NaN()), float32(math.NaN())
	return b[1 : n+1 : n+1]
}

func offsetMatrix(r *rand.Rand, dt DType, rows, cols int) *Matrix {
	m := &Matrix{DType: dt, Rows: rows, Cols: cols}
	n := rows * cols
	switch dt {
	case F32:
		m.F32 = offsetVec(r, n)
	default:
		b := make([]uint16, n+2)
		for i := range b {
			f := float32(r.NormFloat64())
			if dt == BF16 {
				b[i] = F32ToBF16(f)
			} else {
				b[i] = F32ToF16(f)
			}
		}
		b[0], b[n+1] = 0x7fc1, 0x7fc1 // NaN in both encodings' top bits
		m.U16 = b[1 : n+1 : n+1]
	}
	return m
}

func weightAt(w *Matrix, i int) float64 {
	switch w.DType {
	case F32:
		return float64(w.F32[i])
	case BF16:
		return float64(BF16ToF32(w.U16[i]))
	}
	return float64(F16ToF32(w.U16[i]))
}

var testSizes = []int{1, 7, 15, 16, 17, 31, 33, 127}

// TestMatMulAVX512 checks every tile shape and tail against the generic
// kernel and a float64 reference. Tolerances are relative to S = Σ|x·w|
// of each output: f32 accumulation stays within 1e-5·S; the bf16 path
// rounds each activation to bf16 (relative error ≤ 2⁻⁹), so it must match
// a float64 reference computed on the rounded activations within 1e-5·S
// and the exact result within 2⁻⁸·S.
func TestMatMulAVX512(t *testing.T) {
	fast, exact, gen := avxPaths(t)
	paths := withAMX(t, append([]Kernels{fast, exact}, packedPaths(t)...)...)
	r := rand.New(rand.NewPCG(3, 4))
	type shape struct{ M, N, K int }
	var shapes []shape
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 13, 100} {
		for _, n := range []int{1, 3, 9, 17} {
			shapes = append(shapes, shape{m, n, testSizes[(m+n)%len(testSizes)]})
		}
	}
	for _, k := range testSizes {
		shapes = append(shapes, shape{1, 33, k}, shape{7, 8, k})
	}
	shapes = append(shapes, shape{1, 9, 4097}, shape{9, 5, 4097}, shape{97, 65, 96}, shape{200, 8, 32})
	// Packed GEMM (forced from M = 1 by packedPaths, and on its own from
	// gemmMinRows; K a multiple of 16 or 32): every micro-tile height,
	// panel tails, several k blocks (gemmKC) and pack groups (gemmKG),
	// more rows than one activation block (gemmMC), and the K%32 ≠ 0
	// shapes that the bf16-pair layout leaves to the tiles.
	shapes = append(shapes, shape{gemmMinRows, 33, 16}, shape{17, 1, 32}, shape{25, 64, 48}, shape{gemmMC + 1, 33, gemmKC + 16},
		shape{40, 300, 2*gemmKC + 16}, shape{16, 32, 4096}, shape{gemmMC + 13, 257, 64}, shape{35, 96, 544},
		shape{gemmMC + 1, 65, gemmKG + 48})
	for _, dt := range []DType{F32, BF16, F16} {
		for _, sh := range shapes {
			w := offsetMatrix(r, dt, sh.N, sh.K)
			x := offsetVec(r, sh.M*sh.K)
			want := make([]float32, sh.M*sh.N)
			gen.MatMul(want, x, sh.M, w)
			for _, k := range paths {
				name := fmt.Sprintf("%s/%v/M%d_N%d_K%d", k.Name(), dt, sh.M, sh.N, sh.K)
				got := offsetVec(r, sh.M*sh.N)
				k.MatMul(got, x, sh.M, w)
				rounded := dt == BF16 && RoundsActivations(k.Name())
				for m := 0; m < sh.M; m++ {
					for n := 0; n < sh.N; n++ {
						var s, ref, refq float64
						for kk := 0; kk < sh.K; kk++ {
							wv := weightAt(w, n*sh.K+kk)
							xv := float64(x[m*sh.K+kk])
							s += math.Abs(xv * wv)
							ref += xv * wv
							refq += float64(BF16ToF32(F32ToBF16(x[m*sh.K+kk]))) * wv
						}
						g := float64(got[m*sh.N+n])
						gw := float64(want[m*sh.N+n])
						tol := 1e-5*s + 1e-30
						switch {
						case rounded:
							if math.Abs(g-refq) > tol || math.Abs(g-gw) > s/256+tol {
								t.Fatalf("%s out[%d][%d] = %v, generic %v, bf16-activation reference %v (S=%g)", name, m, n, g, gw, refq, s)
							}
						default:
							if math.Abs(g-gw) > tol || math.Abs(g-ref) > tol {
								t.Fatalf("%s out[%d][%d] = %v, generic %v, reference %v (S=%g)", name, m, n, g, gw, ref, s)
							}
						}
					}
				}
			}
		}
	}
}

func TestMatMulAVX512Empty(t *testing.T) {
	fast, _, _ := avxPaths(t)
	w := &Matrix{DType: BF16, Rows: 3, Cols: 0}
	out := []float32{1, 2, 3}
	fast.MatMul(out, nil, 1, w)
	for _, v := range out {
		if v != 0 {
			t.Fatalf("K=0 output %v, want zeros", out)
		}
	}
}

func TestConvertAVX512(t *testing.T) {
	if !HasAVX512() {
		t.Skip("no AVX-512 BF16")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range append(testSizes, 4097) {
		x := offsetVec(r, n)
		x[0] = float32(math.Inf(1))
		if n > 2 {
			x[1] = float32(math.Copysign(0, -1))
			x[2] = 1 + 1.0/256 // a tie: rounds to even (1.0)
		}
		q := make([]uint16, n+1)
		cvtF32BF16(&q[0], &x[0], n)
		if q[n] != 0 {
			t.Fatalf("n=%d: wrote past the end", n)
		}
		for i, v := range x {
			if want := F32ToBF16(v); q[i] != want {
				t.Fatalf("n=%d: bf16(%v) = %#04x, want %#04x", n, v, q[i], want)
			}
		}
		back := offsetVec(r, n)
		cvtBF16F32(&back[0], &q[0], n)
		for i := range back {
			if want := BF16ToF32(q[i]); math.Float32bits(back[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: f32(bf16 %#04x) = %v, want %v", n, q[i], back[i], want)
			}
		}
		h := make([]uint16, n)
		for i := range h {
			h[i] = F32ToF16(x[i])
		}
		cvtF16F32(&back[0], &h[0], n)
		for i := range back {
			if want := F16ToF32(h[i]); math.Float32bits(back[i]) != math.Float32bits(want) {
				t.Fatalf("n=%d: f32(f16 %#04x) = %v, want %v", n, h[i], back[i], want)
			}
		}
	}
}

func TestToF32AVX512(t *testing.T) {
	fast, _, gen := avxPaths(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []DType{F32, BF16, F16} {
		for _, k := range testSizes {
			w := offsetMatrix(r, dt, 3, k)
			for row := 0; row < 3; row++ {
				got, want := offsetVec(r, k), make([]float32, k)
				fast.ToF32(got, w, row)
				gen.ToF32(want, w, row)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("%v K=%d row %d [%d] = %v, want %v", dt, k, row, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// elemTol compares element-wise results with a relative tolerance.
func elemTol(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.Abs(g-w) > tol*(math.Abs(w)+1e-30) && math.Abs(g-w) > 1e-37 {
			t.Fatalf("%s[%d] = %v, want %v (rel %g > %g)", what, i, got[i], want[i], math.Abs(g-w)/math.Abs(w), tol)
		}
	}
}

func TestElementwiseAVX512(t *testing.T) {
	fast, _, gen := avxPaths(t)
	r := rand.New(rand.NewPCG(9, 10))
	for _, n := range append(testSizes, 4097, 70000) {
		x, up := offsetVec(r, n), offsetVec(r, n)
		for i := range x {
			x[i] *= 8 // exercise exp over a wide range
		}
		got, want := offsetVec(r, n), make([]float32, n)
		fast.SiLUMul(got, x, up)
		gen.SiLUMul(want, x, up)
		elemTol(t, fmt.Sprintf("SiLUMul n=%d", n), got, want, 2e-6)

		got, want = append([]float32(nil), x...), append([]float32(nil), x...)
		fast.Add(got, up)
		gen.Add(want, up)
		elemTol(t, fmt.Sprintf("Add n=%d", n), got, want, 0)

		got, want = append([]float32(nil), x...), append([]float32(nil), x...)
		fast.Softmax(got)
		gen.Softmax(want)
		elemTol(t, fmt.Sprintf("Softmax n=%d", n), got, want, 4e-6)
	}
	for _, d := range testSizes {
		for _, rows := range []int{1, 3} {
			x, wt := offsetVec(r, rows*d), offsetVec(r, d)
			got, want := offsetVec(r, rows*d), make([]float32, rows*d)
			fast.RMSNorm(got, x, wt, 1e-6)
			gen.RMSNorm(want, x, wt, 1e-6)
			elemTol(t, fmt.Sprintf("RMSNorm d=%d rows=%d", d, rows), got, want, 2e-6)
			fast.RMSNorm(x, x, wt, 1e-6) // in place
			elemTol(t, fmt.Sprintf("RMSNorm in place d=%d", d), x, want, 2e-6)
		}
	}
	neg := []float32{float32(math.Inf(-1)), float32(math.Inf(-1))}
	fast.Softmax(neg)
	if neg[0] != 0 || neg[1] != 0 {
		t.Fatalf("Softmax of all -Inf = %v, want zeros", neg)
	}
	mixed := []float32{float32(math.Inf(-1)), 0, -200, 100}
	fast.Softmax(mixed)
	if mixed[0] != 0 || mixed[2] != 0 || math.Abs(float64(mixed[3])-1) > 1e-6 {
		t.Fatalf("Softmax(-Inf, 0, -200, 100) = %v", mixed)
	}
}

func TestAttentionAVX512(t *testing.T) {
	fast, _, gen := avxPaths(t)
	r := rand.New(rand.NewPCG(11, 12))
	for _, c := range []attnCase{
		{1, 0, 1, 1, 1}, {1, 6, 2, 1, 7}, {3, 4, 4, 2, 16}, {5, 0, 2, 2, 17},
		{1, 33, 4, 4, 64}, {2, 126, 2, 1, 128}, {7, 9, 3, 1, 33}, {1, 4096, 1, 1, 15},
		// Blocked (prefill) path: several query blocks, partial key
		// panels, GQA, a cached prefix, head sizes 32/64/128, and one
		// head size the blocked path leaves to the per-row kernels.
		{attnMinRows, 0, 2, 1, 32}, {attnBlockRows + 5, 0, 4, 2, 64}, {2*attnBlockRows + 1, 37, 3, 3, 128},
		{70, 200, 2, 1, 64}, {33, 5000, 1, 1, 32}, {20, 3, 2, 2, 48},
	} {
		checkAttention(t, fast, gen, r, c, 2e-5)
	}
}

// attnCase is an Attention shape: query rows, cached positions, query
// heads, KV heads, head size.
type attnCase struct{ nq, pos0, heads, kv, hd int }

// checkAttention compares k's Attention with the generic kernel on fresh
// random data within an absolute tolerance.
func checkAttention(t testing.TB, k, gen Kernels, r *rand.Rand, c attnCase, tol float64) {
	t.Helper()
	ctx := c.pos0 + c.nq
	q := offsetVec(r, c.nq*c.heads*c.hd)
	kc := offsetVec(r, ctx*c.kv*c.hd)
	v := offsetVec(r, ctx*c.kv*c.hd)
	got, want := offsetVec(r, len(q)), make([]float32, len(q))
	scale := float32(1 / math.Sqrt(float64(c.hd)))
	k.Attention(got, q, kc, v, c.nq, c.pos0, c.heads, c.kv, c.hd, scale)
	gen.Attention(want, q, kc, v, c.nq, c.pos0, c.heads, c.kv, c.hd, scale)
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol || math.IsNaN(float64(got[i])) {
			t.Fatalf("%+v out[%d] = %v, want %v", c, i, got[i], want[i])
		}
	}
}

func TestOpen(t *testing.T) {
	if _, err := Open("nonsense", 1); err == nil {
		t.Fatal("Open(nonsense) succeeded")
	}
	k, err := Open("generic", 1)
	if err != nil || k.Name() != "generic" {
		t.Fatalf("Open(generic) = %v, %v", k, err)
	}
	k.Close()
	k, err = Open("avx512", 1)
	if HasAVX512() != (err == nil) {
		t.Fatalf("Open(avx512) error %v with HasAVX512 %v", err, HasAVX512())
	}
	if err == nil {
		k.Close()
	}
	t.Setenv(EnvVar, "generic")
	k, err = New()
	if err != nil || k.Name() != "generic" {
		t.Fatalf("New with %s=generic = %v, %v", EnvVar, k, err)
	}
	k.Close()
}

func TestResolve(t *testing.T) {
	for _, p := range Paths {
		r := Resolve(p)
		k, err := Open(p, 1)
		if err != nil {
			if r != "" {
				t.Fatalf("Resolve(%q) = %q but Open fails: %v", p, r, err)
			}
			continue
		}
		if k.Name() != r {
			t.Fatalf("Resolve(%q) = %q, Open gives %q", p, r, k.Name())
		}
		k.Close()
	}
	if Resolve("bogus") != "" {
		t.Fatal("Resolve(bogus) not empty")
	}
}

// TestAVX512NoAllocs checks that MatMul and Attention allocate nothing,
// pool dispatch included (the decode loop must not allocate per token).
func TestAVX512NoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops items)")
	}
	fast, exact, _ := avxPaths(t)
	p := NewPool(2)
	defer p.Close()
	nop := func(_, _, _ int) {}
	if a := testing.AllocsPerRun(50, func() { p.RunChunks(64, 2, nop) }); a != 0 {
		t.Errorf("Pool.RunChunks: %v allocations per call, want 0", a)
	}
	const poolAllocs = 0
	w := offsetMatrix(rand.New(rand.NewPCG(1, 1)), BF16, 256, 256)
	x, out := make([]float32, 32*256), make([]float32, 32*256)
	kv := make([]float32, 100*4*64)
	for _, k := range withAMX(t, append([]Kernels{fast, exact}, packedPaths(t)...)...) {
		for _, M := range []int{1, 2, 32} { // tiles and the packed GEMM
			k.MatMul(out, x, M, w) // warm the buffers
			if a := testing.AllocsPerRun(50, func() { k.MatMul(out, x, M, w) }); a > poolAllocs {
				t.Errorf("%s MatMul M=%d: %v allocations per call, the pool alone makes %v", k.Name(), M, a, poolAllocs)
			}
			MatMulSwiGLU(k, out, nil, x, M, w, w)
			if a := testing.AllocsPerRun(50, func() { MatMulSwiGLU(k, out, nil, x, M, w, w) }); a > poolAllocs {
				t.Errorf("%s MatMulSwiGLU M=%d: %v allocations per call", k.Name(), M, a)
			}
			ls := []Linear{{Out: out, W: w}, {Out: out, W: w, Up: w}}
			normed := make([]float32, len(x))
			NormLinear(k, normed, nil, x, M, x[:256], 1e-6, ls)
			if a := testing.AllocsPerRun(50, func() { NormLinear(k, normed, nil, x, M, x[:256], 1e-6, ls) }); a > poolAllocs {
				t.Errorf("%s NormLinear M=%d: %v allocations per call", k.Name(), M, a)
			}
		}
		for _, nq := range []int{1, attnMinRows} { // per-row and blocked
			q := make([]float32, nq*4*64)
			k.Attention(q, q, kv, kv, nq, 100-nq, 4, 4, 64, 0.125)
			if a := testing.AllocsPerRun(50, func() { k.Attention(q, q, kv, kv, nq, 100-nq, 4, 4, 64, 0.125) }); a > poolAllocs {
				t.Errorf("%s Attention nq=%d: %v allocations per call, the pool alone makes %v", k.Name(), nq, a, poolAllocs)
			}
		}
		if a := testing.AllocsPerRun(50, func() {
			k.RMSNorm(out, x, x[:256], 1e-6)
			k.SiLUMul(out, x, x)
			k.Softmax(out)
			k.Add(out, x)
		}); a != 0 {
			t.Errorf("%s element-wise kernels: %v allocations", k.Name(), a)
		}
	}
}

func TestRoPEAVX512(t *testing.T) {
	fast, _, gen := avxPaths(t)
	if _, ok := gen.(RoPEKernels); ok {
		t.Log("generic has its own RoPE")
	}
	r := rand.New(rand.NewPCG(13, 14))
	for _, hd := range []int{2, 14, 32, 34, 64, 128, 256} {
		inv := make([]float32, hd/2)
		for i := range inv {
			inv[i] = float32(math.Pow(10000, -2*float64(i)/float64(hd)))
		}
		tab := NewRoPETable(40, inv)
		for _, c := range []struct{ rows, heads, pos0 int }{{1, 1, 0}, {3, 5, 7}, {7, 2, 33}} {
			x := offsetVec(r, c.rows*c.heads*hd)
			want := append([]float32(nil), x...)
			ropeGeneric(want, c.rows, c.heads, hd, c.pos0, tab)
			ApplyRoPE(fast, x, c.rows, c.heads, hd, c.pos0, tab)
			for i := range x {
				if d := math.Abs(float64(x[i] - want[i])); d > 1e-6*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("hd=%d %+v x[%d] = %v, want %v", hd, c, i, x[i], want[i])
				}
			}
		}
	}
}

// TestMatMulSwiGLUAVX512 checks the fused gate/up kernel on the tile and
// the packed paths: bit-identical to MatMul, MatMul and SiLUMul on the
// same path (same tiles, same k order, same activation), and close to the
// generic kernels.
func TestMatMulSwiGLUAVX512(t *testing.T) {
	fast, exact, gen := avxPaths(t)
	r := rand.New(rand.NewPCG(5, 6))
	type shape struct{ M, N, K int }
	shapes := []shape{{1, 1, 1}, {1, 33, 17}, {3, 9, 64}, {6, 70, 31}, {7, 17, 48}, {gemmMinRows, 33, 32}, {29, 300, 2*gemmKC + 32}, {gemmMC + 5, 40, 64}}
	for _, dt := range []DType{F32, BF16, F16} {
		for _, sh := range shapes {
			gate, up := offsetMatrix(r, dt, sh.N, sh.K), offsetMatrix(r, dt, sh.N, sh.K)
			x := offsetVec(r, sh.M*sh.K)
			n := sh.M * sh.N
			want := make([]float32, n)
			MatMulSwiGLU(gen, want, make([]float32, n), x, sh.M, gate, up)
			for _, k := range withAMX(t, append([]Kernels{fast, exact}, packedPaths(t)...)...) {
				name := fmt.Sprintf("%s/%v/M%d_N%d_K%d", k.Name(), dt, sh.M, sh.N, sh.K)
				got := offsetVec(r, n)
				MatMulSwiGLU(k, got, nil, x, sh.M, gate, up)
				g, u := make([]float32, n), make([]float32, n)
				k.MatMul(g, x, sh.M, gate)
				k.MatMul(u, x, sh.M, up)
				k.SiLUMul(g, g, u)
				for i := range n {
					if math.Float32bits(got[i]) != math.Float32bits(g[i]) {
						t.Fatalf("%s: fused out[%d] = %v, unfused %v", name, i, got[i], g[i])
					}
					// |Δg| ≤ e·Sg and |Δu| ≤ e·Su (see TestMatMulAVX512),
					// silu' ≤ 1.1, plus the element-wise kernel's error.
					m, c := i/sh.N, i%sh.N
					var gr, ur, sg, su float64
					for kk := range sh.K {
						xv := float64(x[m*sh.K+kk])
						gw, uw := weightAt(gate, c*sh.K+kk), weightAt(up, c*sh.K+kk)
						gr, ur, sg, su = gr+xv*gw, ur+xv*uw, sg+math.Abs(xv*gw), su+math.Abs(xv*uw)
					}
					e := 1e-5
					if dt == BF16 && RoundsActivations(k.Name()) {
						e = 1.0 / 256
					}
					silu := gr / (1 + math.Exp(-gr))
					tol := 1.1*e*sg*(math.Abs(ur)+e*su) + math.Abs(silu)*e*su + 4e-6*math.Abs(silu*ur) + 1e-30
					if d := math.Abs(float64(got[i]) - silu*ur); d > tol {
						t.Fatalf("%s: out[%d] = %v, float64 reference %v, generic %v (tolerance %g)", name, i, got[i], silu*ur, want[i], tol)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MatMulSwiGLU with mismatched gate and up did not panic")
		}
	}()
	MatMulSwiGLU(exact, make([]float32, 4), nil, make([]float32, 4), 1, &Matrix{DType: F32, Rows: 2, Cols: 2, F32: make([]float32, 4)}, &Matrix{DType: F32, Rows: 2, Cols: 1, F32: make([]float32, 2)})
}

// TestNormLinearAVX512 checks the fused RMSNorm + products against
// RMSNorm followed by MatMul / MatMulSwiGLU on the same path: bit-identical
// on the tiles and the packed GEMM, for both bf16 methods (the bf16 one
// quantises inside the norm), and with mixed dtypes (the unfused
// fallback).
func TestNormLinearAVX512(t *testing.T) {
	fast, exact, gen := avxPaths(t)
	r := rand.New(rand.NewPCG(7, 8))
	for _, dt := range []DType{F32, BF16, F16} {
		for _, sh := range []struct{ M, D int }{{1, 16}, {3, 31}, {5, 64}, {gemmMinRows, 48}, {40, 96}, {gemmMinRows + 1, 33}} {
			for _, k := range withAMX(t, append([]Kernels{fast, exact, gen}, packedPaths(t)...)...) {
				name := fmt.Sprintf("%s/%v/M%d_D%d", k.Name(), dt, sh.M, sh.D)
				x := offsetVec(r, sh.M*sh.D)
				norm := offsetVec(r, sh.D)
				wq, wk := offsetMatrix(r, dt, 40, sh.D), offsetMatrix(r, dt, 7, sh.D)
				gate, up := offsetMatrix(r, dt, 33, sh.D), offsetMatrix(r, dt, 33, sh.D)
				mixed := offsetMatrix(r, F32, 9, sh.D)
				outs := func() []Linear {
					return []Linear{{Out: make([]float32, sh.M*40), W: wq}, {Out: make([]float32, sh.M*7), W: wk}, {Out: make([]float32, sh.M*33), W: gate, Up: up}}
				}
				got := outs()
				NormLinear(k, make([]float32, sh.M*sh.D), make([]float32, sh.M*33), x, sh.M, norm, 1e-5, got)
				a := make([]float32, sh.M*sh.D)
				k.RMSNorm(a, x, norm, 1e-5)
				want := outs()
				k.MatMul(want[0].Out, a, sh.M, wq)
				k.MatMul(want[1].Out, a, sh.M, wk)
				MatMulSwiGLU(k, want[2].Out, make([]float32, sh.M*33), a, sh.M, gate, up)
				for i := range got {
					for j := range got[i].Out {
						if math.Float32bits(got[i].Out[j]) != math.Float32bits(want[i].Out[j]) {
							t.Fatalf("%s product %d out[%d] = %v, unfused %v", name, i, j, got[i].Out[j], want[i].Out[j])
						}
					}
				}
				if dt == F32 {
					continue
				}
				// Mixed dtypes take the unfused path and still agree.
				m := []Linear{{Out: make([]float32, sh.M*40), W: wq}, {Out: make([]float32, sh.M*9), W: mixed}}
				NormLinear(k, make([]float32, sh.M*sh.D), nil, x, sh.M, norm, 1e-5, m)
				w9 := make([]float32, sh.M*9)
				k.MatMul(w9, a, sh.M, mixed)
				for j := range w9 {
					if math.Float32bits(m[1].Out[j]) != math.Float32bits(w9[j]) || math.Float32bits(m[0].Out[j%len(m[0].Out)]) != math.Float32bits(want[0].Out[j%len(m[0].Out)]) {
						t.Fatalf("%s mixed dtypes: out[%d] = %v, unfused %v", name, j, m[1].Out[j], w9[j])
					}
				}
			}
		}
	}
}
