package kernels

import "fmt"

// Linear is one matrix product of a NormLinear call: Out = a·Wᵀ for the
// normalised rows a, or, with Up set, Out = silu(a·Wᵀ)·(a·Upᵀ) (a SwiGLU
// gate and up projection, see MatMulSwiGLU).
type Linear struct {
	Out   []float32
	W, Up *Matrix
}

// NormLinearKernels is implemented by Kernels that fuse an RMSNorm with
// the matrix products that read its output (the avx512 path): each
// normalised row is written once, straight into the layout the matmul
// kernels read — rounded to bf16 for the VDPBF16PS method, in padded rows
// for the packed GEMM — instead of being written as float32 and then
// copied or converted again by every product. Engines call NormLinear,
// which falls back to RMSNorm and MatMul otherwise.
type NormLinearKernels interface {
	// NormLinear computes a = RMSNorm(x) (rows of len(norm) values,
	// weight norm, epsilon eps) for M rows and every product of ls from
	// it. All matrices of ls have len(norm) columns and one DType. normed
	// (M·len(norm) values) may receive a as float32 or be left untouched.
	NormLinear(normed, x []float32, M int, norm []float32, eps float32, ls []Linear)
}

// NormLinear computes the products ls of M RMS-normalised rows of x (see
// NormLinearKernels). normed must hold M·len(norm) values; scratch must
// hold M·Rows values for each SwiGLU product when k does not fuse it (it
// may be nil otherwise). Results are bit-identical to RMSNorm followed by
// MatMul / MatMulSwiGLU on the same kernels. It panics on inconsistent
// shapes (a programming error).
func NormLinear(k Kernels, normed, scratch, x []float32, M int, norm []float32, eps float32, ls []Linear) {
	fused := checkLinears(normed, x, M, len(norm), ls)
	if f, ok := k.(NormLinearKernels); ok && fused {
		f.NormLinear(normed, x, M, norm, eps, ls)
		return
	}
	D := len(norm)
	k.RMSNorm(normed[:M*D], x[:M*D], norm, eps)
	for _, l := range ls {
		if l.Up != nil {
			MatMulSwiGLU(k, l.Out, scratch, normed, M, l.W, l.Up)
		} else {
			k.MatMul(l.Out, normed, M, l.W)
		}
	}
}

// checkLinears panics when a NormLinear call's buffers or products do not
// fit M rows of D values, and reports whether all its matrices share one
// DType (the condition of NormLinearKernels).
func checkLinears(normed, x []float32, M, D int, ls []Linear) (oneDType bool) {
	if len(x) < M*D || len(normed) < M*D {
		panic(fmt.Sprintf("kernels: NormLinear over %d rows of %d needs len(x) and len(normed) ≥ %d, got %d and %d", M, D, M*D, len(x), len(normed)))
	}
	oneDType = true
	for _, l := range ls {
		if l.W.Cols != D || len(l.Out) < M*l.W.Rows {
			panic(fmt.Sprintf("kernels: NormLinear product of a %d×%d matrix over rows of %d needs an output of %d values, got %d", l.W.Rows, l.W.Cols, D, M*l.W.Rows, len(l.Out)))
		}
		if l.Up != nil && (l.Up.Rows != l.W.Rows || l.Up.Cols != l.W.Cols) {
			panic(fmt.Sprintf("kernels: NormLinear SwiGLU with gate %d×%d and up %d×%d", l.W.Rows, l.W.Cols, l.Up.Rows, l.Up.Cols))
		}
		if l.W.DType != ls[0].W.DType || l.Up != nil && l.Up.DType != l.W.DType {
			oneDType = false
		}
	}
	return oneDType
}
