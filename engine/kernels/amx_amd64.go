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

// amxGroup computes the group [g0, g0+gn) of the block's panels with
// TDPBF16PS: for every 32-row activation block and 32-column panel one
// amxBlock call over the whole group into the worker's 32×32 scratch,
// then addBlock32 into C (rows and columns past M and N masked off; the
// activation buffer holds whole 32-row blocks, see prepare).
func (j *gemmJob) amxGroup(wk, n0, n1, g0, gn int, bp unsafe.Pointer, panelBytes uintptr, c unsafe.Pointer, ldc uintptr) {
	tmp := &j.a.amxTmp[wk]
	add := min(g0, 1)
	for m := 0; m < j.M; m += amxRows {
		xa := (*uint16)(unsafe.Add(j.xp, uintptr(m)*j.ldx+uintptr(g0)*2))
		for p := n0; p < n1; p += gemmPanel {
			panel := (*uint16)(unsafe.Add(bp, uintptr((p-n0)/gemmPanel)*panelBytes))
			amxBlock(&j.a.amxCfg[0], xa, j.ldx, panel, gn, &tmp[0])
			mask := 1<<32 - 1
			if j.N-p < gemmPanel {
				mask = 1<<(j.N-p) - 1
			}
			addBlock32((*float32)(unsafe.Add(c, uintptr(m)*ldc+uintptr(p-n0)*4)), ldc, &tmp[0], min(amxRows, j.M-m), mask, add)
		}
	}
}
