package kernels

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// benchStreamBytes is the bandwidth-probe and large-GEMV size for the
// benchmarks: $OUROEVAL_BENCH_STREAM_MB MiB, default 1024.
func benchStreamBytes(b *testing.B) int {
	if s := os.Getenv("OUROEVAL_BENCH_STREAM_MB"); s != "" {
		mb, err := strconv.Atoi(s)
		if err != nil || mb < 1 {
			b.Fatalf("OUROEVAL_BENCH_STREAM_MB=%q: want a positive integer", s)
		}
		return mb << 20
	}
	return 1 << 30
}

// BenchmarkCeilings reports the machine ceilings for 1 and all threads.
//
//	go test -run XXX -bench Ceilings ./engine/kernels
func BenchmarkCeilings(b *testing.B) {
	if !haveProbes() {
		b.Skip(ErrNoProbes)
	}
	stream := make([]byte, benchStreamBytes(b))
	for i := 0; i < len(stream); i += 4096 {
		stream[i] = 1
	}
	for _, th := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run("threads="+strconv.Itoa(th), func(b *testing.B) {
			var fma, dp, bw float64
			for range b.N {
				f, _ := MeasureCompute(ProbeFMA, th, 1, 100*time.Millisecond)
				d, _ := MeasureCompute(ProbeBF16, th, 1, 100*time.Millisecond)
				r, _ := MeasureRead(stream, th, 1, 1)
				fma, dp, bw = max(fma, f), max(dp, d), max(bw, r)
			}
			b.ReportMetric(fma, "fma-GFLOP/s")
			b.ReportMetric(dp, "dpbf16-GFLOP/s")
			b.ReportMetric(bw, "read-GB/s")
		})
	}
}

// BenchmarkKernels runs every KernelCase on $OUROEVAL_KERNELS (default:
// auto) and reports its rate and its ratio to the all-threads ceiling
// measured right before and after the timed loop (best of the two).
//
//	go test -run XXX -bench Kernels -benchtime 3x ./engine/kernels
func BenchmarkKernels(b *testing.B) {
	if !haveProbes() {
		b.Skip(ErrNoProbes)
	}
	sb := benchStreamBytes(b)
	threads := runtime.GOMAXPROCS(0)
	k, err := Open(os.Getenv(EnvVar), threads)
	if err != nil {
		b.Fatal(err)
	}
	defer k.Close()
	stream := make([]byte, sb)
	for i := 0; i < len(stream); i += 4096 {
		stream[i] = 1
	}
	probe := func(p Probe) float64 {
		var v float64
		if p == ProbeReadB {
			v, _ = MeasureRead(stream, threads, 1, 1)
		} else {
			v, _ = MeasureCompute(p, threads, 1, 100*time.Millisecond)
		}
		return v
	}
	for _, kc := range KernelCases(sb) {
		b.Run(strings.ReplaceAll(kc.Path+"/"+kc.Name, "/", "_"), func(b *testing.B) {
			kk := k
			if kc.Path != "" {
				var err error
				if kk, err = Open(kc.Path, threads); err != nil {
					b.Skip(err)
				}
				defer kk.Close()
			}
			run, free := kc.Setup(kk, sb)
			defer free()
			run()
			ceil := probe(kc.Probe)
			b.ResetTimer()
			for range b.N {
				run()
			}
			el := b.Elapsed().Seconds()
			b.StopTimer()
			ceil = max(ceil, probe(kc.Probe))
			v := kc.Work * float64(b.N) / el / 1e9
			unit := strings.ReplaceAll(kc.Probe.Unit(), "/", "-per-")
			b.ReportMetric(v, unit)
			b.ReportMetric(ceil, "ceiling-"+unit)
			b.ReportMetric(v/ceil, "frac-of-"+string(kc.Probe))
		})
	}
}
