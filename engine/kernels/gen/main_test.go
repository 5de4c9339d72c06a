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
