//go:build !unix

package scoring

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
