package safetensors

import (
	"fmt"
	"os"
)

// Open opens and validates the safetensors file at path. On unix systems
// the file is memory-mapped read-only (unless opts.NoMmap), so tensors are
// zero-copy views of the page cache; elsewhere it is read into memory.
func Open(path string, opts Options) (*File, error) {
	var (
		data    []byte
		release func() error
		err     error
	)
	if opts.NoMmap {
		data, err = os.ReadFile(path)
		release = func() error { return nil }
	} else {
		data, release, err = mapFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %w", path, err)
	}
	f, err := OpenBytes(path, data, opts)
	if err != nil {
		release()
		return nil, err
	}
	f.release = release
	return f, nil
}
