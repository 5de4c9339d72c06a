// Package kernels holds the numeric primitives of the engine behind one
// small interface: a portable Go implementation that is the reference, and
// (on amd64 with AVX-512) assembly that must agree with it within stated
// tolerances. Architectures in the engine call only this interface.
//
// Conventions: matrices are row-major; weight matrices are stored as in
// PyTorch nn.Linear, [out_features][in_features], so each output row is
// contiguous along the input dimension. Activations are float32. Every
// call that does O(rows·cols) work spreads it over the implementation's
// persistent worker pool; element-wise calls run on the caller's goroutine.
package kernels

// DType is the element type of a weight matrix.
type DType uint8

// Weight element types.
const (
	F32 DType = iota
	BF16
	F16
)

// String returns the safetensors spelling of the dtype.
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case BF16:
		return "BF16"
	case F16:
		return "F16"
	}
	return "?"
}

// Matrix is a read-only [Rows][Cols] weight matrix, usually borrowed
// zero-copy from a memory-mapped checkpoint. Exactly one of F32 and U16 is
// set: F32 for DType F32, U16 (raw bf16 or f16 bits) otherwise.
type Matrix struct {
	DType DType
	Rows  int
	Cols  int
	F32   []float32
	U16   []uint16
}

// Kernels is the engine's compute interface.
type Kernels interface {
	// Name identifies the implementation ("generic", "avx512").
	Name() string

	// MatMul sets out[m*w.Rows+n] = Σ_k x[m*w.Cols+k] · w[n][k] for m < M.
	// x holds M rows of w.Cols values, out M rows of w.Rows values. With
	// M = 1 this is the decode GEMV; with M > 1 the prefill GEMM. Work is
	// split by output tiles over the worker pool.
	MatMul(out, x []float32, M int, w *Matrix)

	// RMSNorm sets out[i] = x[i] / sqrt(mean(x²) + eps) · weight[i] for
	// each row of len(weight) values in x (len(x) is a multiple of
	// len(weight)). out may alias x.
	RMSNorm(out, x, weight []float32, eps float32)

	// SiLUMul sets out[i] = silu(gate[i]) · up[i]. out may alias gate.
	SiLUMul(out, gate, up []float32)

	// Add sets dst[i] += src[i].
	Add(dst, src []float32)

	// Softmax replaces x with softmax(x), computed stably in float32.
	Softmax(x []float32)

	// Attention computes causal scaled-dot-product attention for one
	// sequence over a KV cache. q holds nq rows of heads·headDim query
	// values for the positions pos0 .. pos0+nq-1; k and v hold the cache
	// rows 0 .. pos0+nq-1, each row kvHeads·headDim values. Query head h
	// reads KV head h / (heads/kvHeads) (GQA). out receives nq rows of
	// heads·headDim values. Score buffers are owned by the implementation
	// (no allocation per call). Work is split over (row, head) pairs.
	Attention(out, q, k, v []float32, nq, pos0, heads, kvHeads, headDim int, scale float32)

	// ToF32 converts a whole matrix row r of w into dst (len w.Cols).
	ToF32(dst []float32, w *Matrix, r int)

	// Close stops the worker pool.
	Close()
}
