//go:build amd64

package kernels

import (
	"unsafe"
)

// Blocking of the packed GEMM (see gemm). The k block decides the
// arithmetic (each output is the sum of its k blocks, in order, each
// accumulated from zero); the other sizes only decide which memory is hot,
// so results do not depend on them or on the number of workers.
const (
	// gemmKC is the k block: one packed panel step of 32 weight rows ×
	// gemmKC f32 is 32 KiB and stays in L1 while the micro-tiles of an
	// activation block pass it.
	gemmKC = 256
	// gemmMaxNC is the largest number of weight rows packed together.
	gemmMaxNC = 256
	// gemmKG is the number of k columns packed per visit of a weight-row
	// block (a multiple of gemmKC; gemmMaxNC × gemmKG f32 = 1 MiB, in L2).
	gemmKG = 1024
	// gemmMC is the number of activation rows that meet a packed block
	// before the next block is packed (gemmMC × gemmKC f32 = 192 KiB).
	gemmMC = 192
	// gemmMinRows is the smallest M that uses the packed GEMM with FMA
	// (exact bf16, f16 and f32 weights); below it packing costs more than
	// it saves and the dot-product tiles run. gemmMinRowsDP is the same
	// for the VDPBF16PS method, gemmMinRowsAMX for AMX. Measured on the
	// 2048 × 2048 shape with BenchmarkMatMulRows (docs/performance.md).
	gemmMinRows    = 112
	gemmMinRowsDP  = 128
	gemmMinRowsAMX = 16
)

// gemmPad is the padding in bytes added to each activation row copied for
// the packed GEMM.
const gemmPad = 64

// gemmPanel is the number of weight rows in one packed panel (two zmm
// vectors per k step).
const gemmPanel = 32

// usePacked reports whether MatMul takes the packed GEMM for M rows of w.
// The k dimension must fill whole 16×16 transposes (32 for the bf16-pair
// layout).
func (a *avx512) usePacked(M int, w *Matrix) bool {
	dp := w.DType == BF16 && !a.exact
	minRows := gemmMinRows
	switch {
	case a.packMin > 0:
		minRows = a.packMin
	case dp && a.amx:
		minRows = gemmMinRowsAMX
	case dp:
		minRows = gemmMinRowsDP
	}
	if M < minRows {
		return false
	}
	if dp {
		return w.Cols%32 == 0
	}
	return w.Cols%16 == 0
}

// gemmJob is one packed MatMul's work description (recycled like mmJob).
type gemmJob struct {
	fn      func(worker, lo, hi int)
	a       *avx512
	w, up   *Matrix // up: MatMulSwiGLU's up projection, else nil
	wp      unsafe.Pointer
	upWp    unsafe.Pointer
	esz     uintptr // weight element size
	ldw     uintptr
	xp      unsafe.Pointer // f32 activations, or bf16 for the dp method
	ldx     uintptr
	xsz     uintptr
	op      unsafe.Pointer
	ldo     uintptr
	M, N, K int
	nc      int // weight rows per block (a multiple of gemmPanel)
	dp      bool
	amx     bool // dp with TDPBF16PS blocks instead of the micro-kernel
}

// gemm computes out = x·wᵀ (or silu(x·wᵀ)·(x·upᵀ) when up is not nil) for
// M ≥ gemmMinRows rows of activations prepared in the padded layout
// (bf16 for the dp method) with packed panels: the weight rows are split into
// blocks of nc rows (one pool chunk each), and for each k block a worker
// packs its block's panels into its own buffer, then runs every
// micro-tile of every activation block over them.
func (a *avx512) gemm(out []float32, x act, M int, w, up *Matrix) {
	N, K := w.Rows, w.Cols
	j, _ := a.gemmJobs.Get().(*gemmJob)
	if j == nil {
		j = &gemmJob{a: a}
		j.fn = j.run
	}
	j.w, j.up, j.M, j.N, j.K = w, up, M, N, K
	j.xp, j.ldx, j.xsz = x.p, x.ld, x.esz
	j.op, j.ldo = unsafe.Pointer(&out[0]), uintptr(N)*4
	_, j.wp, j.esz = a.tileOf(w)
	if up != nil {
		_, j.upWp, _ = a.tileOf(up)
	}
	j.ldw = uintptr(K) * j.esz
	j.dp = w.DType == BF16 && !a.exact
	j.amx = j.dp && a.amx
	// Enough blocks for every worker to take several (the pool hands
	// chunks to whichever worker is free), at most gemmMaxNC rows each.
	workers := a.pool.Workers()
	nc := (N/(4*workers) + gemmPanel - 1) / gemmPanel * gemmPanel
	j.nc = max(gemmPanel, min(gemmMaxNC, nc))
	blocks := (N + j.nc - 1) / j.nc
	a.pool.RunChunks(blocks, blocks, j.fn)
	*j = gemmJob{a: a, fn: j.fn}
	a.gemmJobs.Put(j)
}

// packBuffer returns worker wk's panel buffer with room for n f32.
func (a *avx512) packBuffer(wk, n int) []float32 { return grow(&a.packBufs[wk], n) }

// grow returns (*b)[:n], first replacing *b by a new buffer when it holds
// fewer than n values.
func grow(b *[]float32, n int) []float32 {
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}

// run computes the weight-row blocks [lo, hi) on worker wk. For
// MatMulSwiGLU the gate block goes to out and the up block to the
// worker's up buffer, and silu(gate)·up is applied to the block's columns
// of each row while they are in L2.
func (j *gemmJob) run(wk, lo, hi int) {
	for blk := lo; blk < hi; blk++ {
		n0 := blk * j.nc
		n1 := min(n0+j.nc, j.N)
		j.block(wk, j.w, j.wp, n0, n1, unsafe.Add(j.op, uintptr(n0)*4), j.ldo)
		if j.up == nil {
			continue
		}
		ub := j.a.upBuffer(wk, j.M*j.nc)
		ldu := uintptr(n1-n0) * 4
		j.block(wk, j.up, j.upWp, n0, n1, unsafe.Pointer(&ub[0]), ldu)
		for m := range j.M {
			o := (*float32)(unsafe.Add(j.op, uintptr(m)*j.ldo+uintptr(n0)*4))
			siluMul(o, o, &ub[m*(n1-n0)], n1-n0)
		}
	}
}

// block sets the columns n0..n1 of C (c points at column n0 of row 0, row
// stride ldc bytes) to x·wᵀ. The block's panels are packed a group of
// k columns at a time (packKG, several k blocks: each weight row is read
// in runs of packKG elements, long enough for the hardware prefetchers),
// then every k block of the group meets every activation micro-tile.
func (j *gemmJob) block(wk int, w *Matrix, wp unsafe.Pointer, n0, n1 int, c unsafe.Pointer, ldc uintptr) {
	M, N, K := j.M, j.N, j.K
	kg := j.a.packKG
	// Bytes per k column of a panel: 32 f32, or 32 halves of bf16 pairs.
	colBytes := uintptr(gemmPanel * 4)
	if j.dp {
		colBytes /= 2
	}
	panels := (n1 - n0 + gemmPanel - 1) / gemmPanel
	buf := j.a.packBuffer(wk, panels*gemmPanel*min(kg, K))
	bp := unsafe.Pointer(&buf[0])
	for g0 := 0; g0 < K; g0 += kg {
		gn := min(kg, K-g0)
		panelBytes := uintptr(gn) * colBytes
		for p := n0; p < n1; p += gemmPanel {
			dst := unsafe.Add(bp, uintptr((p-n0)/gemmPanel)*panelBytes)
			if p+gemmPanel <= N {
				j.pack(w, dst, unsafe.Add(wp, uintptr(p)*j.ldw+uintptr(g0)*j.esz), gn)
			} else {
				j.packTail(w, dst, p, g0, gn)
			}
		}
		if j.amx {
			j.amxGroup(wk, n0, n1, g0, gn, bp, panelBytes, c, ldc)
			continue
		}
		for k0 := g0; k0 < g0+gn; k0 += gemmKC {
			kb := min(gemmKC, g0+gn-k0)
			add := 0
			if k0 > 0 {
				add = 1
			}
			for m0 := 0; m0 < M; m0 += gemmMC {
				m1 := min(m0+gemmMC, M)
				for p := n0; p < n1; p += gemmPanel {
					panel := unsafe.Add(bp, uintptr((p-n0)/gemmPanel)*panelBytes+uintptr(k0-g0)*colBytes)
					mask := 1<<32 - 1
					if N-p < gemmPanel {
						mask = 1<<(N-p) - 1
					}
					for m := m0; m < m1; m += gemmMR {
						mr := min(gemmMR, m1-m)
						xa := unsafe.Add(j.xp, uintptr(m)*j.ldx+uintptr(k0)*j.xsz)
						cm := (*float32)(unsafe.Add(c, uintptr(m)*ldc+uintptr(p-n0)*4))
						if j.dp {
							gemmBF16(mr, (*uint16)(xa), j.ldx, (*uint16)(panel), kb, cm, ldc, mask, add)
						} else {
							gemmF32(mr, (*float32)(xa), j.ldx, (*float32)(panel), kb, cm, ldc, mask, add)
						}
					}
				}
			}
		}
	}
}

// upBuffer returns worker wk's up-projection buffer of at least n values.
func (a *avx512) upBuffer(wk, n int) []float32 { return grow(&a.upBufs[wk], n) }

// gemmMR is the micro-tile height of the generated micro-kernels.
const gemmMR = 12

// pack packs a full 32-row panel with the generated kernels.
func (j *gemmJob) pack(w *Matrix, dst, src unsafe.Pointer, kb int) {
	switch {
	case j.dp:
		packPBF16((*uint16)(dst), src, j.ldw, kb)
	case w.DType == BF16:
		packPBF16X((*float32)(dst), src, j.ldw, kb)
	case w.DType == F16:
		packPF16X((*float32)(dst), src, j.ldw, kb)
	default:
		packPF32((*float32)(dst), src, j.ldw, kb)
	}
}

// packTail packs the last panel of a matrix whose row count is not a
// multiple of 32: rows from N on are zero (their columns are masked off
// when C is stored).
func (j *gemmJob) packTail(w *Matrix, dst unsafe.Pointer, p, k0, kb int) {
	N, K := j.N, j.K
	if j.dp {
		d := unsafe.Slice((*uint16)(dst), kb*gemmPanel)
		clear(d)
		for r := 0; r < N-p; r++ {
			row := w.U16[(p+r)*K+k0 : (p+r)*K+k0+kb]
			for k, v := range row {
				d[(k/2)*2*gemmPanel+2*r+(k&1)] = v
			}
		}
		return
	}
	d := unsafe.Slice((*float32)(dst), kb*gemmPanel)
	clear(d)
	for r := 0; r < N-p; r++ {
		for k := 0; k < kb; k++ {
			d[k*gemmPanel+r] = w.at(p+r, k0+k)
		}
	}
}

// at returns element (r, c) of m as float32 (exact widening).
func (m *Matrix) at(r, c int) float32 {
	i := r*m.Cols + c
	switch m.DType {
	case F32:
		return m.F32[i]
	case BF16:
		return BF16ToF32(m.U16[i])
	default:
		return F16ToF32(m.U16[i])
	}
}
