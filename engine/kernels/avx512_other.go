//go:build !amd64

package kernels

import "errors"

func hasAVX512() bool { return false }

func newAVX512(workers int, path string) (Kernels, error) {
	return nil, errors.New("kernels: the avx512 path exists only on amd64")
}

func resolveAVX512(path string) string { return "" }

func hasAMX() bool { return false }
