//go:build amd64 && !linux

package kernels

// hasAMX reports false: the AMX path is enabled on Linux only, where the
// process can request the tile state.
func hasAMX() bool { return false }
