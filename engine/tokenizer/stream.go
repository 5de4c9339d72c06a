package tokenizer

import "unicode/utf8"

// StreamDecoder decodes ids one at a time for streaming output. It holds back
// the bytes of an incomplete UTF-8 character until the ids that complete it
// arrive, so every string it returns is valid UTF-8 except at Flush.
// A StreamDecoder is not safe for concurrent use.
type StreamDecoder struct {
	t   *Tokenizer
	buf []byte
}

// NewStreamDecoder returns a streaming decoder for t.
func (t *Tokenizer) NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{t: t}
}

// Add decodes id and returns the newly completed text (possibly "").
func (d *StreamDecoder) Add(id int) string {
	d.buf = d.t.appendToken(d.buf, id)
	n := completePrefix(d.buf)
	s := string(d.buf[:n])
	d.buf = append(d.buf[:0], d.buf[n:]...)
	return s
}

// Flush returns any held-back bytes (an incomplete or invalid UTF-8 tail) and
// resets the decoder.
func (d *StreamDecoder) Flush() string {
	s := string(d.buf)
	d.buf = d.buf[:0]
	return s
}

// completePrefix returns the length of the longest prefix of b that does not
// end inside a UTF-8 sequence that could still be completed. Invalid bytes
// are released (they cannot become valid later).
func completePrefix(b []byte) int {
	// Look at most 3 bytes back for the start of the last sequence.
	for back := 1; back <= 3 && back <= len(b); back++ {
		c := b[len(b)-back]
		if c < 0x80 {
			return len(b) // ASCII: everything is complete
		}
		if c >= 0xC0 { // a leading byte
			need := 0
			switch {
			case c >= 0xF0 && c <= 0xF4:
				need = 4
			case c >= 0xE0 && c <= 0xEF:
				need = 3
			case c >= 0xC2 && c <= 0xDF:
				need = 2
			default:
				return len(b) // never valid
			}
			if back >= need {
				return len(b)
			}
			// Hold back only if the partial sequence is a valid prefix.
			if utf8.FullRune(b[len(b)-back:]) {
				return len(b) // FullRune says it is already decidable (invalid)
			}
			return len(b) - back
		}
	}
	return len(b)
}
