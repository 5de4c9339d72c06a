package engine

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/ouroeval/ouroeval/engine/checkpoint"
	"github.com/ouroeval/ouroeval/engine/kernels"
)

// network is a decoder-only transformer as the architectures describe it:
// an embedding, a stack of layers, a final norm, an LM head and, for looped
// models, an exit gate. Dense models are the case looped == false, where
// the stack runs once.
type network struct {
	cfg    *checkpoint.Config
	embed  kernels.Matrix // [vocab][hidden]
	layers []layer
	norm   []float32 // model.norm
	head   kernels.Matrix
	// Looped models only.
	looped bool
	gate   *linear   // model.early_exit_gate, [1][hidden] + bias
	gateW  []float32 // the gate's weight row widened to float32
	rope   *rope
}

// layer is one decoder layer. Optional parts are nil when the architecture
// lacks them.
type layer struct {
	attnNorm    []float32 // input_layernorm (pre-attention)
	attnOutNorm []float32 // ouro: input_layernorm_2 (sandwich, post-attention)
	mlpNorm     []float32 // post_attention_layernorm (pre-MLP)
	mlpOutNorm  []float32 // ouro: post_attention_layernorm_2 (sandwich, post-MLP)
	q, k, v, o  linear
	qNorm       []float32 // qwen3: per-head RMSNorm on q, before RoPE
	kNorm       []float32 // qwen3: per-head RMSNorm on k, before RoPE
	gate, up    linear
	down        linear
}

// layerSpec says which optional parts a layer has.
type layerSpec struct {
	qkvBias, oBias bool // biases on q/k/v and on o
	mlpBias        bool
	qkNorm         bool // qwen3
	sandwich       bool // ouro
}

// loadLayer loads model.layers.{i}.* for the spec, with shapes from cfg.
func loadLayer(w *weights, c *checkpoint.Config, i int, s layerSpec) layer {
	p := fmt.Sprintf("model.layers.%d.", i)
	D, I := c.HiddenSize, c.IntermediateSize
	qd, kvd := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	l := layer{
		attnNorm: w.vector(p+"input_layernorm.weight", D),
		mlpNorm:  w.vector(p+"post_attention_layernorm.weight", D),
		q:        w.linear(p+"self_attn.q_proj", qd, D, s.qkvBias),
		k:        w.linear(p+"self_attn.k_proj", kvd, D, s.qkvBias),
		v:        w.linear(p+"self_attn.v_proj", kvd, D, s.qkvBias),
		o:        w.linear(p+"self_attn.o_proj", D, qd, s.oBias),
		gate:     w.linear(p+"mlp.gate_proj", I, D, s.mlpBias),
		up:       w.linear(p+"mlp.up_proj", I, D, s.mlpBias),
		down:     w.linear(p+"mlp.down_proj", D, I, s.mlpBias),
	}
	if s.sandwich {
		l.attnOutNorm = w.vector(p+"input_layernorm_2.weight", D)
		l.mlpOutNorm = w.vector(p+"post_attention_layernorm_2.weight", D)
	}
	if s.qkNorm {
		l.qNorm = w.vector(p+"self_attn.q_norm.weight", c.HeadDim)
		l.kNorm = w.vector(p+"self_attn.k_norm.weight", c.HeadDim)
	}
	return l
}

// loadDecoder loads the parts every architecture shares: embedding, layers,
// final norm and the LM head (tied to the embedding when the config says
// so and the file has no lm_head.weight).
func loadDecoder(w *weights, c *checkpoint.Config, s layerSpec) *network {
	n := &network{cfg: c}
	n.embed = w.matrix("model.embed_tokens.weight", c.VocabSize, c.HiddenSize)
	n.layers = make([]layer, c.NumHiddenLayers)
	for i := range n.layers {
		n.layers[i] = loadLayer(w, c, i, s)
	}
	n.norm = w.vector("model.norm.weight", c.HiddenSize)
	if _, ok := w.ck.Tensor("lm_head.weight"); ok || !c.TieWordEmbeddings {
		n.head = w.matrix("lm_head.weight", c.VocabSize, c.HiddenSize)
	} else {
		n.head = n.embed
	}
	if w.err == nil {
		n.rope = newRope(c)
	}
	return n
}

// rope holds the inverse frequencies of rotary embeddings in the
// rotate_half (non-interleaved) layout (dimension i pairs with i + d/2) and
// a cos/sin table that grows on demand. Published tables are immutable, so
// concurrent sequences read them without locking.
type rope struct {
	invFreq []float32 // d/2 values
	maxPos  int       // max_position_embeddings (0: unknown)
	mu      sync.Mutex
	tab     atomic.Pointer[kernels.RoPETable]
}

// newRope computes inv_freq[i] = θ^(−2i/d) in float32 as transformers
// does, with the llama3 frequency rescaling when the config asks for it.
func newRope(c *checkpoint.Config) *rope {
	d := c.HeadDim
	inv := make([]float32, d/2)
	for i := range inv {
		exp := float32(2*i) / float32(d)
		inv[i] = 1 / float32(math.Pow(c.RopeTheta, float64(exp)))
	}
	if c.RopeScaling.Kind() == "llama3" {
		r := c.RopeScaling
		factor, lo, hi := float32(r.Factor), float32(r.LowFreqFactor), float32(r.HighFreqFactor)
		old := float32(r.OriginalMaxPositionEmbeddings)
		lowWave, highWave := old/lo, old/hi
		for i, f := range inv {
			wave := 2 * float32(math.Pi) / f
			switch {
			case wave < highWave:
			case wave > lowWave:
				inv[i] = f / factor
			default:
				g := (old/wave - lo) / (hi - lo)
				inv[i] = (1-g)*f/factor + g*f
			}
		}
	}
	return &rope{invFreq: inv, maxPos: c.MaxPositionEmbeddings}
}

// table returns a cos/sin table covering positions 0..n-1.
func (r *rope) table(n int) *kernels.RoPETable {
	if t := r.tab.Load(); t != nil && t.Positions >= n {
		return t
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.tab.Load()
	if t != nil && t.Positions >= n {
		return t
	}
	size := max(n, 256)
	if t != nil {
		size = max(size, 2*t.Positions)
	}
	if r.maxPos > 0 {
		size = max(n, min(size, r.maxPos))
	}
	t = kernels.NewRoPETable(size, r.invFreq)
	r.tab.Store(t)
	return t
}

// apply rotates rows of heads·d values for positions pos0, pos0+1, ….
func (r *rope) apply(k kernels.Kernels, x []float32, rows, heads, pos0 int) {
	kernels.ApplyRoPE(k, x, rows, heads, 2*len(r.invFreq), pos0, r.table(pos0+rows))
}

// apply runs the linear map on M rows of x into out, adding the bias.
func (l *linear) apply(k kernels.Kernels, out, x []float32, M int) {
	k.MatMul(out, x, M, &l.w)
	l.addBias(k, out, M)
}

// addBias adds the bias (if any) to M output rows.
func (l *linear) addBias(k kernels.Kernels, out []float32, M int) {
	if l.b != nil {
		n := l.w.Rows
		for m := range M {
			k.Add(out[m*n:(m+1)*n], l.b)
		}
	}
}

// scratch holds a forward pass's activation buffers for up to T rows.
type scratch struct {
	T                   int
	a, o, q, k, v, attn []float32
	g, u                []float32
	lin                 [3]kernels.Linear // products of one fused norm
}

func (n *network) scratch(T int) *scratch {
	c := n.cfg
	D, I := c.HiddenSize, c.IntermediateSize
	qd, kvd := c.NumAttentionHeads*c.HeadDim, c.NumKeyValueHeads*c.HeadDim
	return &scratch{T: T,
		a: make([]float32, T*D), o: make([]float32, T*D),
		q: make([]float32, T*qd), k: make([]float32, T*kvd), v: make([]float32, T*kvd),
		attn: make([]float32, T*qd), g: make([]float32, T*I), u: make([]float32, T*I),
	}
}

// forwardLayer runs layer l on T rows of the residual stream x for the
// positions pos0..pos0+T−1, appending their K/V to slot and attending
// over everything the slot holds.
func (n *network) forwardLayer(k kernels.Kernels, l *layer, x []float32, T, pos0 int, slot *kvSlot, s *scratch) {
	c := n.cfg
	D, I := c.HiddenSize, c.IntermediateSize
	H, KV, hd := c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim
	eps := float32(c.RMSNormEps)
	a, o := s.a[:T*D], s.o[:T*D]
	q, kk, v := s.q[:T*H*hd], s.k[:T*KV*hd], s.v[:T*KV*hd]

	// RMSNorm fused with the q/k/v products (kernels.NormLinear).
	s.lin = [3]kernels.Linear{{Out: q, W: &l.q.w}, {Out: kk, W: &l.k.w}, {Out: v, W: &l.v.w}}
	kernels.NormLinear(k, a, nil, x, T, l.attnNorm, eps, s.lin[:])
	l.q.addBias(k, q, T)
	l.k.addBias(k, kk, T)
	l.v.addBias(k, v, T)
	if l.qNorm != nil {
		k.RMSNorm(q, q, l.qNorm, eps)
		k.RMSNorm(kk, kk, l.kNorm, eps)
	}
	n.rope.apply(k, q, T, H, pos0)
	n.rope.apply(k, kk, T, KV, pos0)
	slot.k = append(slot.k[:pos0*KV*hd], kk...)
	slot.v = append(slot.v[:pos0*KV*hd], v...)
	attn := s.attn[:T*H*hd]
	k.Attention(attn, q, slot.k, slot.v, T, pos0, H, KV, hd, float32(1/math.Sqrt(float64(hd))))
	l.o.apply(k, o, attn, T)
	if l.attnOutNorm != nil {
		k.RMSNorm(o, o, l.attnOutNorm, eps)
	}
	k.Add(x, o)

	// RMSNorm fused with the gate and up products and SwiGLU.
	g, u := s.g[:T*I], s.u[:T*I]
	if l.gate.b == nil && l.up.b == nil {
		s.lin[0] = kernels.Linear{Out: g, W: &l.gate.w, Up: &l.up.w}
		kernels.NormLinear(k, a, u, x, T, l.mlpNorm, eps, s.lin[:1]) // u: scratch when not fused
	} else {
		s.lin[0], s.lin[1] = kernels.Linear{Out: g, W: &l.gate.w}, kernels.Linear{Out: u, W: &l.up.w}
		kernels.NormLinear(k, a, nil, x, T, l.mlpNorm, eps, s.lin[:2])
		l.gate.addBias(k, g, T)
		l.up.addBias(k, u, T)
		k.SiLUMul(g, g, u)
	}
	l.down.apply(k, o, g, T)
	if l.mlpOutNorm != nil {
		k.RMSNorm(o, o, l.mlpOutNorm, eps)
	}
	k.Add(x, o)
}

// gateLambda returns λ = sigmoid(gate·h + b) for one normed hidden row
// (a float64 dot product; the gate is one small row, widened at load).
func (n *network) gateLambda(h []float32) float32 {
	var z float64
	for i, v := range h {
		z += float64(v) * float64(n.gateW[i])
	}
	z += float64(n.gate.b[0])
	return float32(1 / (1 + math.Exp(-z)))
}

// rowOf widens row r of m into dst.
func rowOf(m *kernels.Matrix, r int, dst []float32) {
	switch m.DType {
	case kernels.F32:
		copy(dst, m.F32[r*m.Cols:(r+1)*m.Cols])
	case kernels.BF16:
		for i, u := range m.U16[r*m.Cols : (r+1)*m.Cols] {
			dst[i] = kernels.BF16ToF32(u)
		}
	case kernels.F16:
		for i, u := range m.U16[r*m.Cols : (r+1)*m.Cols] {
			dst[i] = kernels.F16ToF32(u)
		}
	}
}
