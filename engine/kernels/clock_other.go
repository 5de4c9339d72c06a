//go:build !unix

package kernels

import "time"

// processCPU is unavailable here; the CPU clock falls back to wall time.
func processCPU() time.Duration { return 0 }
