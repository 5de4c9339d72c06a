package kernels

import (
	"math"
	"sync"
)

// generic is the portable Go implementation of Kernels. It is the numeric
// reference: other implementations are tested against it.
type generic struct {
	pool *Pool
	// scratch[w] is worker w's private buffer (weight row in f32, or
	// attention scores). Only worker w touches it, so it needs no lock.
	scratch [][]float32
	// mmJobs and attnJobs recycle per-call work descriptions, so MatMul
	// and Attention allocate nothing in the steady state.
	mmJobs, attnJobs sync.Pool
}

// NewGeneric returns the portable implementation with a persistent pool of
// workers goroutines (workers < 1 means 1). Callers usually pass
// runtime.GOMAXPROCS(0).
func NewGeneric(workers int) Kernels {
	p := NewPool(workers)
	return &generic{pool: p, scratch: make([][]float32, p.Workers())}
}

func (g *generic) Name() string { return "generic" }

func (g *generic) Close() { g.pool.Close() }

// buf returns worker w's scratch buffer with at least n elements.
func (g *generic) buf(w, n int) []float32 {
	if cap(g.scratch[w]) < n {
		g.scratch[w] = make([]float32, scratchSize(n))
	}
	return g.scratch[w][:n]
}

// scratchSize rounds a scratch request up to a power of two (at least
// 1024 values), so attention score buffers that grow by one position per
// decoded token are reallocated only O(log n) times per sequence, not per
// token.
func scratchSize(n int) int {
	s := 1024
	for s < n {
		s *= 2
	}
	return s
}

// minRowsPerChunk keeps tiny matrices (the exit gate, biases) from being
// split across goroutines where the dispatch would cost more than the work.
const minRowsPerChunk = 16

func (g *generic) MatMul(out, x []float32, M int, w *Matrix) {
	N, K := w.Rows, w.Cols
	if M <= 0 || N == 0 {
		return
	}
	_ = x[M*K-1]
	_ = out[M*N-1]
	j, _ := g.mmJobs.Get().(*genericMM)
	if j == nil {
		j = &genericMM{g: g}
		j.gemv, j.cols, j.rows = j.runGEMV, j.runCols, j.runRows
	}
	j.out, j.x, j.w, j.M = out, x, w, M
	workers := g.pool.Workers()
	switch {
	case M == 1 && w.DType == BF16:
		// Decode GEMV: one fused pass over the bf16 weights (same
		// products and summation order as widening then Dot).
		g.pool.RunChunks(N, max(1, min(workers, N/minRowsPerChunk)), j.gemv)
	case N >= workers*minRowsPerChunk || M == 1:
		// Split output columns (weight rows): each worker streams its own
		// slice of the weights once and reuses each row for all M inputs.
		g.pool.RunChunks(N, max(1, min(workers, N/minRowsPerChunk)), j.cols)
	default:
		// Few output columns, many inputs: split the inputs.
		g.pool.Run(M, j.rows)
	}
	j.out, j.x, j.w = nil, nil, nil
	g.mmJobs.Put(j)
}

// genericMM is one MatMul call's operands, recycled through a sync.Pool
// with its chunk functions bound once, so MatMul allocates nothing.
type genericMM struct {
	g                *generic
	gemv, cols, rows func(worker, lo, hi int)
	out, x           []float32
	w                *Matrix
	M                int
}

func (j *genericMM) runGEMV(_, lo, hi int) {
	K, x, u := j.w.Cols, j.x, j.w.U16
	for n := lo; n < hi; n++ {
		j.out[n] = dotBF16(x[:K], u[n*K:n*K+K])
	}
}

func (j *genericMM) runCols(wk, lo, hi int) {
	w, M, N, K := j.w, j.M, j.w.Rows, j.w.Cols
	var row []float32
	if w.DType != F32 {
		row = j.g.buf(wk, K)
	}
	for n := lo; n < hi; n++ {
		r := rowF32(row, w, n)
		for m := range M {
			j.out[m*N+n] = Dot(j.x[m*K:m*K+K], r)
		}
	}
}

func (j *genericMM) runRows(wk, lo, hi int) {
	w, N, K := j.w, j.w.Rows, j.w.Cols
	var row []float32
	if w.DType != F32 {
		row = j.g.buf(wk, K)
	}
	for n := range N {
		r := rowF32(row, w, n)
		for m := lo; m < hi; m++ {
			j.out[m*N+n] = Dot(j.x[m*K:m*K+K], r)
		}
	}
}

// rowF32 returns row n of w as float32, converting into buf when w is not
// F32 (buf has len w.Cols) and borrowing the weights otherwise.
func rowF32(buf []float32, w *Matrix, n int) []float32 {
	K := w.Cols
	switch w.DType {
	case F32:
		return w.F32[n*K : n*K+K]
	case BF16:
		src := w.U16[n*K : n*K+K]
		for i, u := range src {
			buf[i] = BF16ToF32(u)
		}
	case F16:
		src := w.U16[n*K : n*K+K]
		for i, u := range src {
			buf[i] = F16ToF32(u)
		}
	default:
		panic("kernels: unknown dtype " + w.DType.String())
	}
	return buf
}

// Dot returns Σ a[i]·b[i] accumulated in float32 with four interleaved
// partial sums (summed as (s0+s1)+(s2+s3)), then the tail. len(b) must be
// at least len(a).
func Dot(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	s := (s0 + s1) + (s2 + s3)
	for ; i < n; i++ {
		s += a[i] * b[i]
	}
	return s
}

// dotBF16 is Dot(a, widen(b)) without materialising the widened row.
func dotBF16(a []float32, b []uint16) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= n; i += 4 {
		s0 += a[i] * math.Float32frombits(uint32(b[i])<<16)
		s1 += a[i+1] * math.Float32frombits(uint32(b[i+1])<<16)
		s2 += a[i+2] * math.Float32frombits(uint32(b[i+2])<<16)
		s3 += a[i+3] * math.Float32frombits(uint32(b[i+3])<<16)
	}
	s := (s0 + s1) + (s2 + s3)
	for ; i < n; i++ {
		s += a[i] * math.Float32frombits(uint32(b[i])<<16)
	}
	return s
}

func (g *generic) RMSNorm(out, x, weight []float32, eps float32) {
	d := len(weight)
	if d == 0 {
		return
	}
	for r := 0; r+d <= len(x); r += d {
		row := x[r : r+d]
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		inv := float32(1 / math.Sqrt(ss/float64(d)+float64(eps)))
		o := out[r : r+d]
		for i, v := range row {
			o[i] = (v * inv) * weight[i]
		}
	}
}

func (g *generic) SiLUMul(out, gate, up []float32) {
	for i, v := range gate {
		out[i] = v / (1 + float32(math.Exp(float64(-v)))) * up[i]
	}
}

func (g *generic) Add(dst, src []float32) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}

func (g *generic) Softmax(x []float32) { softmax(x) }

func softmax(x []float32) {
	if len(x) == 0 {
		return
	}
	mx := float32(math.Inf(-1))
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	if math.IsInf(float64(mx), -1) {
		// Every entry is -Inf: no mass anywhere; return uniform zeros
		// rather than NaN.
		for i := range x {
			x[i] = 0
		}
		return
	}
	var sum float64
	for i, v := range x {
		e := float32(math.Exp(float64(v - mx)))
		x[i] = e
		sum += float64(e)
	}
	inv := float32(1 / sum)
	for i := range x {
		x[i] *= inv
	}
}

func (g *generic) Attention(out, q, k, v []float32, nq, pos0, heads, kvHeads, headDim int, scale float32) {
	if nq <= 0 {
		return
	}
	j, _ := g.attnJobs.Get().(*genericAttn)
	if j == nil {
		j = &genericAttn{g: g}
		j.fn = j.run
	}
	*j = genericAttn{g: g, fn: j.fn, out: out, q: q, k: k, v: v, nq: nq, pos0: pos0, heads: heads, kvHeads: kvHeads, headDim: headDim, scale: scale}
	g.pool.RunChunks(nq*heads, max(1, min(g.pool.Workers(), nq*heads)), j.fn)
	*j = genericAttn{g: g, fn: j.fn}
	g.attnJobs.Put(j)
}

// genericAttn is one Attention call's operands, recycled like genericMM.
type genericAttn struct {
	g                                 *generic
	fn                                func(worker, lo, hi int)
	out, q, k, v                      []float32
	nq, pos0, heads, kvHeads, headDim int
	scale                             float32
}

func (j *genericAttn) run(wk, lo, hi int) {
	heads, headDim, pos0 := j.heads, j.headDim, j.pos0
	group := heads / j.kvHeads
	qStride := heads * headDim
	kvStride := j.kvHeads * headDim
	q, k, v, out := j.q, j.k, j.v, j.out
	scores := j.g.buf(wk, pos0+j.nq)
	for u := lo; u < hi; u++ {
		i, h := u/heads, u%heads
		n := pos0 + i + 1 // keys visible to this query (causal)
		kh := h / group
		qv := q[i*qStride+h*headDim : i*qStride+(h+1)*headDim]
		s := scores[:n]
		for jj := range n {
			s[jj] = Dot(qv, k[jj*kvStride+kh*headDim:jj*kvStride+(kh+1)*headDim]) * j.scale
		}
		softmax(s)
		o := out[i*qStride+h*headDim : i*qStride+(h+1)*headDim]
		clear(o)
		for jj, p := range s {
			vv := v[jj*kvStride+kh*headDim : jj*kvStride+(kh+1)*headDim]
			for d := range o {
				o[d] += p * vv[d]
			}
		}
	}
}

func (g *generic) ToF32(dst []float32, w *Matrix, r int) {
	src := rowF32(dst[:w.Cols], w, r)
	if w.DType == F32 {
		copy(dst, src)
	}
}

// BF16ToF32 widens a bfloat16 bit pattern to float32 (exact).
func BF16ToF32(u uint16) float32 { return math.Float32frombits(uint32(u) << 16) }

// F32ToBF16 rounds f to the nearest bfloat16, ties to even; NaN stays NaN.
func F32ToBF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 { // NaN: keep it quiet and non-zero
		return uint16(b>>16) | 0x40
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// F16ToF32 widens an IEEE 754 binary16 bit pattern to float32 (exact,
// including subnormals, infinities and NaN).
func F16ToF32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch {
	case exp == 0 && mant == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value = mant · 2^-24
		f := float32(mant) * (1.0 / (1 << 24))
		if sign != 0 {
			f = -f
		}
		return f
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	}
	return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
}

// F32ToF16 rounds f to the nearest binary16, ties to even, with overflow
// to infinity and gradual underflow.
func F32ToF16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	e := exp - 127 + 15
	if e >= 0x1f {
		return sign | 0x7c00
	}
	if e <= 0 {
		if e < -10 {
			return sign
		}
		m := mant | 0x800000
		shift := uint32(14 - e)
		half := uint32(1) << (shift - 1)
		r := m >> shift
		rem := m & (1<<shift - 1)
		if rem > half || (rem == half && r&1 == 1) {
			r++
		}
		return sign | uint16(r)
	}
	r := uint32(e)<<10 | mant>>13
	rem := mant & 0x1fff
	if rem > 0x1000 || (rem == 0x1000 && r&1 == 1) {
		r++
	}
	return sign | uint16(r)
}
