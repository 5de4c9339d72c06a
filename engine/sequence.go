package engine

import (
	"context"
	"fmt"
	"math"
)

// kvSlot is the K/V cache of one (recurrent step, layer) pair: rows of
// kv_heads·head_dim values per position. mem, when set, owns the memory k
// and v were reserved in (see kvMem); appends past their capacity move
// them to the Go heap.
type kvSlot struct {
	k, v []float32
	mem  *kvMem
}

// Sequence is one token sequence being computed with a KV cache. It runs R
// recurrent steps per token (R = 1 for dense models) and keeps R·L cache
// slots, slot t·L + l for step t and layer l. A Sequence is not safe for
// concurrent use; a Model may serve many Sequences at once.
type Sequence struct {
	m     *Model
	R     int
	slots []kvSlot
	n     int // positions in the cache
	s     *scratch
	x     []float32
	// out is the Steps returned by Forward, with its buffers: reused by
	// every call so steady-state decode allocates nothing.
	out    Steps
	hidden []float32 // R·rows·hidden values behind out.Hidden
	lambda []float32 // R·rows values behind out.Lambda
}

// NewSequence starts an empty sequence with R recurrent steps (R ≤ 0: the
// model's default).
func (m *Model) NewSequence(R int) (*Sequence, error) {
	R, err := m.steps(R)
	if err != nil {
		return nil, err
	}
	return &Sequence{m: m, R: R, slots: make([]kvSlot, R*len(m.net.layers))}, nil
}

// Reserve makes room in the KV cache for positions positions in all (with
// what is already cached), so that Forward appends up to that length
// without reallocating: steady-state decode then allocates nothing, and
// the cache never holds a second, outgrown copy of itself. Where the OS
// commits pages lazily (Unix), the room costs address space only until
// positions are written, so resident memory stays the cache actually
// filled (kvMem). It is a capacity hint only; Forward still grows the
// cache past it.
func (s *Sequence) Reserve(positions int) { s.reserve(positions, positions) }

// reserve is Reserve with a separate bound for room on the Go heap, used
// where lazily committed memory is unavailable.
func (s *Sequence) reserve(positions, heapPositions int) {
	D := s.m.ck.Config.NumKeyValueHeads * s.m.ck.Config.HeadDim
	n := positions * D
	for i := range s.slots {
		if sl := &s.slots[i]; cap(sl.k) < n || cap(sl.v) < n {
			*sl = newKVSlot(*sl, n, heapPositions*D)
		}
	}
}

// dropBuffers releases the activation and output buffers (the KV cache
// stays), for sequences kept only for their cache.
func (s *Sequence) dropBuffers() {
	s.s, s.x, s.hidden, s.lambda = nil, nil, nil, nil
	s.out = Steps{}
}

// Len returns the number of positions computed so far.
func (s *Sequence) Len() int { return s.n }

// Steps holds what one Forward computed for its new positions, per
// recurrent step.
type Steps struct {
	// Pos0 is the position of the first row.
	Pos0 int
	// Rows is the number of positions with outputs: all new positions, or
	// only the last one when Forward was called with lastOnly.
	Rows int
	// Hidden[t] holds Rows rows of the normed hidden state h_{t+1} (after
	// model.norm), the input of the LM head and of the exit gate.
	Hidden [][]float32
	// Lambda[t][i] is the exit gate σ(w·h+b) of step t+1 at row i (nil for
	// dense models).
	Lambda [][]float32
}

// Forward appends ids to the sequence and runs all R steps over them,
// writing each step's K/V into its cache slots. With lastOnly, only the
// last position's hidden states are returned (generation); otherwise all.
// The returned Steps and its slices belong to the Sequence: they are
// overwritten by the next Forward (copy what must outlive it).
// After an error (including cancellation of ctx) the cache may be partly
// written and the Sequence must be discarded.
func (s *Sequence) Forward(ctx context.Context, ids []int, lastOnly bool) (*Steps, error) {
	m, net := s.m, s.m.net
	T := len(ids)
	if T == 0 {
		return nil, fmt.Errorf("engine: Forward with no tokens")
	}
	if err := m.checkIDs(ids, s.n+T); err != nil {
		return nil, err
	}
	D, L := m.ck.Config.HiddenSize, len(net.layers)
	if s.s == nil || s.s.T < T {
		s.s = net.scratch(T)
		s.x = make([]float32, T*D)
	}
	x := s.x[:T*D]
	for i, id := range ids {
		rowOf(&net.embed, id, x[i*D:(i+1)*D])
	}
	rows, first := T, 0
	if lastOnly {
		rows, first = 1, T-1
	}
	out := s.steps(rows, D)
	out.Pos0 = s.n + first
	for t := range s.R {
		for l := range net.layers {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			net.forwardLayer(m.k, &net.layers[l], x, T, s.n, &s.slots[t*L+l], s.s)
		}
		m.k.RMSNorm(x, x, net.norm, float32(m.ck.Config.RMSNormEps))
		h := out.Hidden[t]
		copy(h, x[first*D:])
		if net.looped {
			lam := out.Lambda[t]
			for i := range rows {
				lam[i] = net.gateLambda(h[i*D : (i+1)*D])
			}
		}
	}
	s.n += T
	return out, nil
}

// steps returns s.out set up for rows output rows of D values per step,
// reusing its buffers when they are large enough.
func (s *Sequence) steps(rows, D int) *Steps {
	out := &s.out
	if cap(s.hidden) < s.R*rows*D {
		s.hidden = make([]float32, s.R*rows*D)
	}
	if out.Hidden == nil {
		out.Hidden = make([][]float32, s.R)
	}
	for t := range s.R {
		out.Hidden[t] = s.hidden[t*rows*D : (t+1)*rows*D : (t+1)*rows*D]
	}
	if s.m.net.looped {
		if cap(s.lambda) < s.R*rows {
			s.lambda = make([]float32, s.R*rows)
		}
		if out.Lambda == nil {
			out.Lambda = make([][]float32, s.R)
		}
		for t := range s.R {
			out.Lambda[t] = s.lambda[t*rows : (t+1)*rows : (t+1)*rows]
		}
	}
	out.Rows = rows
	return out
}

// ExitDistribution returns p(t) for t = 1..R from the gate values λ_1..λ_R
// of one position: p(t) = λ_t·∏_{j<t}(1−λ_j) for t < R, and the remaining
// mass ∏_{j<R}(1−λ_j) at t = R (λ_R is ignored). Computed in float64.
func ExitDistribution(lambda []float64) []float64 {
	R := len(lambda)
	p := make([]float64, R)
	surv := 1.0
	for t := range R - 1 {
		p[t] = lambda[t] * surv
		surv *= 1 - lambda[t]
	}
	if R > 0 {
		p[R-1] = surv
	}
	return p
}

// ExitStep applies the Q-exit rule: the first step m (1-based) whose exit
// CDF Σ_{t≤m} p(t) reaches q; R when none does before the last step.
func ExitStep(p []float64, q float64) int {
	var cdf float64
	for t := range len(p) - 1 {
		cdf += p[t]
		if cdf >= q {
			return t + 1
		}
	}
	return len(p)
}

// logSoftmax sets dst to the log-softmax of logits (float64 reduction).
func logSoftmax(dst, logits []float32) {
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	var z float64
	for _, v := range logits {
		z += math.Exp(float64(v) - mx)
	}
	lz := mx + math.Log(z)
	for i, v := range logits {
		dst[i] = float32(float64(v) - lz)
	}
}

// logits computes the LM head on rows rows of h into out (rows·vocab).
func (m *Model) logits(out, h []float32, rows int) {
	m.k.MatMul(out, h, rows, &m.net.head)
}
