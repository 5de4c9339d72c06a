//go:build amd64

package kernels

import "unsafe"

// amxConfig returns the palette-1 tile configuration of the AMX kernels
// (LDTILECFG layout): all eight tiles 16 rows × 64 bytes.
func amxConfig() (c [64]byte) {
	c[0] = 1
	for t := range 8 {
		c[16+2*t] = 64
		c[48+t] = 16
	}
	return c
}

// amxIters is the TDPBF16PS count of one probe call / 4 (well under a
// millisecond).
const amxIters = 5000

// amxChunk runs one AMX ceiling-probe call and returns its FLOPs.
func amxChunk() float64 {
	cfg := amxConfig()
	amxPeakLoop(&cfg[0], amxIters)
	return amxIters * 4 * 16 * 16 * 32 * 2
}

// amxRows is the height of an AMX block (two tiles of 16 rows).
const amxRows = 32

// amxKC is the k chunk of one amxBlock call: the chunk of a 32-row
// activation block (16 KiB) stays in L1 while it meets every panel of the
// weight block, whose chunks (16 KiB each) stream from L2.
const amxKC = 256

// amxGroup computes the group [g0, g0+gn) of the block's panels with
// TDPBF16PS. For every 32-row activation block, the C block of all the
// block's panels (32 × nc f32, the worker's amxTmp) accumulates in tiles
// over k chunks of amxKC; then addBlock32 moves it into C (rows and
// columns past M and N masked off; the activation buffer holds whole
// 32-row blocks, see prepare).
func (j *gemmJob) amxGroup(wk, n0, n1, g0, gn int, bp unsafe.Pointer, panelBytes uintptr, c unsafe.Pointer, ldc uintptr) {
	tmp := j.a.amxTmp[wk][:]
	ldt := uintptr(j.nc) * 4
	add := min(g0, 1)
	for m := 0; m < j.M; m += amxRows {
		for k0 := 0; k0 < gn; k0 += amxKC {
			kc := min(amxKC, gn-k0)
			xa := (*uint16)(unsafe.Add(j.xp, uintptr(m)*j.ldx+uintptr(g0+k0)*2))
			panel := (*uint16)(unsafe.Add(bp, uintptr(k0)*gemmPanel*2))
			amxBlock(&j.a.amxCfg[0], xa, j.ldx, panel, panelBytes, (n1-n0+gemmPanel-1)/gemmPanel, kc, &tmp[0], ldt, min(k0, 1))
		}
		for p := n0; p < n1; p += gemmPanel {
			mask := 1<<32 - 1
			if j.N-p < gemmPanel {
				mask = 1<<(j.N-p) - 1
			}
			addBlock32((*float32)(unsafe.Add(c, uintptr(m)*ldc+uintptr(p-n0)*4)), ldc, &tmp[p-n0], ldt, min(amxRows, j.M-m), mask, add)
		}
	}
}
