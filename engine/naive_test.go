package engine

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/ouroeval/ouroeval/engine/checkpoint"
)

// naiveModel is an independent float64 implementation of the four
// architectures straight from the math in ouro-model.md, with no KV cache
// and no kernels: the engine must agree with it.
type naiveModel struct {
	c  *checkpoint.Config
	ck *checkpoint.Checkpoint
}

func (n *naiveModel) get(name string) []float64 {
	t, ok := n.ck.Tensor(name)
	if !ok {
		return nil
	}
	f := toF32(t)
	out := make([]float64, len(f))
	for i, v := range f {
		out[i] = float64(v)
	}
	return out
}

func nrms(x, w []float64, eps float64) []float64 {
	var ss float64
	for _, v := range x {
		ss += v * v
	}
	inv := 1 / math.Sqrt(ss/float64(len(x))+eps)
	out := make([]float64, len(x))
	for i := range x {
		out[i] = x[i] * inv * w[i]
	}
	return out
}

func nlin(x, w, b []float64, out int) []float64 {
	in := len(x)
	y := make([]float64, out)
	for o := range out {
		var s float64
		for i := range in {
			s += x[i] * w[o*in+i]
		}
		if b != nil {
			s += b[o]
		}
		y[o] = s
	}
	return y
}

func (n *naiveModel) invFreq() []float64 {
	c := n.c
	d := c.HeadDim
	inv := make([]float64, d/2)
	for i := range inv {
		inv[i] = math.Pow(c.RopeTheta, -float64(2*i)/float64(d))
	}
	if c.RopeScaling.Kind() == "llama3" {
		r := c.RopeScaling
		lowW, highW := float64(r.OriginalMaxPositionEmbeddings)/r.LowFreqFactor, float64(r.OriginalMaxPositionEmbeddings)/r.HighFreqFactor
		for i, f := range inv {
			w := 2 * math.Pi / f
			if w > lowW {
				inv[i] = f / r.Factor
			} else if w >= highW {
				g := (float64(r.OriginalMaxPositionEmbeddings)/w - r.LowFreqFactor) / (r.HighFreqFactor - r.LowFreqFactor)
				inv[i] = (1-g)*f/r.Factor + g*f
			}
		}
	}
	return inv
}

func nrope(v []float64, pos int, inv []float64) {
	h := len(inv)
	for i, f := range inv {
		c, s := math.Cos(float64(pos)*f), math.Sin(float64(pos)*f)
		a, b := v[i], v[i+h]
		v[i], v[i+h] = a*c-b*s, b*c+a*s
	}
}

// forward returns log-probs [step][pos][vocab] and λ [step][pos].
func (n *naiveModel) forward(ids []int, R int) ([][][]float64, [][]float64) {
	c := n.c
	D, hd, H, KV := c.HiddenSize, c.HeadDim, c.NumAttentionHeads, c.NumKeyValueHeads
	T, eps := len(ids), c.RMSNormEps
	emb := n.get("model.embed_tokens.weight")
	head := n.get("lm_head.weight")
	if head == nil {
		head = emb
	}
	inv := n.invFreq()
	x := make([][]float64, T)
	for i, id := range ids {
		x[i] = append([]float64(nil), emb[id*D:(id+1)*D]...)
	}
	var lps [][][]float64
	var lams [][]float64
	for range R {
		for l := range c.NumHiddenLayers {
			p := fmt.Sprintf("model.layers.%d.", l)
			g := func(s string) []float64 { return n.get(p + s) }
			qs, ks, vs := make([][]float64, T), make([][]float64, T), make([][]float64, T)
			for i := range T {
				a := nrms(x[i], g("input_layernorm.weight"), eps)
				qs[i] = nlin(a, g("self_attn.q_proj.weight"), g("self_attn.q_proj.bias"), H*hd)
				ks[i] = nlin(a, g("self_attn.k_proj.weight"), g("self_attn.k_proj.bias"), KV*hd)
				vs[i] = nlin(a, g("self_attn.v_proj.weight"), g("self_attn.v_proj.bias"), KV*hd)
				for h := range H {
					if qn := g("self_attn.q_norm.weight"); qn != nil {
						copy(qs[i][h*hd:], nrms(qs[i][h*hd:(h+1)*hd], qn, eps))
					}
					nrope(qs[i][h*hd:(h+1)*hd], i, inv)
				}
				for h := range KV {
					if kn := g("self_attn.k_norm.weight"); kn != nil {
						copy(ks[i][h*hd:], nrms(ks[i][h*hd:(h+1)*hd], kn, eps))
					}
					nrope(ks[i][h*hd:(h+1)*hd], i, inv)
				}
			}
			for i := range T {
				att := make([]float64, H*hd)
				for h := range H {
					kh := h / (H / KV)
					sc := make([]float64, i+1)
					mx := math.Inf(-1)
					for j := range i + 1 {
						var d float64
						for e := range hd {
							d += qs[i][h*hd+e] * ks[j][kh*hd+e]
						}
						sc[j] = d / math.Sqrt(float64(hd))
						mx = math.Max(mx, sc[j])
					}
					var z float64
					for j := range sc {
						sc[j] = math.Exp(sc[j] - mx)
						z += sc[j]
					}
					for j := range sc {
						for e := range hd {
							att[h*hd+e] += sc[j] / z * vs[j][kh*hd+e]
						}
					}
				}
				o := nlin(att, g("self_attn.o_proj.weight"), g("self_attn.o_proj.bias"), D)
				if w := g("input_layernorm_2.weight"); w != nil {
					o = nrms(o, w, eps)
				}
				for e := range D {
					x[i][e] += o[e]
				}
				m := nrms(x[i], g("post_attention_layernorm.weight"), eps)
				gg := nlin(m, g("mlp.gate_proj.weight"), g("mlp.gate_proj.bias"), c.IntermediateSize)
				uu := nlin(m, g("mlp.up_proj.weight"), g("mlp.up_proj.bias"), c.IntermediateSize)
				for e := range gg {
					gg[e] = gg[e] / (1 + math.Exp(-gg[e])) * uu[e]
				}
				d := nlin(gg, g("mlp.down_proj.weight"), g("mlp.down_proj.bias"), D)
				if w := g("post_attention_layernorm_2.weight"); w != nil {
					d = nrms(d, w, eps)
				}
				for e := range D {
					x[i][e] += d[e]
				}
			}
		}
		step := make([][]float64, T)
		lam := make([]float64, T)
		for i := range T {
			x[i] = nrms(x[i], n.get("model.norm.weight"), eps)
			if gw := n.get("model.early_exit_gate.weight"); gw != nil {
				z := nlin(x[i], gw, n.get("model.early_exit_gate.bias"), 1)[0]
				lam[i] = 1 / (1 + math.Exp(-z))
			}
			lg := nlin(x[i], head, nil, c.VocabSize)
			mx := math.Inf(-1)
			for _, v := range lg {
				mx = math.Max(mx, v)
			}
			var z float64
			for _, v := range lg {
				z += math.Exp(v - mx)
			}
			for e := range lg {
				lg[e] -= mx + math.Log(z)
			}
			step[i] = lg
		}
		lps = append(lps, step)
		lams = append(lams, lam)
	}
	return lps, lams
}

func newNaive(t *testing.T, dir string) *naiveModel {
	t.Helper()
	ck, err := checkpoint.Open(context.Background(), dir, checkpoint.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ck.Close() })
	return &naiveModel{c: ck.Config, ck: ck}
}
