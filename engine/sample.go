package engine

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Sampling selects the next token from a step's logits.
type Sampling struct {
	// Temperature 0 means greedy (argmax, lowest id on ties).
	Temperature float64
	// TopK keeps the K most likely tokens (0 = all).
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability
	// reaches TopP (0 or ≥ 1 = all).
	TopP float64
	// MinP drops tokens whose probability is below MinP times the most
	// likely token's (0 = off).
	MinP float64
}

// argmax returns the index of the largest value (the lowest on ties).
func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

type cand struct {
	id int
	p  float64
}

// sample draws a token from logits under s with rng. The filters apply in
// the order temperature → top-k → top-p → min-p, as in Hugging Face's
// default logits-warper order (min-p after top-p).
func (s Sampling) sample(logits []float32, rng *rand.Rand, buf []cand) int {
	if s.Temperature <= 0 {
		return argmax(logits)
	}
	mx := math.Inf(-1)
	for _, v := range logits {
		mx = math.Max(mx, float64(v))
	}
	c := buf[:0]
	var z float64
	for i, v := range logits {
		e := math.Exp((float64(v) - mx) / s.Temperature)
		if e > 0 {
			c = append(c, cand{i, e})
			z += e
		}
	}
	for i := range c {
		c[i].p /= z
	}
	sort.Slice(c, func(i, j int) bool {
		if c[i].p != c[j].p {
			return c[i].p > c[j].p
		}
		return c[i].id < c[j].id
	})
	if s.TopK > 0 && s.TopK < len(c) {
		c = c[:s.TopK]
	}
	if s.TopP > 0 && s.TopP < 1 {
		var cum float64
		for i := range c {
			cum += c[i].p
			if cum >= s.TopP {
				c = c[:i+1]
				break
			}
		}
	}
	if s.MinP > 0 && len(c) > 0 {
		thr := s.MinP * c[0].p
		k := len(c)
		for k > 1 && c[k-1].p < thr {
			k--
		}
		c = c[:k]
	}
	var total float64
	for _, x := range c {
		total += x.p
	}
	u := rng.Float64() * total
	for _, x := range c {
		u -= x.p
		if u < 0 {
			return x.id
		}
	}
	return c[len(c)-1].id
}
