package kernels

import (
	"testing"
	"time"
)

func TestProbesRun(t *testing.T) {
	if !haveProbes() {
		if _, err := MeasureCompute(ProbeFMA, 1, 1, time.Millisecond); err == nil {
			t.Fatal("probe without AVX-512 returned no error")
		}
		t.Skip("no AVX-512 BF16")
	}
	for _, p := range []Probe{ProbeFMA, ProbeBF16} {
		v, err := MeasureCompute(p, 1, 1, 2*time.Millisecond)
		if err != nil || v <= 1 {
			t.Fatalf("%s = %v GFLOP/s, %v", p, v, err)
		}
	}
	bw, err := MeasureRead(make([]byte, 1<<22), 2, 1, 1)
	if err != nil || bw <= 0.1 {
		t.Fatalf("read bandwidth %v GB/s, %v", bw, err)
	}
	if _, err := MeasureCompute(ProbeReadB, 1, 1, time.Millisecond); err == nil {
		t.Fatal("MeasureCompute accepted the bandwidth probe")
	}
}
