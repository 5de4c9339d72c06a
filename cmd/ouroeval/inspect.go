package main

import (
	"context"
	"errors"
	"io"

	"github.com/ouroeval/ouroeval/engine/inspect"
)

// inspectCmd runs `ouroeval inspect` (see docs/inspect.md): the per-loop
// logit lens of a checkpoint.
func inspectCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	err := inspect.Run(ctx, args, stdout, stderr)
	var ue *inspect.UsageError
	if errors.As(err, &ue) {
		return usageError{ue.Msg}
	}
	return err
}
