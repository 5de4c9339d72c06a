package tasks

import (
	"fmt"
	"math"
	"math/bits"
)

// pyRandom is CPython's random.Random: MT19937 seeded like
// random.seed(int) (init_by_array over the 32-bit words of |seed|), with
// getrandbits, _randbelow and sample implemented exactly as in CPython
// 3.x, so few-shot draws equal lm-eval's bit for bit.
type pyRandom struct {
	mt  [624]uint32
	idx int
}

// newPyRandom returns random.Random(seed).
func newPyRandom(seed uint64) *pyRandom {
	r := &pyRandom{}
	key := []uint32{uint32(seed)}
	if hi := uint32(seed >> 32); hi != 0 {
		key = append(key, hi)
	}
	r.initByArray(key)
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < 624; i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.idx = 624
}

func (r *pyRandom) initByArray(key []uint32) {
	r.initGenrand(19650218)
	i, j := 1, 0
	k := max(624, len(key))
	for ; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k = 623; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= 624 {
			r.mt[0] = r.mt[623]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
	r.idx = 624
}

func (r *pyRandom) uint32() uint32 {
	const upper, lower = 0x80000000, 0x7fffffff
	if r.idx >= 624 {
		for kk := 0; kk < 624; kk++ {
			y := (r.mt[kk] & upper) | (r.mt[(kk+1)%624] & lower)
			v := r.mt[(kk+397)%624] ^ (y >> 1)
			if y&1 != 0 {
				v ^= 0x9908b0df
			}
			r.mt[kk] = v
		}
		r.idx = 0
	}
	y := r.mt[r.idx]
	r.idx++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// getrandbits is random.getrandbits(k) for 1 <= k <= 64.
func (r *pyRandom) getrandbits(k int) uint64 {
	if k <= 32 {
		return uint64(r.uint32() >> (32 - k))
	}
	// CPython fills 32-bit words least significant first; the last word
	// is shifted down to the remaining bits.
	lo := uint64(r.uint32())
	hi := uint64(r.uint32() >> (64 - k))
	return lo | hi<<32
}

// randbelow is random._randbelow_with_getrandbits(n), n >= 1.
func (r *pyRandom) randbelow(n int) int {
	k := bits.Len(uint(n))
	v := r.getrandbits(k)
	for v >= uint64(n) {
		v = r.getrandbits(k)
	}
	return int(v)
}

// random is random.random(): 53-bit float in [0, 1).
func (r *pyRandom) random() float64 {
	a := r.uint32() >> 5
	b := r.uint32() >> 6
	return (float64(a)*67108864.0 + float64(b)) * (1.0 / 9007199254740992.0)
}

// sample is random.sample(range(n), k): the indices CPython's sample
// picks from a population of size n, in order.
func (r *pyRandom) sample(n, k int) ([]int, error) {
	if k < 0 || k > n {
		return nil, fmt.Errorf("sample larger than population or is negative (k=%d, population=%d)", k, n)
	}
	result := make([]int, k)
	setsize := 21
	if k > 5 {
		setsize += int(math.Pow(4, math.Ceil(math.Log(float64(k*3))/math.Log(4))))
	}
	if n <= setsize {
		pool := make([]int, n)
		for i := range pool {
			pool[i] = i
		}
		for i := 0; i < k; i++ {
			j := r.randbelow(n - i)
			result[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return result, nil
	}
	selected := make(map[int]struct{}, k)
	for i := 0; i < k; i++ {
		j := r.randbelow(n)
		for {
			if _, dup := selected[j]; !dup {
				break
			}
			j = r.randbelow(n)
		}
		selected[j] = struct{}{}
		result[i] = j
	}
	return result, nil
}
