package procedural

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

func errNoDoc(gen, split string, i int) error {
	return fmt.Errorf("%s: no %s document found for index %d after %d attempts (split too small for these settings?)", gen, split, i, maxAttempts)
}

// Dump writes documents 0..n-1 of split as JSON Lines (one object per line,
// keys sorted, as encoding/json writes maps). `ouroeval tasks dump` and the
// micro-model training read this format.
func Dump(w io.Writer, g Generator, split string, n int, seed uint64) error {
	if n < 0 {
		return fmt.Errorf("procedural: dump: negative count %d", n)
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := 0; i < n; i++ {
		d, err := g.Doc(split, seed, i)
		if err != nil {
			return fmt.Errorf("procedural: dump %s/%s doc %d: %w", g.Name(), split, i, err)
		}
		if err := enc.Encode(d); err != nil {
			return fmt.Errorf("procedural: dump %s/%s doc %d: %w", g.Name(), split, i, err)
		}
	}
	return bw.Flush()
}
