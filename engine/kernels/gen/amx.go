package main

import "fmt"

// ---------------------------------------------------------------------------
// AMX-BF16. The Go assembler has no AMX mnemonics, so the instructions are
// VEX-encoded here (TestAMXEncoding pins the bytes to GNU as). Tile
// registers are configured by the caller's 64-byte palette-1 layout:
// tmm0..tmm7 all 16 rows × 64 bytes (see amxConfig in amx_amd64.go).

// Register numbers of the general-purpose registers used in addresses.
const (
	regAX  = 0
	regCX  = 1
	regDX  = 2
	regBX  = 3
	regSI  = 6
	regDI  = 7
	regR8  = 8
	regR9  = 9
	regR10 = 10
	regR11 = 11
)

// vex3 returns the three-byte VEX prefix for map 0F38, W0, L0, with the
// ModRM reg extension r, SIB index x, base b (register numbers), vvvv
// register v and mandatory prefix pp (0: none, 2: F3, 3: F2).
func vex3(r, x, b, v int, pp byte) []byte {
	inv := func(n int) byte { return byte(1 - (n>>3)&1) }
	return []byte{0xc4, inv(r)<<7 | inv(x)<<6 | inv(b)<<5 | 0x02, byte(^v&0xf)<<3 | pp}
}

// amxMem encodes an AMX instruction with a tile register and a
// [base + index·1 + disp] operand (the SIB form TILELOADD/TILESTORED
// require; base must not be BP or R13).
func amxMem(op, pp byte, tmm, base, index, disp int) []byte {
	b := vex3(0, index, base, 0, pp)
	b = append(b, op)
	mod := byte(0)
	switch {
	case disp == 0:
	case disp >= -128 && disp < 128:
		mod = 1
	default:
		mod = 2
	}
	b = append(b, mod<<6|byte(tmm&7)<<3|4, byte(index&7)<<3|byte(base&7))
	switch mod {
	case 1:
		b = append(b, byte(int8(disp)))
	case 2:
		b = append(b, byte(disp), byte(disp>>8), byte(disp>>16), byte(disp>>24))
	}
	return b
}

// The AMX instructions the kernels use, as bytes.
func encLdtilecfg(base int) []byte { return append(vex3(0, 0, base, 0, 0), 0x49, byte(base&7)) }
func encTilerelease() []byte       { return append(vex3(0, 0, 0, 0, 0), 0x49, 0xc0) }
func encTilezero(t int) []byte     { return append(vex3(0, 0, 0, 0, 3), 0x49, 0xc0|byte(t)<<3) }
func encTileload(t, base, index, disp int) []byte {
	return amxMem(0x4b, 3, t, base, index, disp)
}
func encTilestore(t, base, index, disp int) []byte {
	return amxMem(0x4b, 2, t, base, index, disp)
}

// encTdpbf16 encodes TDPBF16PS tmm(c) += tmm(a)·tmm(b) (a: 16 rows × 32
// bf16, b: 16 rows of 16 (k, k+1) pairs).
func encTdpbf16(c, a, b int) []byte {
	return append(vex3(0, 0, 0, b, 2), 0x5c, 0xc0|byte(c)<<3|byte(a))
}

func (g *gen) ldtilecfg(base int) { g.bytes(encLdtilecfg(base), fmt.Sprintf("LDTILECFG (r%d)", base)) }
func (g *gen) tilerelease()       { g.bytes(encTilerelease(), "TILERELEASE") }
func (g *gen) tilezero(t int)     { g.bytes(encTilezero(t), fmt.Sprintf("TILEZERO tmm%d", t)) }
func (g *gen) tileload(t, base, index, disp int) {
	g.bytes(encTileload(t, base, index, disp), fmt.Sprintf("TILELOADD tmm%d, [r%d + r%d + %d]", t, base, index, disp))
}
func (g *gen) tilestore(t, base, index, disp int) {
	g.bytes(encTilestore(t, base, index, disp), fmt.Sprintf("TILESTORED [r%d + r%d + %d], tmm%d", base, index, disp, t))
}
func (g *gen) tdpbf16(c, a, b int) {
	g.bytes(encTdpbf16(c, a, b), fmt.Sprintf("TDPBF16PS tmm%d, tmm%d, tmm%d", c, a, b))
}

func (g *gen) amx() {
	// Ceiling probe: four independent accumulator tiles.
	g.fn("amxPeakLoop", "(cfg *byte, n int)", "amxPeakLoop configures the tiles from cfg, runs n iterations of 4 independent TDPBF16PS (16·16·32·2 FLOP each) and releases the tiles.", 16)
	g.i("MOVQ cfg+0(FP), DI")
	g.i("MOVQ n+8(FP), CX")
	g.ldtilecfg(regDI)
	for t := 0; t < 8; t++ {
		g.tilezero(t)
	}
	loop := g.fresh("amxpk")
	g.lbl(loop)
	g.tdpbf16(0, 4, 6)
	g.tdpbf16(1, 4, 7)
	g.tdpbf16(2, 5, 6)
	g.tdpbf16(3, 5, 7)
	g.i("DECQ CX")
	g.i("JGT %s", loop)
	g.tilerelease()
	g.i("RET")

	// 32×32 block: C tiles tmm0 (rows 0–15, columns 0–15), tmm1 (rows
	// 0–15, columns 16–31), tmm2 and tmm3 (rows 16–31); A tiles tmm4/5,
	// B tiles tmm6/7.
	g.fn("amxBlock", "(cfg *byte, a *uint16, lda uintptr, p *uint16, pstride uintptr, np int, kc int, out *float32, ldo uintptr, acc int)",
		"amxBlock computes, for np packed bf16-pair panels P_j (kc/2 rows of 32 pairs, pstride bytes apart), out[32][32j:32j+32] (row stride ldo bytes) = (acc ≠ 0 ? out : 0) + A[32][kc]·P_j, for bf16 activations A (row stride lda bytes); kc is a positive multiple of 32. The tiles are configured once for all np panels.", 80)
	g.i("MOVQ cfg+0(FP), AX")
	g.ldtilecfg(regAX)
	g.i("MOVQ lda+16(FP), R8")
	g.i("MOVQ p+24(FP), R13")
	g.i("MOVQ pstride+32(FP), AX")
	g.i("MOVQ np+40(FP), R12")
	g.i("MOVQ out+56(FP), DX")
	g.i("MOVQ ldo+64(FP), R9")
	panel := g.fresh("amxp")
	g.lbl(panel)
	g.i("MOVQ a+8(FP), SI")
	g.i("MOVQ R8, DI")
	g.i("SHLQ $4, DI")
	g.i("ADDQ SI, DI") // rows 16–31
	g.i("MOVQ R13, BX")
	g.i("MOVQ kc+48(FP), CX")
	g.i("MOVQ R9, R10")
	g.i("SHLQ $4, R10")
	g.i("ADDQ DX, R10") // C rows 16–31
	zero, start, loop := g.fresh("amxz"), g.fresh("amxs"), g.fresh("amxk")
	g.i("MOVQ acc+72(FP), R11")
	g.i("TESTQ R11, R11")
	g.i("JEQ %s", zero)
	g.tileload(0, regDX, regR9, 0)
	g.tileload(1, regDX, regR9, 64)
	g.tileload(2, regR10, regR9, 0)
	g.tileload(3, regR10, regR9, 64)
	g.i("JMP %s", start)
	g.lbl(zero)
	for t := 0; t < 4; t++ {
		g.tilezero(t)
	}
	g.lbl(start)
	g.i("MOVQ $128, R11") // panel row stride
	g.lbl(loop)
	g.tileload(4, regSI, regR8, 0)
	g.tileload(5, regDI, regR8, 0)
	g.tileload(6, regBX, regR11, 0)
	g.tileload(7, regBX, regR11, 64)
	g.tdpbf16(0, 4, 6)
	g.tdpbf16(1, 4, 7)
	g.tdpbf16(2, 5, 6)
	g.tdpbf16(3, 5, 7)
	g.i("ADDQ $64, SI")
	g.i("ADDQ $64, DI")
	g.i("ADDQ $2048, BX")
	g.i("SUBQ $32, CX")
	g.i("JGT %s", loop)
	g.tilestore(0, regDX, regR9, 0)
	g.tilestore(1, regDX, regR9, 64)
	g.tilestore(2, regR10, regR9, 0)
	g.tilestore(3, regR10, regR9, 64)
	g.i("ADDQ AX, R13")
	g.i("ADDQ $128, DX")
	g.i("DECQ R12")
	g.i("JGT %s", panel)
	g.tilerelease()
	g.i("RET")
}

// addBlock emits addBlock32: rows r < rows of a 32-column block t (row
// stride 128 bytes) go to C (row stride ldc bytes), added to C when add
// is not zero, columns masked by mask.
func (g *gen) addBlock() {
	g.fn("addBlock32", "(c *float32, ldc uintptr, t *float32, ldt uintptr, rows int, mask int, add int)",
		"addBlock32 stores (or adds, when add ≠ 0) rows r < rows of the 32-column block t (row stride ldt bytes) into C (row stride ldc bytes), columns masked by mask.", 56)
	g.i("MOVQ c+0(FP), DI")
	g.i("MOVQ ldc+8(FP), DX")
	g.i("MOVQ t+16(FP), SI")
	g.i("MOVQ ldt+24(FP), R8")
	g.i("MOVQ rows+32(FP), CX")
	g.i("MOVQ mask+40(FP), R11")
	g.i("KMOVD R11, K1")
	g.i("SHRQ $16, R11")
	g.i("KMOVD R11, K2")
	g.i("MOVQ add+48(FP), R12")
	loop, store, done := g.fresh("ab"), g.fresh("abs"), g.fresh("abd")
	g.i("TESTQ CX, CX")
	g.i("JLE %s", done)
	g.lbl(loop)
	g.i("VMOVUPS (SI), Z0")
	g.i("VMOVUPS 64(SI), Z1")
	g.i("TESTQ R12, R12")
	g.i("JEQ %s", store)
	g.i("VADDPS (DI), Z0, K1, Z0")
	g.i("VADDPS 64(DI), Z1, K2, Z1")
	g.lbl(store)
	g.i("VMOVUPS Z0, K1, (DI)")
	g.i("VMOVUPS Z1, K2, 64(DI)")
	g.i("ADDQ R8, SI")
	g.i("ADDQ DX, DI")
	g.i("DECQ CX")
	g.i("JGT %s", loop)
	g.lbl(done)
	g.i("VZEROUPPER")
	g.i("RET")
}
