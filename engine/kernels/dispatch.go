package kernels

import (
	"fmt"
	"os"
	"runtime"
)

// EnvVar names the environment variable that forces a kernel path:
// "generic", "avx512" (= "avx512-exact": bf16 weights widened to f32,
// FMA), "avx512-bf16" (activations rounded to bf16, VDPBF16PS) or
// "amx-bf16" (activations rounded to bf16, AMX TDPBF16PS for the prefill
// GEMM). Empty or "auto" picks avx512-exact where AVX-512 BF16 exists and
// generic elsewhere: the bf16-rounding paths are explicit opt-ins.
const EnvVar = "OUROEVAL_KERNELS"

// Paths lists the values Open accepts.
var Paths = []string{"auto", "generic", "avx512", "avx512-bf16", "avx512-exact", "amx-bf16"}

// New returns the kernel path chosen by $OUROEVAL_KERNELS (see EnvVar)
// with a worker pool of GOMAXPROCS goroutines. Without the variable it
// returns avx512 when the CPU has AVX-512 F/BW/VL and AVX512_BF16, and
// generic otherwise. Forcing avx512 on a machine without it is an error.
func New() (Kernels, error) {
	return Open(os.Getenv(EnvVar), runtime.GOMAXPROCS(0))
}

// Open returns the named kernel path (one of Paths; "" means "auto") with
// a pool of workers goroutines (workers < 1 means 1).
func Open(path string, workers int) (Kernels, error) {
	switch path {
	case "", "auto":
		if hasAVX512() {
			return newAVX512(workers, "avx512")
		}
		return NewGeneric(workers), nil
	case "generic":
		return NewGeneric(workers), nil
	case "avx512", "avx512-bf16", "avx512-exact", "amx-bf16":
		return newAVX512(workers, path)
	}
	return nil, fmt.Errorf("kernels: unknown path %q in %s (want one of %v)", path, EnvVar, Paths)
}

// HasAVX512 reports whether the avx512 path can run on this machine.
func HasAVX512() bool { return hasAVX512() }

// Resolve returns the concrete path Open(path, …) runs on this machine:
// "generic", "avx512-bf16", "avx512-exact" or "amx-bf16" (the Name of the
// Kernels it returns), or "" when path is unknown or unavailable here.
// Tests use it with RoundsActivations.
func Resolve(path string) string {
	switch path {
	case "", "auto":
		if !hasAVX512() {
			return "generic"
		}
		path = "avx512"
	case "generic":
		return "generic"
	case "avx512", "avx512-bf16", "avx512-exact":
		if !hasAVX512() {
			return ""
		}
	case "amx-bf16":
		if !hasAMX() {
			return ""
		}
		return path
	default:
		return ""
	}
	return resolveAVX512(path)
}

// RoundsActivations reports whether the kernel path named name (a Name or
// Resolve result) rounds activations to bf16 before multiplying them with
// bf16 weights: "avx512-bf16" (VDPBF16PS) and "amx-bf16" (TDPBF16PS for
// the prefill GEMM, VDPBF16PS elsewhere). Such paths agree with the exact
// ones only within the bf16-rounding bound, not to f32 rounding.
func RoundsActivations(name string) bool { return name == "avx512-bf16" || name == "amx-bf16" }

// HasAMX reports whether the amx-bf16 path can run on this machine.
func HasAMX() bool { return hasAMX() }
