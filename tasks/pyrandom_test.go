package tasks

import (
	"reflect"
	"testing"
)

// The expected values were produced with CPython 3.11.2:
//
//	r = random.Random(seed); [r.sample(range(n), k) for _ in range(reps)]
//
// covering the pool branch (n <= setsize), the set branch, k > 5 (bigger
// setsize), and a seed wider than 32 bits.
func TestPyRandomSampleMatchesCPython(t *testing.T) {
	cases := []struct {
		seed uint64
		n, k int
		want [][]int
	}{
		{1234, 10, 3, [][]int{{7, 1, 0}, {1, 0, 9}, {1, 5, 3}, {0, 9, 8}, {5, 7, 8}}},
		{0, 7, 2, [][]int{{6, 3}, {6, 3}, {0, 2}, {4, 3}}},
		{1234, 100, 6, [][]int{{99, 56, 14, 0, 11, 74}, {4, 85, 88, 10, 12, 98}, {45, 30, 2, 3, 44, 82}}},
		{42, 1000, 25, [][]int{{654, 114, 25, 759, 281, 250, 228, 142, 754, 104, 692, 758, 913, 558, 89, 604, 432, 32, 30, 95, 223, 238, 517, 616, 27}, {574, 203, 733, 665, 718, 558, 429, 225, 459, 603, 284, 828, 890, 6, 777, 825, 163, 714, 432, 348, 159, 220, 980, 781, 344}}},
		{1099511627781, 50, 5, [][]int{{32, 33, 17, 42, 1}, {33, 48, 2, 10, 5}, {8, 15, 41, 43, 24}}},
		{1234, 30, 21, [][]int{{24, 14, 3, 0, 2, 18, 1, 21, 25, 27, 11, 7, 26, 17, 16, 5, 10, 9, 29, 12, 19}, {4, 2, 5, 22, 3, 0, 16, 15, 7, 28, 17, 14, 20, 19, 1, 29, 13, 8, 26, 10, 18}}},
		{7, 1, 1, [][]int{{0}, {0}}},
	}
	for _, c := range cases {
		r := newPyRandom(c.seed)
		for rep, want := range c.want {
			got, err := r.sample(c.n, c.k)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("seed %d sample(range(%d), %d) #%d = %v, want %v", c.seed, c.n, c.k, rep, got, want)
			}
		}
	}
}

func TestPyRandomBitsMatchCPython(t *testing.T) {
	// random.Random(1234): 3 x getrandbits(32), getrandbits(40), random()
	r := newPyRandom(1234)
	for i, want := range []uint64{4150886329, 3342196574, 1892932127} {
		if got := r.getrandbits(32); got != want {
			t.Errorf("getrandbits(32) #%d = %d, want %d", i, got, want)
		}
	}
	if got := r.getrandbits(40); got != 4796836454 {
		t.Errorf("getrandbits(40) = %d, want 4796836454", got)
	}
	if got := r.random(); got != 0.09064360641670188 {
		t.Errorf("random() = %v, want 0.09064360641670188", got)
	}
}

func TestPyRandomSampleErrors(t *testing.T) {
	r := newPyRandom(1)
	if _, err := r.sample(3, 4); err == nil {
		t.Error("sample larger than population: want error")
	}
	if _, err := r.sample(3, -1); err == nil {
		t.Error("negative sample: want error")
	}
}
