package kernels

import "time"

// Clock says how benchmark durations are taken.
type Clock uint8

const (
	// Wall measures elapsed wall-clock time.
	Wall Clock = iota
	// CPU measures the process's CPU time (user + system, all threads)
	// divided by the number of threads working: the time the work would
	// take if it had the cores to itself. On a machine shared with other
	// busy processes this is the figure that reflects the code rather
	// than the scheduler; it cannot remove memory-bandwidth or cache
	// contention, and it flatters serial phases (counted at 1/threads).
	CPU
)

// String returns "wall" or "cpu".
func (c Clock) String() string {
	if c == CPU {
		return "cpu"
	}
	return "wall"
}

// stamp is a point on both clocks.
type stamp struct {
	wall time.Time
	cpu  time.Duration
}

func now() stamp { return stamp{wall: time.Now(), cpu: processCPU()} }

// since returns the seconds elapsed since s on clock c for work spread
// over threads threads.
func (s stamp) since(c Clock, threads int) float64 {
	if c == CPU {
		if cpu := processCPU(); cpu > 0 {
			return max((cpu-s.cpu).Seconds()/float64(max(1, threads)), 1e-9)
		}
	}
	return time.Since(s.wall).Seconds()
}
