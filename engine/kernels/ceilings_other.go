//go:build !amd64

package kernels

const probeAlign = 512

func haveProbes() bool { return false }

func fmaChunk() float64 { panic("kernels: no probes on this architecture") }

func dpChunk() float64 { panic("kernels: no probes on this architecture") }

func readSlice(b []byte) float64 { panic("kernels: no probes on this architecture") }

func readSlice8(b []byte) float64 { panic("kernels: no probes on this architecture") }

func amxChunk() float64 { panic("kernels: no probes on this architecture") }
