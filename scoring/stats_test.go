package scoring

import (
	"context"
	"math"
	"math/big"
	"testing"
)

func TestMeanStdErr(t *testing.T) {
	xs := []float64{1, 0, 1, 1}
	if got := Mean(xs); got != 0.75 {
		t.Errorf("Mean = %v", got)
	}
	// sample std = sqrt(0.75/3) = 0.5; /sqrt(4) = 0.25
	if got := StdErr(xs); math.Abs(got-0.25) > 1e-15 {
		t.Errorf("StdErr = %v, want 0.25", got)
	}
	if !math.IsNaN(StdErr([]float64{1})) || !math.IsNaN(Mean(nil)) {
		t.Error("n<2 stderr / empty mean should be NaN")
	}
}

func TestAggregate(t *testing.T) {
	cases := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"mean", []float64{1, 2, 3, 6}, 3},
		{"median", []float64{9, 1, 5, 7}, 5}, // lm-eval: arr[len//2], unsorted
		{"nanmean", []float64{1, math.NaN(), 3}, 2},
		{"perplexity", []float64{-1, -3}, math.Exp(2)},
	}
	for _, c := range cases {
		got, err := Aggregate(c.name, c.xs)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Aggregate(%s) = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
	if _, err := Aggregate("bits_per_byte", []float64{1}); err == nil {
		t.Error("weighted aggregation without weights: no error")
	}
	if _, err := Aggregate("mean", nil); err == nil {
		t.Error("empty: no error")
	}
	if got, _ := AggregateWeighted("weighted_perplexity", []float64{-2, -4}, []float64{1, 2}); math.Abs(got-math.Exp(2)) > 1e-12 {
		t.Errorf("weighted_perplexity = %v", got)
	}
}

func TestPooledAndGroup(t *testing.T) {
	// Pooling the stderrs of two halves of a sample reproduces lm-eval's
	// formula: sqrt(sum((n-1) se^2 n) / (N - k) / N).
	se, err := PooledStdErr([]float64{0.1, 0.2}, []int{10, 30})
	want := math.Sqrt((9*0.01*10 + 29*0.04*30) / 38.0 / 40.0)
	if err != nil || math.Abs(se-want) > 1e-15 {
		t.Errorf("PooledStdErr = %v, want %v", se, want)
	}
	if g, _ := GroupMean([]float64{0.5, 1}, []int{1, 3}, true); g != 0.875 {
		t.Errorf("GroupMean weighted = %v", g)
	}
	if g, _ := GroupMean([]float64{0.5, 1}, []int{1, 3}, false); g != 0.75 {
		t.Errorf("GroupMean unweighted = %v", g)
	}
}

// passAtKClosedForm is 1 - C(n-c,k)/C(n,k) in exact rational arithmetic.
func passAtKClosedForm(n, c, k int) float64 {
	if n-c < k {
		return 1
	}
	num := new(big.Int).Binomial(int64(n-c), int64(k))
	den := new(big.Int).Binomial(int64(n), int64(k))
	r := new(big.Rat).SetFrac(num, den)
	f, _ := new(big.Rat).Sub(big.NewRat(1, 1), r).Float64()
	return f
}

func TestPassAtKClosedForm(t *testing.T) {
	for n := 1; n <= 40; n++ {
		for c := 0; c <= n; c++ {
			for _, k := range []int{1, 2, 5, 10, n} {
				if k > n {
					continue
				}
				got, want := PassAtK(n, c, k), passAtKClosedForm(n, c, k)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("PassAtK(%d,%d,%d) = %v, closed form %v", n, c, k, got, want)
				}
			}
		}
	}
	if math.Abs(PassAtK(10, 3, 1)-0.3) > 1e-15 {
		t.Errorf("pass@1 = %v, want c/n", PassAtK(10, 3, 1))
	}
	for _, bad := range [][3]int{{0, 0, 1}, {5, 6, 1}, {5, -1, 1}, {5, 2, 0}, {5, 2, 6}} {
		if !math.IsNaN(PassAtK(bad[0], bad[1], bad[2])) {
			t.Errorf("PassAtK%v should be NaN", bad)
		}
	}
}

func TestMajAtK(t *testing.T) {
	cases := []struct {
		in   []string
		k    int
		want string
	}{
		{[]string{"a", "b", "b", "a"}, 0, "a"}, // tie: first seen
		{[]string{"a", "b", "b", "a"}, 3, "b"},
		{[]string{"x"}, 5, "x"},
		{nil, 1, ""},
		{[]string{"b", "a", "a", "b", "c"}, 0, "b"},
	}
	for _, c := range cases {
		if got := MajAtK(c.in, c.k); got != c.want {
			t.Errorf("MajAtK(%q, %d) = %q, want %q", c.in, c.k, got, c.want)
		}
	}
}

func TestBootstrapDeterministicAcrossWorkers(t *testing.T) {
	xs := make([]float64, 257)
	for i := range xs {
		xs[i] = float64((i*7919)%13) / 13
	}
	ctx := context.Background()
	ref, refSE, err := Bootstrap(ctx, xs, Mean, 0, 42, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{2, 3, 8, 64} {
		ci, se, err := Bootstrap(ctx, xs, Mean, 0, 42, w)
		if err != nil {
			t.Fatal(err)
		}
		if ci != ref || se != refSE {
			t.Fatalf("workers=%d: %+v %v differs from workers=1: %+v %v", w, ci, se, ref, refSE)
		}
	}
	// The CI brackets the mean and the bootstrap SE is close to the
	// analytic one.
	m := Mean(xs)
	if !(ref.Lo < m && m < ref.Hi) || ref.Level != 0.95 {
		t.Errorf("CI %+v does not bracket mean %v", ref, m)
	}
	if se := StdErr(xs); math.Abs(refSE-se)/se > 0.05 {
		t.Errorf("bootstrap SE %v vs analytic %v", refSE, se)
	}
	other, _, _ := Bootstrap(ctx, xs, Mean, 0, 43, 1)
	if other == ref {
		t.Error("different seeds gave identical intervals")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, _, err := Bootstrap(cctx, xs, Mean, 0, 1, 2); err == nil {
		t.Error("cancelled context: no error")
	}
	if _, _, err := Bootstrap(ctx, nil, Mean, 0, 1, 2); err == nil {
		t.Error("no values: no error")
	}
}

func TestPercentile(t *testing.T) {
	s := []float64{1, 2, 3, 4}
	// numpy.percentile([1,2,3,4], [0, 25, 50, 100]) = 1, 1.75, 2.5, 4
	for q, want := range map[float64]float64{0: 1, 0.25: 1.75, 0.5: 2.5, 1: 4} {
		if got := Percentile(s, q); got != want {
			t.Errorf("Percentile(%v) = %v, want %v", q, got, want)
		}
	}
}

func TestPairedBootstrap(t *testing.T) {
	a := []float64{1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1}
	b := []float64{0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1}
	ctx := context.Background()
	p1, err := PairedBootstrap(ctx, a, b, 2000, 7, 1)
	if err != nil {
		t.Fatal(err)
	}
	p4, _ := PairedBootstrap(ctx, a, b, 2000, 7, 4)
	if p1 != p4 {
		t.Fatalf("worker count changed the result: %+v vs %+v", p1, p4)
	}
	if p1.MeanDiff != 0.4 || p1.Wins != 8 || p1.Losses != 0 || p1.Ties != 12 || p1.N != 20 {
		t.Errorf("paired: %+v", p1)
	}
	if !(p1.CI.Lo > 0 && p1.CI.Hi > p1.CI.Lo) || p1.PValue > 0.01 {
		t.Errorf("a clear improvement should have CI > 0 and small p: %+v", p1)
	}
	same, _ := PairedBootstrap(ctx, a, a, 500, 7, 2)
	if same.MeanDiff != 0 || same.PValue != 1 {
		t.Errorf("identical vectors: %+v", same)
	}
	if _, err := PairedBootstrap(ctx, a, b[:3], 100, 1, 1); err == nil {
		t.Error("length mismatch: no error")
	}
}

func TestMcNemar(t *testing.T) {
	a := []float64{1, 1, 1, 1, 1, 1, 1, 0, 1, 0}
	b := []float64{0, 0, 0, 0, 0, 0, 1, 1, 1, 0}
	ao, bo, p, err := McNemar(a, b)
	// 6 vs 1 discordant: p = 2 * P(Binom(7, .5) <= 1) = 2 * 8/128 = 0.125
	if err != nil || ao != 6 || bo != 1 || math.Abs(p-0.125) > 1e-12 {
		t.Errorf("McNemar = %d %d %v %v", ao, bo, p, err)
	}
	if _, _, p, _ := McNemar(a, a); p != 1 {
		t.Errorf("identical: p = %v", p)
	}
	if _, _, _, err := McNemar([]float64{0.5}, []float64{1}); err == nil {
		t.Error("non-binary: no error")
	}
	if _, _, p, _ := McNemar([]float64{1, 0}, []float64{0, 1}); p != 1 {
		t.Errorf("balanced: p = %v, want 1", p)
	}
}
