package kernels

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"
)

// BenchResult is one measured figure: a machine ceiling (Ceiling = Value,
// Ratio = 1) or a kernel's rate with the ceiling it is judged against, both
// from the same run.
type BenchResult struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Ceiling float64 `json:"ceiling"`
	Ratio   float64 `json:"ratio"`
}

// BenchOptions configures BenchKernels.
type BenchOptions struct {
	// Path is the kernel path to measure (see Open); "" means auto.
	Path string
	// Threads is the worker count for "all threads" figures; 0 means
	// GOMAXPROCS.
	Threads int
	// Trials is the number of repetitions of each measurement; the best
	// is reported. 0 means 3.
	Trials int
	// StreamBytes is the size of the read-bandwidth buffer and of the
	// weights of the large GEMVs (it should dwarf the last-level cache).
	// 0 means 1 GiB.
	StreamBytes int
	// MinTime is the minimum duration of one trial; 0 means 200ms.
	MinTime time.Duration
	// Clock times kernels and ceilings alike (Wall or CPU).
	Clock Clock
	// Match, when non-nil, selects the kernel cases to run by name (as
	// listed by KernelCases, e.g. "gemm-bf16/M512_N5632_K2048"); the
	// ceilings are always measured.
	Match func(name string) bool
}

func (o *BenchOptions) defaults() {
	if o.Threads <= 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	if o.Trials <= 0 {
		o.Trials = 3
	}
	if o.StreamBytes <= 0 {
		o.StreamBytes = 1 << 30
	}
	if o.MinTime <= 0 {
		o.MinTime = 200 * time.Millisecond
	}
}

// Ceilings holds the same-run machine limits for 1 and all threads.
type Ceilings struct {
	Threads        int
	FMA1, FMAAll   float64 // GFLOP/s
	BF161, BF16All float64 // GFLOP/s
	AMX1, AMXAll   float64 // GFLOP/s (0 without AMX-BF16)
	Read1, ReadAll float64 // GB/s
}

// Measure measures (or, when c already holds figures, re-measures
// and keeps the best of) every ceiling. Taking the best over repeated
// measurements keeps the ratios conservative on a noisy machine.
func (c *Ceilings) Measure(ctx context.Context, threads, trials int, stream []byte, d time.Duration, clk Clock) error {
	c.Threads = threads
	type m struct {
		dst *float64
		f   func() (float64, error)
	}
	ms := []m{
		{&c.FMA1, func() (float64, error) { return MeasureComputeClock(ProbeFMA, 1, trials, d, clk) }},
		{&c.FMAAll, func() (float64, error) { return MeasureComputeClock(ProbeFMA, threads, trials, d, clk) }},
		{&c.BF161, func() (float64, error) { return MeasureComputeClock(ProbeBF16, 1, trials, d, clk) }},
		{&c.BF16All, func() (float64, error) { return MeasureComputeClock(ProbeBF16, threads, trials, d, clk) }},
		{&c.Read1, func() (float64, error) { return MeasureReadClock(stream, 1, 1, trials, clk) }},
		{&c.ReadAll, func() (float64, error) { return MeasureReadClock(stream, threads, 1, trials, clk) }},
	}
	if hasAMX() {
		ms = append(ms,
			m{&c.AMX1, func() (float64, error) { return MeasureComputeClock(ProbeAMX, 1, trials, d, clk) }},
			m{&c.AMXAll, func() (float64, error) { return MeasureComputeClock(ProbeAMX, threads, trials, d, clk) }})
	}
	for _, x := range ms {
		if err := ctx.Err(); err != nil {
			return err
		}
		v, err := x.f()
		if err != nil {
			return err
		}
		*x.dst = max(*x.dst, v)
	}
	return nil
}

// Rows returns the ceilings as BenchResult rows.
func (c *Ceilings) Rows() []BenchResult {
	row := func(p Probe, th int, v float64) BenchResult {
		return BenchResult{Name: fmt.Sprintf("ceiling/%s/%dt", p, th), Value: v, Unit: p.Unit(), Ceiling: v, Ratio: 1}
	}
	rows := []BenchResult{
		row(ProbeFMA, 1, c.FMA1), row(ProbeFMA, c.Threads, c.FMAAll),
		row(ProbeBF16, 1, c.BF161), row(ProbeBF16, c.Threads, c.BF16All),
	}
	if c.AMXAll > 0 {
		rows = append(rows, row(ProbeAMX, 1, c.AMX1), row(ProbeAMX, c.Threads, c.AMXAll))
	}
	return append(rows, row(ProbeReadB, 1, c.Read1), row(ProbeReadB, c.Threads, c.ReadAll))
}

// KernelCase is one kernel benchmark: Run performs one operation of Work
// units (FLOPs or bytes) on k.
type KernelCase struct {
	Name string
	// Path, when set, runs the case on that kernel path instead of the
	// benchmarked one (skipped where it cannot run).
	Path  string
	Probe Probe // the ceiling it is judged against (all threads)
	// Serial marks kernels that run on the caller's goroutine only
	// (element-wise), so the CPU clock divides by one thread.
	Serial bool
	Work   float64 // FLOPs or bytes per Run
	Setup  func(k Kernels, streamBytes int) (run func(), free func())
}

// bf16Rand fills a bf16 slice with cheap pseudo-random normal-ish values
// (never zero), for benchmarks that stream gigabytes.
func bf16Rand(u []uint16, seed uint64) {
	s := seed | 1
	for i := range u {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		// sign, exponent 2^-3..2^0, 7 random mantissa bits
		u[i] = uint16(s>>48)&0x807f | uint16(0x3e00+(s>>32)&0x180)
	}
}

func f32Rand(f []float32, seed uint64) {
	s := seed | 1
	for i := range f {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		f[i] = float32(int64(s>>40)-1<<23) / (1 << 23)
		if f[i] == 0 {
			f[i] = 0.5
		}
	}
}

func matCase(name string, dt DType, probe Probe, M, N, K int, path string) KernelCase {
	return KernelCase{Name: name, Probe: probe, Path: path, Work: 2 * float64(M) * float64(N) * float64(K),
		Setup: func(k Kernels, _ int) (func(), func()) {
			w := &Matrix{DType: dt, Rows: N, Cols: K}
			if dt == F32 {
				w.F32 = make([]float32, N*K)
				f32Rand(w.F32, 1)
			} else {
				w.U16 = make([]uint16, N*K)
				bf16Rand(w.U16, 1)
			}
			x := make([]float32, M*K)
			f32Rand(x, 2)
			out := make([]float32, M*N)
			return func() { k.MatMul(out, x, M, w) }, func() {}
		}}
}

func withPath(c KernelCase, path string) KernelCase { c.Path = path; return c }

// gemvCase streams streamBytes of weights once per Run; Work is bytes.
func gemvCase(name string, dt DType, M int) KernelCase {
	const K = 4096
	c := KernelCase{Name: name, Probe: ProbeReadB}
	c.Setup = func(k Kernels, stream int) (func(), func()) {
		esz := 2
		if dt == F32 {
			esz = 4
		}
		N := stream / (K * esz)
		w := &Matrix{DType: dt, Rows: N, Cols: K}
		if dt == F32 {
			w.F32 = make([]float32, N*K)
			f32Rand(w.F32, 3)
		} else {
			w.U16 = make([]uint16, N*K)
			bf16Rand(w.U16, 3)
		}
		x := make([]float32, M*K)
		f32Rand(x, 4)
		out := make([]float32, M*N)
		return func() { k.MatMul(out, x, M, w) }, func() { w.F32, w.U16 = nil, nil }
	}
	return c
}

// KernelCases returns the standard kernel benchmarks; GEMV Work is filled
// in from streamBytes.
func KernelCases(streamBytes int) []KernelCase {
	// Element-wise vectors: three arrays whose footprint equals the
	// bandwidth probe's buffer.
	big := max(1<<16, streamBytes/12/4096*4096)
	fb := float64(big)
	el := func(op string) string { return fmt.Sprintf("%s/%dMi", op, big>>20) }
	gv := func(c KernelCase, esz int) KernelCase {
		N := streamBytes / (4096 * esz)
		c.Work = float64(N * 4096 * esz)
		return c
	}
	cases := []KernelCase{
		matCase("gemm-bf16/M128_N2048_K2048", BF16, ProbeBF16, 128, 2048, 2048, "avx512-bf16"),
		matCase("gemm-bf16/M512_N5632_K2048", BF16, ProbeBF16, 512, 5632, 2048, "avx512-bf16"),
		matCase("gemm-bf16/M64_N2048_K5632", BF16, ProbeBF16, 64, 2048, 5632, "avx512-bf16"),
		matCase("gemm-bf16/M128_N2048_K2048", BF16, ProbeFMA, 128, 2048, 2048, "avx512-exact"),
		matCase("gemm-bf16/M512_N5632_K2048", BF16, ProbeFMA, 512, 5632, 2048, "avx512-exact"),
		matCase("gemm-bf16/M512_N2048_K5632", BF16, ProbeFMA, 512, 2048, 5632, "avx512-exact"),
		matCase("gemm-bf16/M512_N5632_K2048", BF16, ProbeAMX, 512, 5632, 2048, "amx-bf16"),
		matCase("gemm-bf16/M128_N2048_K2048", BF16, ProbeAMX, 128, 2048, 2048, "amx-bf16"),
		matCase("gemm-bf16/M64_N2048_K5632", BF16, ProbeFMA, 64, 2048, 5632, "avx512-exact"),
		matCase("gemm-f32/M128_N2048_K2048", F32, ProbeFMA, 128, 2048, 2048, ""),
		matCase("gemm-f16/M128_N2048_K2048", F16, ProbeFMA, 128, 2048, 2048, ""),
		gv(withPath(gemvCase("gemv-bf16/M1_K4096", BF16, 1), "avx512-bf16"), 2),
		gv(withPath(gemvCase("gemv-bf16/M1_K4096", BF16, 1), "avx512-exact"), 2),
		gv(gemvCase("gemv-bf16/M4_K4096", BF16, 4), 2),
		gv(gemvCase("gemv-f32/M1_K4096", F32, 1), 4),
		{Name: el("rmsnorm"), Probe: ProbeReadB, Serial: true, Work: 8 * fb /* read x, write out */, Setup: func(k Kernels, _ int) (func(), func()) {
			x, w, o := make([]float32, big), make([]float32, 4096), make([]float32, big)
			f32Rand(x, 5)
			f32Rand(w, 6)
			return func() { k.RMSNorm(o, x, w, 1e-6) }, func() {}
		}},
		{Name: el("silumul"), Probe: ProbeReadB, Serial: true, Work: 12 * fb /* read gate, up; write out */, Setup: func(k Kernels, _ int) (func(), func()) {
			g, u := make([]float32, big), make([]float32, big)
			f32Rand(g, 7)
			f32Rand(u, 8)
			o := make([]float32, big)
			return func() { k.SiLUMul(o, g, u) }, func() {}
		}},
		{Name: el("add"), Probe: ProbeReadB, Serial: true, Work: 12 * fb /* read dst, src; write dst */, Setup: func(k Kernels, _ int) (func(), func()) {
			d, s := make([]float32, big), make([]float32, big)
			f32Rand(d, 9)
			f32Rand(s, 10)
			return func() { k.Add(d, s) }, func() {}
		}},
		{Name: el("softmax"), Probe: ProbeReadB, Serial: true, Work: 20 * fb /* max, exp+sum, scale passes */, Setup: func(k Kernels, _ int) (func(), func()) {
			x := make([]float32, big)
			f32Rand(x, 11)
			return func() { k.Softmax(x) }, func() {}
		}},
	}
	// Decode attention: one query over an f32 KV cache of 16 heads × 128
	// (Ouro-1.4B's layout) whose size equals the probe buffer; Work is the
	// KV bytes read.
	const heads, hd = 16, 128
	ctxLen := max(16, streamBytes/(2*4*heads*hd))
	cases = append(cases, KernelCase{Name: fmt.Sprintf("attention-decode/ctx%d_h16_d128", ctxLen), Probe: ProbeReadB,
		Work: float64(2 * 4 * ctxLen * heads * hd),
		Setup: func(k Kernels, _ int) (func(), func()) {
			q := make([]float32, heads*hd)
			kc, vc := make([]float32, ctxLen*heads*hd), make([]float32, ctxLen*heads*hd)
			f32Rand(q, 12)
			f32Rand(kc, 13)
			f32Rand(vc, 14)
			o := make([]float32, heads*hd)
			sc := float32(1 / math.Sqrt(float64(hd)))
			return func() { k.Attention(o, q, kc, vc, 1, ctxLen-1, heads, heads, hd, sc) }, func() {}
		}})
	return cases
}

// TimeBest runs run repeatedly for at least d of wall time per trial and
// returns the best rate in work units per second of clock c, for work
// spread over threads threads (run should be warmed up first).
func TimeBest(run func(), work float64, trials int, d time.Duration, c Clock, threads int) float64 {
	best := 0.0
	for range max(1, trials) {
		n := 0
		t0 := now()
		for n == 0 || time.Since(t0.wall) < d {
			run()
			n++
		}
		best = max(best, work*float64(n)/t0.since(c, threads))
	}
	return best
}

// BenchKernels measures the ceilings (1 and all threads), then every
// kernel case on the chosen path. Each case interleaves its trials with
// trials of its all-threads ceiling (probe, kernel, probe, kernel, …) and
// reports best kernel / best ceiling from that window, so load from other
// processes affects both sides of the ratio alike. The ceiling rows report
// the best of every probe run. report, when non-nil, receives each row as
// soon as it is measured.
func BenchKernels(ctx context.Context, o BenchOptions, report func(BenchResult)) ([]BenchResult, error) {
	o.defaults()
	k, err := Open(o.Path, o.Threads)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	stream := make([]byte, o.StreamBytes)
	for i := 0; i < len(stream); i += 4096 {
		stream[i] = byte(i >> 12) // fault the pages in
	}
	var c Ceilings
	if err := c.Measure(ctx, o.Threads, o.Trials, stream, o.MinTime, o.Clock); err != nil {
		return nil, err
	}
	var out []BenchResult
	emit := func(r BenchResult) {
		out = append(out, r)
		if report != nil {
			report(r)
		}
	}
	for _, r := range c.Rows() {
		emit(r)
	}
	probe := func(p Probe) (float64, error) {
		if p == ProbeReadB {
			return MeasureReadClock(stream, o.Threads, 1, 1, o.Clock)
		}
		return MeasureComputeClock(p, o.Threads, 1, o.MinTime, o.Clock)
	}
	for _, kc := range KernelCases(o.StreamBytes) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if o.Match != nil && !o.Match(kc.Name) {
			continue
		}
		kk := k
		if kc.Path != "" {
			if kk, err = Open(kc.Path, o.Threads); err != nil {
				continue
			}
		}
		run, free := kc.Setup(kk, o.StreamBytes)
		run() // warm up
		var bestK, bestC float64
		for range o.Trials {
			cv, err := probe(kc.Probe)
			if err != nil {
				return nil, err
			}
			bestC = max(bestC, cv)
			th := o.Threads
			if kc.Serial {
				th = 1
			}
			bestK = max(bestK, TimeBest(run, kc.Work, 1, o.MinTime, o.Clock, th)/1e9)
		}
		free()
		if kk != k {
			kk.Close()
		}
		runtime.GC()
		emit(BenchResult{Name: kk.Name() + "/" + kc.Name, Value: bestK, Unit: kc.Probe.Unit(), Ceiling: bestC, Ratio: bestK / bestC})
	}
	return out, nil
}

// ceiling returns the all-threads ceiling of a probe.
func (c *Ceilings) ceiling(p Probe) float64 {
	switch p {
	case ProbeFMA:
		return c.FMAAll
	case ProbeBF16:
		return c.BF16All
	case ProbeAMX:
		return c.AMXAll
	}
	return c.ReadAll
}
