package tokenizer

// The GPT-2 byte-level alphabet. Every byte is represented by one printable
// Unicode character so that byte sequences can be stored as ordinary vocabulary
// strings: the printable Latin-1 bytes '!'..'~', '¡'..'¬' and '®'..'ÿ' stand for
// themselves; the remaining 68 bytes (controls, space, DEL, NBSP, soft hyphen…)
// are mapped, in increasing byte order, to U+0100, U+0101, …

// byteLevelAlphabet returns the byte → rune table and its inverse.
func byteLevelAlphabet() (enc [256]rune, dec map[rune]byte) {
	dec = make(map[rune]byte, 256)
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			enc[b] = rune(b)
		} else {
			enc[b] = 256 + n
			n++
		}
		dec[enc[b]] = byte(b)
	}
	return enc, dec
}

// byteLevelDecode converts a vocabulary string to the bytes it stands for.
// As in Hugging Face's ByteLevel decoder, a string containing any character
// outside the byte-level alphabet is taken verbatim (its UTF-8 bytes); ok
// reports whether the string was a pure byte-level string.
func byteLevelDecode(s string, dec map[rune]byte) (b []byte, ok bool) {
	b = make([]byte, 0, len(s))
	for _, r := range s {
		c, found := dec[r]
		if !found {
			return []byte(s), false
		}
		b = append(b, c)
	}
	return b, true
}
