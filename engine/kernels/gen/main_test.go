package main

import (
	"bytes"
	"os"
	"testing"
)

// TestGeneratedUpToDate checks that the committed assembly and
// declarations are exactly what this generator writes (run `go generate`
// in engine/kernels after changing it).
func TestGeneratedUpToDate(t *testing.T) {
	g := &gen{}
	g.all()
	for _, f := range []struct {
		path string
		want []byte
	}{{"../zkernels_amd64.s", g.asm.Bytes()}, {"../zkernels_amd64.go", g.decl.Bytes()}} {
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s is stale: run go generate in engine/kernels", f.path)
		}
	}
}

// TestEVEXEncoding pins the hand-encoded AVX512_BF16 instructions to the
// bytes GNU as emits for them.
func TestEVEXEncoding(t *testing.T) {
	for _, c := range []struct {
		op, pp          byte
		dst, src1, src2 int
		want            []byte
	}{
		{0x52, 2, 17, 3, 25, []byte{0x62, 0x82, 0x66, 0x48, 0x52, 0xc9}}, // vdpbf16ps zmm17, zmm3, zmm25
		{0x52, 2, 1, 2, 3, []byte{0x62, 0xf2, 0x6e, 0x48, 0x52, 0xcb}},   // vdpbf16ps zmm1, zmm2, zmm3
		{0x52, 2, 9, 30, 12, []byte{0x62, 0x52, 0x0e, 0x40, 0x52, 0xcc}}, // vdpbf16ps zmm9, zmm30, zmm12
		{0x72, 2, 20, 0, 3, []byte{0x62, 0xe2, 0x7e, 0x48, 0x72, 0xe3}},  // vcvtneps2bf16 ymm20, zmm3
		{0x72, 2, 2, 0, 27, []byte{0x62, 0x92, 0x7e, 0x48, 0x72, 0xd3}},  // vcvtneps2bf16 ymm2, zmm27
	} {
		if got := evex(c.op, c.pp, c.dst, c.src1, c.src2); !bytes.Equal(got, c.want) {
			t.Errorf("evex(%#x, %d, %d, %d) = % x, want % x", c.op, c.dst, c.src1, c.src2, got, c.want)
		}
	}
}

// TestAMXEncoding pins the hand-encoded AMX instructions to the bytes GNU
// as 2.40 emits for them.
func TestAMXEncoding(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want []byte
	}{
		{"ldtilecfg (%rax)", encLdtilecfg(regAX), []byte{0xc4, 0xe2, 0x78, 0x49, 0x00}},
		{"ldtilecfg (%rdi)", encLdtilecfg(regDI), []byte{0xc4, 0xe2, 0x78, 0x49, 0x07}},
		{"tilezero %tmm0", encTilezero(0), []byte{0xc4, 0xe2, 0x7b, 0x49, 0xc0}},
		{"tilezero %tmm7", encTilezero(7), []byte{0xc4, 0xe2, 0x7b, 0x49, 0xf8}},
		{"tileloadd (%rsi,%r8,1),%tmm4", encTileload(4, regSI, regR8, 0), []byte{0xc4, 0xa2, 0x7b, 0x4b, 0x24, 0x06}},
		{"tileloadd (%rdi,%r8,1),%tmm5", encTileload(5, regDI, regR8, 0), []byte{0xc4, 0xa2, 0x7b, 0x4b, 0x2c, 0x07}},
		{"tileloadd (%rbx,%r9,1),%tmm6", encTileload(6, regBX, regR9, 0), []byte{0xc4, 0xa2, 0x7b, 0x4b, 0x34, 0x0b}},
		{"tileloadd 0x40(%rbx,%r9,1),%tmm7", encTileload(7, regBX, regR9, 64), []byte{0xc4, 0xa2, 0x7b, 0x4b, 0x7c, 0x0b, 0x40}},
		{"tilestored %tmm0,(%rdx,%r9,1)", encTilestore(0, regDX, regR9, 0), []byte{0xc4, 0xa2, 0x7a, 0x4b, 0x04, 0x0a}},
		{"tilestored %tmm3,0x840(%rdx,%r9,1)", encTilestore(3, regDX, regR9, 0x840), []byte{0xc4, 0xa2, 0x7a, 0x4b, 0x9c, 0x0a, 0x40, 0x08, 0x00, 0x00}},
		{"tdpbf16ps %tmm6,%tmm4,%tmm0", encTdpbf16(0, 4, 6), []byte{0xc4, 0xe2, 0x4a, 0x5c, 0xc4}},
		{"tdpbf16ps %tmm7,%tmm5,%tmm3", encTdpbf16(3, 5, 7), []byte{0xc4, 0xe2, 0x42, 0x5c, 0xdd}},
		{"tilerelease", encTilerelease(), []byte{0xc4, 0xe2, 0x78, 0x49, 0xc0}},
	} {
		if !bytes.Equal(c.got, c.want) {
			t.Errorf("%s: % x, want % x", c.name, c.got, c.want)
		}
	}
}
