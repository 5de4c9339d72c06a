package tokenizer

import (
	"os"
	"slices"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// FuzzEncodeDecode checks, on arbitrary byte strings, that decoding the
// encoding gives back the input exactly and that the heap-based merge loop
// agrees with the naive one on every pre-token.
func FuzzEncodeDecode(f *testing.F) {
	for _, s := range []string{
		"", "Hello world", "    x", "aaaaa", "été 1234", "<|im_start|>user\n<|im_end|>",
		"a [MASK] b", "x<w> <w>", "\xff\xc3(", "😶\u200d🌫️ 'S 'll", "\r\n\r\n  \t",
	} {
		f.Add(s)
	}
	tk := loadTestdata(f, "tiny-bpe.json")
	micro := loadTestdata(f, "micro-symbols.json")
	legacy := loadTestdata(f, "tiny-legacy.json") // Llama 3 split pattern, NFC
	f.Fuzz(func(t *testing.T, s string) {
		ids := tk.Encode(s)
		if got := tk.Decode(ids); got != s && !hasStrippedAdded(s) {
			t.Fatalf("round trip of %q gave %q (ids %v)", s, got, ids)
		}
		if got := micro.Decode(micro.Encode(s)); got != s {
			t.Fatalf("micro round trip of %q gave %q", s, got)
		}
		if utf8.ValidString(s) && norm.NFC.IsNormalString(s) {
			if got := legacy.Decode(legacy.Encode(s)); got != s {
				t.Fatalf("legacy round trip of %q gave %q", s, got)
			}
		}
		for _, seg := range tk.addedRaw.split(s, nil) {
			if seg.id >= 0 {
				continue
			}
			for _, w := range tk.preTokenize(seg.text) {
				if got, want := tk.bpeUncached(w, nil), naiveBPE(tk, w); !slices.Equal(got, want) {
					t.Fatalf("bpe(%q) = %v, naive %v", w, got, want)
				}
			}
		}
		for _, id := range ids {
			if id < 0 || id >= tk.VocabSize() {
				t.Fatalf("id %d out of range", id)
			}
		}
	})
}

// hasStrippedAdded reports whether s contains the tiny tokenizer's [MASK],
// whose lstrip/rstrip flags deliberately drop surrounding whitespace.
func hasStrippedAdded(s string) bool {
	for i := 0; i+len("[MASK]") <= len(s); i++ {
		if s[i:i+len("[MASK]")] == "[MASK]" {
			return true
		}
	}
	return false
}

// FuzzParse feeds arbitrary bytes to Parse: it must return a tokenizer or an
// error, never panic, and a tokenizer it returns must encode and decode.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"tiny-bpe.json", "tiny-legacy.json", "micro-symbols.json"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a a"]}}`))
	f.Add([]byte(`{"model": {"type": "WordPiece"}}`))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"Ġ": 0, "a": 1, "Ġa": 2}, "merges": [["Ġ", "a"]]}, "pre_tokenizer": {"type": "ByteLevel"}, "added_tokens": [{"id": 3, "content": "<x>", "lstrip": true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse(data, "fuzz.json")
		if err != nil {
			return
		}
		for _, s := range []string{"", "Hello world 123", " <x> \xff", "<|im_start|>é"} {
			ids := tk.Encode(s)
			_ = tk.EncodeSpecial(s)
			_ = tk.Decode(ids)
			for _, id := range ids {
				if id < 0 || id >= tk.VocabSize() {
					t.Fatalf("Encode(%q) gave id %d outside [0, %d)", s, id, tk.VocabSize())
				}
			}
		}
	})
}
