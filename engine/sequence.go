package engine

import (
	"context"
	"fmt"
	"math"
)

// kvSlot is the K/V cache of one (recurrent step, layer) pair: rows of
// kv_heads·head_dim values per position.
type kvSlot struct{ k, v []float32 }

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
	out := &Steps{Pos0: s.n + first, Rows: rows, Hidden: make([][]float32, s.R)}
	if net.looped {
		out.Lambda = make([][]float32, s.R)
	}
	for t := range s.R {
		for l := range net.layers {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			net.forwardLayer(m.k, &net.layers[l], x, T, s.n, &s.slots[t*L+l], s.s)
		}
		m.k.RMSNorm(x, x, net.norm, float32(m.ck.Config.RMSNormEps))
		h := append([]float32(nil), x[first*D:]...)
		out.Hidden[t] = h
		if net.looped {
			lam := make([]float32, rows)
			for i := range rows {
				lam[i] = net.gateLambda(h[i*D : (i+1)*D])
			}
			out.Lambda[t] = lam
		}
	}
	s.n += T
	return out, nil
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
