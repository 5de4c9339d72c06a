package kernels

import "math"

// RoPEKernels is implemented by Kernels that have a rotary position
// embedding kernel (the avx512 path). Engines call ApplyRoPE, which uses
// it when present and the portable loop otherwise, so adding it did not
// change the Kernels interface.
type RoPEKernels interface {
	// RoPE rotates rows×heads head vectors of headDim values in x in
	// place, row t at position pos0+t, in the rotate_half convention of
	// Hugging Face Llama/Qwen/Ouro: for i < headDim/2 with c, s =
	// tab.Cos[p][i], tab.Sin[p][i],
	//	x[i], x[i+headDim/2] = x[i]·c − x[i+headDim/2]·s, x[i+headDim/2]·c + x[i]·s.
	RoPE(x []float32, rows, heads, headDim, pos0 int, tab *RoPETable)
}

// RoPETable holds cos and sin of position × inverse frequency for
// positions 0 .. Positions-1, Half = headDim/2 values per position.
type RoPETable struct {
	Positions, Half int
	Cos, Sin        []float32
}

// NewRoPETable computes the table for headDim and the inverse
// frequencies invFreq (len headDim/2; e.g. theta^(-2i/headDim), possibly
// rescaled) the way Hugging Face does: the angle pos·invFreq[i] is formed
// in float32, then cos and sin are taken.
func NewRoPETable(positions int, invFreq []float32) *RoPETable {
	half := len(invFreq)
	t := &RoPETable{Positions: positions, Half: half, Cos: make([]float32, positions*half), Sin: make([]float32, positions*half)}
	for p := range positions {
		for i, f := range invFreq {
			a := float64(float32(p) * f)
			t.Cos[p*half+i] = float32(math.Cos(a))
			t.Sin[p*half+i] = float32(math.Sin(a))
		}
	}
	return t
}

// ApplyRoPE rotates x with k's RoPE kernel when it has one, else with the
// portable loop (see RoPEKernels for the layout). It panics when the
// table lacks a position or headDim/2 ≠ tab.Half.
func ApplyRoPE(k Kernels, x []float32, rows, heads, headDim, pos0 int, tab *RoPETable) {
	checkRoPE(x, rows, heads, headDim, pos0, tab)
	if r, ok := k.(RoPEKernels); ok {
		r.RoPE(x, rows, heads, headDim, pos0, tab)
		return
	}
	ropeGeneric(x, rows, heads, headDim, pos0, tab)
}

func checkRoPE(x []float32, rows, heads, headDim, pos0 int, tab *RoPETable) {
	if headDim/2 != tab.Half || pos0 < 0 || pos0+rows > tab.Positions || len(x) < rows*heads*headDim {
		panic("kernels: RoPE: table or buffer too small for the rows, heads and positions requested")
	}
}

// ropeGeneric is the portable reference of RoPEKernels.RoPE.
func ropeGeneric(x []float32, rows, heads, headDim, pos0 int, tab *RoPETable) {
	half := headDim / 2
	for t := range rows {
		p := pos0 + t
		c, s := tab.Cos[p*half:(p+1)*half], tab.Sin[p*half:(p+1)*half]
		for h := range heads {
			v := x[(t*heads+h)*headDim : (t*heads+h+1)*headDim]
			for i := range half {
				a, b := v[i], v[i+half]
				v[i] = a*c[i] - b*s[i]
				v[i+half] = b*c[i] + a*s[i]
			}
		}
	}
}
