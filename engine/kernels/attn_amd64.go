//go:build amd64

package kernels

import "unsafe"

// Blocked attention (prefill). For nq ≥ attnMinRows query rows and a head
// size that is a multiple of 32, Attention runs as two small GEMMs per
// (head, block of attnBlockRows query rows) on the packed-GEMM
// micro-kernels: S = Q·Kᵀ over panels of 32 keys (each key panel packed
// once, transposed, and used by every micro-tile of the block), a scaled
// softmax of each row over its causal prefix, then O = P·V with the rows
// of V read in place (32 columns of a head per micro-kernel call). Each
// key's K and V rows are read once per block instead of once per query
// row, which makes prefill attention compute-bound instead of bound by
// reading the cache.
const (
	attnMinRows   = 16
	attnBlockRows = 4 * gemmMR
)

// useBlockedAttention reports whether Attention takes the blocked path.
func useBlockedAttention(nq, headDim int) bool {
	return nq >= attnMinRows && headDim%gemmPanel == 0
}

// blockedAttention computes the (block, head) units; see attnJob for the
// parameters. Units are ordered largest first (the last query blocks see
// the most keys) and handed to whichever worker is free.
func (a *avx512) blockedAttention(j *attnJob, nq int) {
	blocks := (nq + attnBlockRows - 1) / attnBlockRows
	j.nq, j.blocks = nq, blocks
	units := blocks * j.heads
	a.pool.RunChunks(units, units, j.blockedFn)
}

// runBlocked computes units [lo, hi) of a blocked Attention on worker wk.
func (j *attnJob) runBlocked(wk, lo, hi int) {
	hd, qs, kvs := j.hd, j.qStride, j.kvStride
	panel := j.a.packBuffer(wk, hd*gemmPanel)
	for u := lo; u < hi; u++ {
		blk := j.blocks - 1 - u/j.heads
		h := u % j.heads
		kh := h / j.group
		i0 := blk * attnBlockRows
		rows := min(attnBlockRows, j.nq-i0)
		nmax := j.pos0 + i0 + rows // keys seen by the block's last row
		// Row stride of S: whole key panels plus 16 floats, so the 12
		// rows a micro-tile reads do not share L1 sets.
		ldS := (nmax+gemmPanel-1)/gemmPanel*gemmPanel + 16
		S := j.a.buf(wk, rows*ldS)
		// S = Q·Kᵀ: row m needs keys 0 .. pos0+i0+m.
		for j0 := 0; j0 < nmax; j0 += gemmPanel {
			jn := min(gemmPanel, nmax-j0)
			kp := j.k[j0*kvs+kh*hd:]
			if jn == gemmPanel {
				packPF32(&panel[0], unsafe.Pointer(&kp[0]), uintptr(kvs)*4, hd)
			} else {
				clear(panel)
				for r := range jn {
					for d := range hd {
						panel[d*gemmPanel+r] = kp[r*kvs+d]
					}
				}
			}
			mask := 1<<jn - 1
			for m := max(0, j0-j.pos0-i0); m < rows; m += gemmMR {
				mr := min(gemmMR, rows-m)
				gemmF32(mr, &j.q[(i0+m)*qs+h*hd], uintptr(qs)*4, &panel[0], hd, &S[m*ldS+j0], uintptr(ldS)*4, mask, 0)
			}
		}
		// P = softmax(scale·S) over each row's causal prefix; zeros after
		// it, where the micro-tiles of P·V still read.
		for m := range rows {
			n := j.pos0 + i0 + m + 1
			row := S[m*ldS : m*ldS+nmax]
			for c := 0; c < n; c += elemChunk {
				scaleF32(&row[c], min(elemChunk, n-c), j.scale)
			}
			softmaxAVX512(row[:n])
			clear(row[n:])
		}
		// O = P·V, 32 columns of the head at a time; a micro-tile of rows
		// m .. m+mr−1 needs keys 0 .. pos0+i0+m+mr−1.
		for d0 := 0; d0 < hd; d0 += gemmPanel {
			for m := 0; m < rows; m += gemmMR {
				mr := min(gemmMR, rows-m)
				keys := j.pos0 + i0 + m + mr
				for c := 0; c < keys; c += attnKeyChunk {
					gemmF32S(mr, &S[m*ldS+c], uintptr(ldS)*4, &j.v[c*kvs+kh*hd+d0], uintptr(kvs)*4, min(attnKeyChunk, keys-c),
						&j.out[(i0+m)*qs+h*hd+d0], uintptr(qs)*4, min(c, 1))
				}
			}
		}
	}
}

// attnKeyChunk bounds the keys of one P·V micro-kernel call (bounded
// running time for any context length).
const attnKeyChunk = 4096
