//go:build !unix

package hub

import (
	"context"
	"errors"
	"os"
	"time"
)

// lockFile takes an exclusive lock by creating p exclusively, polling so
// that the wait can be cancelled through ctx.
func lockFile(ctx context.Context, p string) (func(), error) {
	for {
		fh, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
		if err == nil {
			fh.Close()
			return func() { os.Remove(p) }, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
