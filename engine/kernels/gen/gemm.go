package main

import "fmt"

// ---------------------------------------------------------------------------
// Packed GEMM (prefill): C[m][n] (+)= Σ_k A[m][k]·B[n][k] as BLIS-style
// outer products. A panel of gemmNR = 32 weight rows is packed (transposed,
// and widened to f32 for the FMA method) so that one k step of the panel is
// two contiguous zmm vectors; the micro-kernel holds an mr × 32 block of C
// in 2·mr accumulators (mr ≤ 12), broadcasts one activation per row and k
// step from the row-major activations, and never reduces horizontally.
// Every function handles one panel or one micro-tile over one k block, so
// its running time is bounded by its arguments.

// gemmMR is the largest micro-tile height (activation rows).
const gemmMR = 12

type packKind struct {
	name string // function name part
	doc  string
	conv string // "bf16", "f16", "f32": widen to f32; "pair": raw bf16 pairs
	esz  int    // source element size in bytes
}

var packKinds = []packKind{
	{name: "BF16X", doc: "bf16 weights widened to f32", conv: "bf16", esz: 2},
	{name: "F16X", doc: "f16 weights widened to f32", conv: "f16", esz: 2},
	{name: "F32", doc: "f32 weights", conv: "f32", esz: 4},
	{name: "BF16", doc: "bf16 weights kept as (k, k+1) pairs for VDPBF16PS", conv: "pair", esz: 2},
}

func (g *gen) gemm() {
	for _, p := range packKinds {
		g.pack(p)
	}
	for _, dp := range []bool{false, true} {
		for mr := 1; mr <= gemmMR; mr++ {
			g.micro(dp, mr)
		}
		g.microDispatcher(dp)
	}
	for mr := 1; mr <= gemmMR; mr++ {
		g.microStrided(mr)
	}
	g.stridedDispatcher()
}

// packAddr addresses source row i (0..31) of a panel: four 8-row groups
// with bases SI, DI, BX, DX and strides R8 = 1, R9 = 3, R10 = 5, R11 = 7
// rows.
func packAddr(i int) string {
	base := [...]string{"SI", "DI", "BX", "DX"}[i/8]
	off := [...]string{"(%s)", "(%s)(R8*1)", "(%s)(R8*2)", "(%s)(R9*1)", "(%s)(R8*4)", "(%s)(R10*1)", "(%s)(R9*2)", "(%s)(R11*1)"}[i%8]
	return fmt.Sprintf(off, base)
}

// pack emits packP<name>(dst, w, ldw, kc): the 32 rows × kc columns of w
// starting at w (row stride ldw bytes) go to dst as kc rows of 32 f32 (one
// k step of the panel per 128 bytes), or for "pair" as kc/2 rows of 32
// (k, k+1) bf16 pairs. kc must be a positive multiple of 16 (32 for pair).
func (g *gen) pack(p packKind) {
	name := "packP" + p.name
	dstT := "*float32"
	step := 16 // k values per 16×16 transpose
	if p.conv == "pair" {
		dstT = "*uint16"
		step = 32
	}
	g.fn(name, "(dst "+dstT+", w unsafe.Pointer, ldw uintptr, kc int)",
		fmt.Sprintf("%s packs a 32-row panel of %s (kc columns, a positive multiple of %d) transposed into dst.", name, p.doc, step), 32)
	g.i("MOVQ dst+0(FP), AX")
	g.i("MOVQ w+8(FP), SI")
	g.i("MOVQ ldw+16(FP), R8")
	g.i("LEAQ (R8)(R8*2), R9")
	g.i("LEAQ (R8)(R8*4), R10")
	g.i("LEAQ (R9)(R8*4), R11")
	g.i("LEAQ (SI)(R8*8), DI")
	g.i("LEAQ (DI)(R8*8), BX")
	g.i("LEAQ (BX)(R8*8), DX")
	g.i("MOVQ kc+24(FP), CX")
	loop := g.fresh("pack")
	g.lbl(loop)
	for h := 0; h < 2; h++ {
		for i := 0; i < 16; i++ {
			addr := packAddr(h*16 + i)
			switch p.conv {
			case "bf16":
				g.i("VPMOVZXWD %s, Z%d", addr, i)
				g.i("VPSLLD $16, Z%d, Z%d", i, i)
			case "f16":
				g.i("VCVTPH2PS %s, Z%d", addr, i)
			default: // f32 values or bf16 pairs: 16 dwords
				g.i("VMOVUPS %s, Z%d", addr, i)
			}
		}
		g.transpose16()
		for i := 0; i < 16; i++ {
			g.i("VMOVUPS Z%d, %d(AX)", i, i*128+h*64)
		}
	}
	g.i("ADDQ $%d, SI", step*p.esz)
	g.i("ADDQ $%d, DI", step*p.esz)
	g.i("ADDQ $%d, BX", step*p.esz)
	g.i("ADDQ $%d, DX", step*p.esz)
	g.i("ADDQ $2048, AX")
	g.i("SUBQ $%d, CX", step)
	g.i("JGT %s", loop)
	g.i("VZEROUPPER")
	g.i("RET")
}

// transpose16 transposes the 16×16 dword matrix in Z0..Z15 (row i in Zi)
// in place, using Z16..Z31 as temporaries: afterwards Zi holds column i.
func (g *gen) transpose16() {
	r := func(i int) int { return i }
	t := func(i int) int { return 16 + i }
	// Interleave dwords of row pairs (within 128-bit lanes).
	for j := 0; j < 8; j++ {
		g.i("VUNPCKLPS Z%d, Z%d, Z%d", r(2*j+1), r(2*j), t(2*j))
		g.i("VUNPCKHPS Z%d, Z%d, Z%d", r(2*j+1), r(2*j), t(2*j+1))
	}
	// Interleave qwords: Z(4j+c) lane L = column 4L+c of rows 4j..4j+3.
	for j := 0; j < 4; j++ {
		g.i("VUNPCKLPD Z%d, Z%d, Z%d", t(4*j+2), t(4*j), r(4*j))
		g.i("VUNPCKHPD Z%d, Z%d, Z%d", t(4*j+2), t(4*j), r(4*j+1))
		g.i("VUNPCKLPD Z%d, Z%d, Z%d", t(4*j+3), t(4*j+1), r(4*j+2))
		g.i("VUNPCKHPD Z%d, Z%d, Z%d", t(4*j+3), t(4*j+1), r(4*j+3))
	}
	// Gather 128-bit lanes: even lanes of row groups (0,1) and (2,3), then
	// odd lanes.
	for c := 0; c < 4; c++ {
		g.i("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", r(4+c), r(c), t(c))
		g.i("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", r(4+c), r(c), t(4+c))
		g.i("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", r(12+c), r(8+c), t(8+c))
		g.i("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", r(12+c), r(8+c), t(12+c))
	}
	for c := 0; c < 4; c++ {
		g.i("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", t(8+c), t(c), r(c))
		g.i("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", t(8+c), t(c), r(8+c))
		g.i("VSHUFF32X4 $0x88, Z%d, Z%d, Z%d", t(12+c), t(4+c), r(4+c))
		g.i("VSHUFF32X4 $0xdd, Z%d, Z%d, Z%d", t(12+c), t(4+c), r(12+c))
	}
}

// aAddr addresses activation row i (0..11) at byte displacement d: bases
// SI (rows 0..5) and DI (rows 6..11), strides R8 = 1, R9 = 3, R10 = 5 rows.
func aAddr(i, d int) string {
	base := "SI"
	if i >= 6 {
		base, i = "DI", i-6
	}
	off := [...]string{"(%s)", "(%s)(R8*1)", "(%s)(R8*2)", "(%s)(R9*1)", "(%s)(R8*4)", "(%s)(R10*1)"}[i]
	s := fmt.Sprintf(off, base)
	if d != 0 {
		s = fmt.Sprint(d) + s
	}
	return s
}

func microName(dp bool, mr int) string {
	if dp {
		return fmt.Sprintf("gemmBF16_%d", mr)
	}
	return fmt.Sprintf("gemmF32_%d", mr)
}

// micro emits one micro-kernel: C[mr][32] = (add ? C : 0) + A[mr][kc]·P,
// where P is a packed panel. The f32 kernel (FMA) reads f32 activations
// and a panel of kc rows × 32 f32; the dp kernel (VDPBF16PS) reads bf16
// activations and a panel of kc/2 rows × 32 bf16 pairs. mask selects the
// columns written (bit j: column j), for the last panel of a matrix.
// kc is a positive multiple of 4 (f32) or 8 (dp).
func (g *gen) micro(dp bool, mr int) {
	name := microName(dp, mr)
	at, doc := "*float32", "f32 activations × a packed f32 panel (FMA)"
	if dp {
		at, doc = "*uint16", "bf16 activations × a packed bf16-pair panel (VDPBF16PS, f32 accumulation)"
	}
	g.fn(name, "(a "+at+", lda uintptr, p "+at+", kc int, c *float32, ldc uintptr, mask int, add int)",
		fmt.Sprintf("%s computes a %d×32 block of C: %s. lda and ldc are row strides in bytes.", name, mr, doc), 64)
	acc := func(r, v int) int { return 2*r + v }
	g.microPrologue(mr)
	g.i("MOVQ kc+24(FP), CX")
	loop := g.fresh("gemm")
	g.lbl(loop)
	const unroll = 4
	tmp := 0
	for u := 0; u < unroll; u++ {
		g.i("VMOVUPS %d(BX), Z24", u*128)
		g.i("VMOVUPS %d(BX), Z25", u*128+64)
		for r := 0; r < mr; r++ {
			x := 26 + tmp%6
			tmp++
			g.i("VBROADCASTSS %s, Z%d", aAddr(r, 4*u), x)
			for v := 0; v < 2; v++ {
				if dp {
					g.dpbf16(acc(r, v), 24+v, x)
				} else {
					g.i("VFMADD231PS Z%d, Z%d, Z%d", x, 24+v, acc(r, v))
				}
			}
		}
	}
	kstep := unroll // f32: one k per broadcast; dp: one (k, k+1) pair
	if dp {
		kstep = 2 * unroll
	}
	g.i("ADDQ $%d, SI", 4*unroll)
	g.i("ADDQ $%d, DI", 4*unroll)
	g.i("ADDQ $%d, BX", 128*unroll)
	g.i("SUBQ $%d, CX", kstep)
	g.i("JGT %s", loop)

	g.storeC(mr, 32, 40, 48, 56)
}

// microPrologue loads the activation base registers of aAddr (from the
// arguments a and lda at offsets 0 and 8) and the panel pointer BX (p at
// 16), and zeroes the 2·mr accumulators.
func (g *gen) microPrologue(mr int) {
	g.i("MOVQ a+0(FP), SI")
	g.i("MOVQ lda+8(FP), R8")
	g.i("LEAQ (R8)(R8*2), R9")
	g.i("LEAQ (R8)(R8*4), R10")
	g.i("LEAQ (SI)(R9*2), DI")
	g.i("MOVQ p+16(FP), BX")
	for z := 0; z < 2*mr; z++ {
		g.i("VXORPS Z%d, Z%d, Z%d", z, z, z)
	}
}

// storeC ends a micro-kernel: rows r < mr of C (argument frame offsets of
// c and ldc given) become accumulators 2r, 2r+1, plus C when the add
// argument is not zero, masked by the mask argument's low and high 16
// bits (maskOff < 0: no mask).
func (g *gen) storeC(mr, cOff, ldcOff, maskOff, addOff int) {
	acc := func(r, v int) int { return 2*r + v }
	k1, k2 := "", ""
	store := g.fresh("gstore")
	g.i("MOVQ c+%d(FP), AX", cOff)
	g.i("MOVQ ldc+%d(FP), DX", ldcOff)
	if maskOff >= 0 {
		g.i("MOVQ mask+%d(FP), R11", maskOff)
		g.i("KMOVD R11, K1")
		g.i("SHRQ $16, R11")
		g.i("KMOVD R11, K2")
		k1, k2 = "K1, ", "K2, "
	}
	g.i("MOVQ add+%d(FP), R12", addOff)
	g.i("TESTQ R12, R12")
	g.i("JEQ %s", store)
	for r := 0; r < mr; r++ {
		g.i("VADDPS (AX), Z%d, %sZ%d", acc(r, 0), k1, acc(r, 0))
		g.i("VADDPS 64(AX), Z%d, %sZ%d", acc(r, 1), k2, acc(r, 1))
		if r+1 < mr {
			g.i("ADDQ DX, AX")
		}
	}
	g.i("MOVQ c+%d(FP), AX", cOff)
	g.lbl(store)
	for r := 0; r < mr; r++ {
		g.i("VMOVUPS Z%d, %s(AX)", acc(r, 0), k1)
		g.i("VMOVUPS Z%d, %s64(AX)", acc(r, 1), k2)
		if r+1 < mr {
			g.i("ADDQ DX, AX")
		}
	}
	g.i("VZEROUPPER")
	g.i("RET")
}

// microDispatcher writes a Go switch that calls the micro-kernel of a height.
func (g *gen) microDispatcher(dp bool) {
	name, at := "gemmF32", "*float32"
	if dp {
		name, at = "gemmBF16", "*uint16"
	}
	fmt.Fprintf(&g.decl, "\n// %s calls the mr-row %s micro-kernel (1 ≤ mr ≤ %d).\n", name, name, gemmMR)
	fmt.Fprintf(&g.decl, "func %s(mr int, a %s, lda uintptr, p %s, kc int, c *float32, ldc uintptr, mask int, add int) {\n\tswitch mr {\n", name, at, at)
	for mr := 1; mr <= gemmMR; mr++ {
		fmt.Fprintf(&g.decl, "\tcase %d:\n\t\t%s(a, lda, p, kc, c, ldc, mask, add)\n", mr, microName(dp, mr))
	}
	fmt.Fprintf(&g.decl, "\tdefault:\n\t\tpanic(\"kernels: no %s micro-kernel for this height\")\n\t}\n}\n", name)
}

// microStrided emits gemmF32S_<mr>: the f32 micro-kernel over an unpacked
// "panel" of kc rows of 32 f32 with a row stride of ldp bytes (attention's
// P·V, where the rows of V already hold 32 consecutive columns of a head):
// C[mr][32] = (add ? C : 0) + A[mr][kc]·P, any kc ≥ 1, no mask.
func (g *gen) microStrided(mr int) {
	name := fmt.Sprintf("gemmF32S_%d", mr)
	g.fn(name, "(a *float32, lda uintptr, p *float32, ldp uintptr, kc int, c *float32, ldc uintptr, add int)",
		fmt.Sprintf("%s computes a %d×32 block of C from f32 activations and kc strided rows of 32 f32 (FMA). lda, ldp and ldc are row strides in bytes.", name, mr), 64)
	acc := func(r, v int) int { return 2*r + v }
	g.microPrologue(mr)
	g.i("MOVQ ldp+24(FP), R13")
	g.i("MOVQ kc+32(FP), CX")
	loop := g.fresh("gemms")
	g.lbl(loop)
	g.i("VMOVUPS (BX), Z24")
	g.i("VMOVUPS 64(BX), Z25")
	for r := 0; r < mr; r++ {
		x := 26 + r%6
		g.i("VBROADCASTSS %s, Z%d", aAddr(r, 0), x)
		g.i("VFMADD231PS Z%d, Z24, Z%d", x, acc(r, 0))
		g.i("VFMADD231PS Z%d, Z25, Z%d", x, acc(r, 1))
	}
	g.i("ADDQ $4, SI")
	g.i("ADDQ $4, DI")
	g.i("ADDQ R13, BX")
	g.i("DECQ CX")
	g.i("JGT %s", loop)
	g.storeC(mr, 40, 48, -1, 56)
}

func (g *gen) stridedDispatcher() {
	fmt.Fprintf(&g.decl, "\n// gemmF32S calls the mr-row strided f32 micro-kernel (1 ≤ mr ≤ %d).\n", gemmMR)
	fmt.Fprintf(&g.decl, "func gemmF32S(mr int, a *float32, lda uintptr, p *float32, ldp uintptr, kc int, c *float32, ldc uintptr, add int) {\n\tswitch mr {\n")
	for mr := 1; mr <= gemmMR; mr++ {
		fmt.Fprintf(&g.decl, "\tcase %d:\n\t\tgemmF32S_%d(a, lda, p, ldp, kc, c, ldc, add)\n", mr, mr)
	}
	fmt.Fprintf(&g.decl, "\tdefault:\n\t\tpanic(\"kernels: no gemmF32S micro-kernel for this height\")\n\t}\n}\n")
}
