package kernels

import (
	"errors"
	"runtime"
	"sync"
	"time"
)

// ErrNoProbes is returned by the ceiling probes on machines without the
// AVX-512 assembly they are written in.
var ErrNoProbes = errors.New("kernels: ceiling probes need amd64 with AVX-512 BF16")

// Probe names a machine ceiling measured by a tight assembly loop.
type Probe string

// The ceilings every kernel is compared against.
const (
	ProbeFMA   Probe = "fp32-fma"       // GFLOP/s of independent 512-bit FMAs
	ProbeBF16  Probe = "bf16-dpbf16"    // GFLOP/s of independent VDPBF16PS (64 FLOP each)
	ProbeAMX   Probe = "bf16-amx"       // GFLOP/s of independent AMX TDPBF16PS (16·16·32·2 FLOP each)
	ProbeReadB Probe = "read-bandwidth" // GB/s of streaming 512-bit loads over a buffer
)

// Unit returns "GFLOP/s" or "GB/s".
func (p Probe) Unit() string {
	if p == ProbeReadB {
		return "GB/s"
	}
	return "GFLOP/s"
}

// MeasureCompute returns the best of trials measurements of a compute
// ceiling (ProbeFMA or ProbeBF16) with threads goroutines running at once,
// each for about d.
func MeasureCompute(p Probe, threads, trials int, d time.Duration) (float64, error) {
	return MeasureComputeClock(p, threads, trials, d, Wall)
}

// MeasureComputeClock is MeasureCompute timed on clock c.
func MeasureComputeClock(p Probe, threads, trials int, d time.Duration, c Clock) (float64, error) {
	if !haveProbes() {
		return 0, ErrNoProbes
	}
	var chunk func() float64
	switch p {
	case ProbeFMA:
		chunk = fmaChunk
	case ProbeBF16:
		chunk = dpChunk
	case ProbeAMX:
		if !hasAMX() {
			return 0, errors.New("kernels: no AMX-BF16 on this machine (or the OS does not grant the tile state)")
		}
		chunk = amxChunk
	default:
		return 0, errors.New("kernels: not a compute probe: " + string(p))
	}
	// Calibrate: calls per thread for about d (fastest of three calls, so
	// a descheduled call does not shorten the trials).
	per := time.Hour
	for range 3 {
		t0 := time.Now()
		chunk()
		per = min(per, time.Since(t0))
	}
	per = max(per, time.Microsecond)
	calls := max(1, int(d/per))
	best := 0.0
	for range max(1, trials) {
		rate := parallel(threads, c, func(int) float64 {
			var f float64
			for range calls {
				f += chunk()
			}
			return f
		})
		best = max(best, rate/1e9)
	}
	return best, nil
}

// MeasureRead returns the best of trials read-bandwidth measurements in
// GB/s: threads goroutines each stream their share of buf (which should be
// far larger than the last-level cache) reps times. Each trial measures
// two access patterns, one sequential stream per thread and eight
// interleaved streams per thread, and the faster counts.
func MeasureRead(buf []byte, threads, reps, trials int) (float64, error) {
	return MeasureReadClock(buf, threads, reps, trials, Wall)
}

// MeasureReadClock is MeasureRead timed on clock c.
func MeasureReadClock(buf []byte, threads, reps, trials int, c Clock) (float64, error) {
	if !haveProbes() {
		return 0, ErrNoProbes
	}
	threads = max(1, threads)
	share := len(buf) / threads / probeAlign * probeAlign
	if share == 0 {
		return 0, errors.New("kernels: read-bandwidth buffer too small")
	}
	best := 0.0
	for range max(1, trials) {
		for _, read := range []func([]byte) float64{readSlice, readSlice8} {
			rate := parallel(threads, c, func(t int) float64 {
				var b float64
				for range max(1, reps) {
					b += read(buf[t*share : (t+1)*share])
				}
				return b
			})
			best = max(best, rate/1e9)
		}
	}
	return best, nil
}

// parallel runs work on threads goroutines locked to OS threads, started
// together, and returns the summed work per second of clock c.
func parallel(threads int, c Clock, work func(thread int) float64) float64 {
	threads = max(1, threads)
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	total := make([]float64, threads)
	ready.Add(threads)
	done.Add(threads)
	for t := range threads {
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			defer done.Done()
			ready.Done()
			<-start
			total[t] = work(t)
		}()
	}
	ready.Wait()
	t0 := now()
	close(start)
	done.Wait()
	el := t0.since(c, threads)
	var sum float64
	for _, v := range total {
		sum += v
	}
	return sum / el
}
