//go:build amd64 && linux

package kernels

import (
	"syscall"

	"golang.org/x/sys/cpu"
)

// Linux asks processes to request the AMX tile state before using it.
const (
	archReqXcompPerm  = 0x1023
	xfeatureXtiledata = 18
)

// hasAMX reports whether this CPU has AMX-TILE and AMX-BF16, the avx512
// kernels can run, and the kernel grants this process the tile state
// (arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA), requested here;
// the permission is per process and asking again is harmless).
func hasAMX() bool {
	if !hasAVX512() || !cpu.X86.HasAMXTile || !cpu.X86.HasAMXBF16 {
		return false
	}
	_, _, e := syscall.RawSyscall(syscall.SYS_ARCH_PRCTL, archReqXcompPerm, xfeatureXtiledata, 0)
	return e == 0
}
