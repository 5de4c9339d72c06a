package kernels

import "fmt"

// SwiGLUKernels is implemented by Kernels that compute the gate and up
// projections of a SwiGLU MLP and its activation in one pass over the
// activations (the avx512 path): the gate and up products of a tile meet
// in cache and only silu(gate)·up is written, instead of writing both
// products and reading them back in a separate SiLUMul pass. Engines call
// MatMulSwiGLU, which falls back to MatMul and SiLUMul otherwise.
type SwiGLUKernels interface {
	// MatMulSwiGLU sets out[m*N+n] = silu(g)·u for m < M and n < N, where
	// g = Σ_k x[m*K+k]·gate[n][k], u = Σ_k x[m*K+k]·up[n][k], N =
	// gate.Rows = up.Rows and K = gate.Cols = up.Cols; gate and up have
	// the same DType.
	MatMulSwiGLU(out, x []float32, M int, gate, up *Matrix)
}

// MatMulSwiGLU computes out = silu(x·gateᵀ) ⊙ (x·upᵀ) for M rows of x
// (see SwiGLUKernels). With kernels that do not fuse it, or gate and up
// of different dtypes, it runs two MatMul calls and SiLUMul and needs
// scratch of at least M·N values; scratch may be nil for fused kernels. It panics when gate and up differ
// in shape.
func MatMulSwiGLU(k Kernels, out, scratch, x []float32, M int, gate, up *Matrix) {
	if gate.Rows != up.Rows || gate.Cols != up.Cols {
		panic(fmt.Sprintf("kernels: MatMulSwiGLU with gate %d×%d and up %d×%d", gate.Rows, gate.Cols, up.Rows, up.Cols))
	}
	if f, ok := k.(SwiGLUKernels); ok && gate.DType == up.DType {
		f.MatMulSwiGLU(out, x, M, gate, up)
		return
	}
	n := M * gate.Rows
	k.MatMul(out, x, M, gate)
	k.MatMul(scratch[:n], x, M, up)
	k.SiLUMul(out[:n], out[:n], scratch[:n])
}
