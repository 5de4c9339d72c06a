package tokenizer

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

func loadTestdata(t testing.TB, name string) *Tokenizer {
	t.Helper()
	tk, err := Load("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestEncodeTiny(t *testing.T) {
	tests := []struct {
		file, in string
		want     []int
	}{
		// Merges apply lowest rank first: "l l" (rank 5) beats "e l" (rank 11),
		// after which "el l" can never apply.
		{"tiny-bpe.json", "Hello", []int{72, 101, 261, 111}},
		{"tiny-bpe.json", "Hello world", []int{72, 101, 261, 111, 266}},
		{"tiny-bpe.json", "the", []int{116, 257}},
		{"tiny-bpe.json", " the", []int{258}},
		{"tiny-bpe.json", "", nil},
		// Digits with individual_digits: the merge "1 2" never applies.
		{"tiny-bpe.json", "1234", []int{49, 50, 51, 52}},
		// \s+(?!\S) leaves the last space to the word.
		{"tiny-bpe.json", "    x", []int{272, 32, 120}},
		{"tiny-bpe.json", "aaaaa", []int{280, 97}},
		{"tiny-bpe.json", "été", []int{278}},
		{"tiny-bpe.json", "<|im_start|>user<|im_end|>", []int{282, 117, 115, 101, 114, 283}},
		{"tiny-bpe.json", "<|im|>", []int{287, 124, 62}},
		{"tiny-bpe.json", "<|im_start|><|im_start|>", []int{282, 282}},
		// lstrip/rstrip swallow the surrounding whitespace.
		{"tiny-bpe.json", "a [MASK] b", []int{97, 285, 98}},
		{"tiny-bpe.json", "a\n\t[MASK]\n b", []int{97, 285, 98}},
		// single_word: only when not inside a word.
		{"tiny-bpe.json", "x<w>", []int{120, 60, 119, 62}},
		{"tiny-bpe.json", " <w> ", []int{32, 286, 32}},
		{"tiny-bpe.json", "<w>", []int{286}},
		// Qwen-style Split + NFC + ignore_merges + legacy "a b" merges.
		{"tiny-legacy.json", "aaa", []int{282}},
		{"tiny-legacy.json", "aaaa", []int{280}},
		{"tiny-legacy.json", "aaaaa", []int{280, 97}},
		{"tiny-legacy.json", "e\u0301", []int{276}}, // NFC composes é
		{"tiny-legacy.json", "1234", []int{274, 51, 52}},
		{"tiny-legacy.json", "it'S", []int{105, 116, 39, 83}},
		{"tiny-legacy.json", "a<|endoftext|>b", []int{97, 281, 98}},
		// The micro-model shape: every task symbol an added token over 256 bytes.
		{"micro-symbols.json", "<s1><s2> <s11>x", []int{259, 260, 32, 269, 120}},
		{"micro-symbols.json", "<s1", []int{60, 115, 49}},
		{"micro-symbols.json", "<s10><eos>", []int{268, 257}},
	}
	for _, tc := range tests {
		tk := loadTestdata(t, tc.file)
		got := tk.Encode(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Encode(%q) = %v, want %v", tc.file, tc.in, got, tc.want)
		}
	}
}

func TestEncodeSpecial(t *testing.T) {
	tk := loadTestdata(t, "tiny-bpe.json")
	if got, want := tk.EncodeSpecial("the"), []int{284, 116, 257}; !slices.Equal(got, want) {
		t.Errorf("EncodeSpecial = %v, want %v", got, want)
	}
	// Llama 3.1's shape: Sequence[ByteLevel, TemplateProcessing].
	data := mutate(t, func(m map[string]any) {
		m["post_processor"] = map[string]any{"type": "Sequence", "processors": []any{
			map[string]any{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true},
			m["post_processor"],
		}}
	})
	seq, err := Parse(data, "seq.json")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := seq.EncodeSpecial("the"), []int{284, 116, 257}; !slices.Equal(got, want) {
		t.Errorf("Sequence EncodeSpecial = %v, want %v", got, want)
	}
	if got, want := seq.Encode("the"), []int{116, 257}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v (no post-processing)", got, want)
	}
	leg := loadTestdata(t, "tiny-legacy.json") // ByteLevel post-processor adds nothing
	if got, want := leg.EncodeSpecial("the"), leg.Encode("the"); !slices.Equal(got, want) {
		t.Errorf("EncodeSpecial = %v, want %v", got, want)
	}
}

func TestDecodeAndTokens(t *testing.T) {
	tk := loadTestdata(t, "tiny-bpe.json")
	if got := tk.Decode([]int{282, 117, 115, 101, 114, 283, 266}); got != "<|im_start|>user<|im_end|> world" {
		t.Errorf("Decode = %q", got)
	}
	if got := tk.DecodeSkipSpecial([]int{282, 117, 283, 285, 266}); got != "u[MASK] world" {
		t.Errorf("DecodeSkipSpecial = %q", got)
	}
	if got := tk.Decode([]int{72, 100000, -1}); got != "H\uFFFD\uFFFD" {
		t.Errorf("Decode of unknown ids = %q", got)
	}
	if got := tk.TokenString(266); got != "Ġworld" {
		t.Errorf("TokenString(266) = %q", got)
	}
	if got := tk.TokenString(283); got != "<|im_end|>" {
		t.Errorf("TokenString(283) = %q", got)
	}
	if got := tk.TokenString(99999); got != "" {
		t.Errorf("TokenString(99999) = %q", got)
	}
	if id, ok := tk.TokenID("Ġworld"); !ok || id != 266 {
		t.Errorf("TokenID(Ġworld) = %d, %v", id, ok)
	}
	if id, ok := tk.TokenID("<|im_start|>"); !ok || id != 282 {
		t.Errorf("TokenID(<|im_start|>) = %d, %v", id, ok)
	}
	if _, ok := tk.TokenID("nope"); ok {
		t.Error("TokenID(nope) found")
	}
	if got := tk.VocabSize(); got != 288 {
		t.Errorf("VocabSize = %d, want 288", got)
	}
	if !tk.IsSpecial(282) || tk.IsSpecial(285) || !tk.IsAdded(285) || tk.IsAdded(97) {
		t.Error("IsSpecial/IsAdded wrong")
	}
	if got := tk.SpecialIDs(); !slices.Equal(got, []int{281, 282, 283, 284}) {
		t.Errorf("SpecialIDs = %v", got)
	}
	if string(tk.TokenBytes(32)) != " " || tk.TokenBytes(-5) != nil {
		t.Error("TokenBytes wrong")
	}
	if !tk.Lossless() || len(tk.MissingBytes()) != 0 {
		t.Error("tiny tokenizer should be lossless")
	}
}

func TestRoundTripTiny(t *testing.T) {
	inputs := []string{
		"", "Hello world", "  leading and trailing  ", "tabs\tand\nnewlines\r\n\n",
		"数字 12345 and ½ ² Ⅻ", "emoji 🦙🚀 zwj 😶\u200d🌫️", "I've 'RE 'll", "<|im_start|>x<|im_end|>",
		"\x00\x01\x7f\u00a0\u2028", "invalid \xff\xfe utf-8 \xc3", "<w>a<w> <w>", strings.Repeat(" ", 100) + "x",
	}
	for _, file := range []string{"tiny-bpe.json", "micro-symbols.json"} {
		tk := loadTestdata(t, file)
		for _, s := range inputs {
			if strings.Contains(s, "[MASK]") {
				continue
			}
			if got := tk.Decode(tk.Encode(s)); got != s {
				t.Errorf("%s: round trip of %q gave %q", file, s, got)
			}
		}
	}
}

func TestSplitBehaviors(t *testing.T) {
	tests := []struct {
		behavior splitBehavior
		invert   bool
		want     []string
	}{
		{splitRemoved, false, []string{"the", "final", "countdown"}},
		{splitIsolated, false, []string{"the", "-", "final", "-", "-", "countdown"}},
		{splitMergedWithPrevious, false, []string{"the-", "final-", "-", "countdown"}},
		{splitMergedWithNext, false, []string{"the", "-final", "-", "-countdown"}},
		{splitContiguous, false, []string{"the", "-", "final", "--", "countdown"}},
		{splitRemoved, true, []string{"-", "-", "-"}},
		{splitIsolated, true, []string{"the", "-", "final", "-", "-", "countdown"}},
	}
	for _, tc := range tests {
		p := preStep{kind: preSplit, literal: "-", behavior: tc.behavior, invert: tc.invert}
		s := "the-final--countdown"
		got := p.split(s, p.matches(s, nil), nil)
		if !slices.Equal(got, tc.want) {
			t.Errorf("behavior %d invert %v: got %q, want %q", tc.behavior, tc.invert, got, tc.want)
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	tk := loadTestdata(t, "micro-symbols.json")
	text := "a€🦙<s3>b\xffc"
	ids := tk.Encode(text)
	d := tk.NewStreamDecoder()
	var parts []string
	var all string
	for _, id := range ids {
		s := d.Add(id)
		if s != "" {
			parts = append(parts, s)
		}
		all += s
	}
	all += d.Flush()
	if all != text {
		t.Fatalf("stream decode = %q, want %q", all, text)
	}
	for _, p := range parts[:len(parts)-1] {
		if !utf8.ValidString(p) && p != "\xff" {
			t.Errorf("part %q is not valid UTF-8", p)
		}
	}
	want := []string{"a", "€", "🦙", "<s3>", "b", "\xff", "c"}
	if !slices.Equal(parts, want) {
		t.Errorf("parts = %q, want %q", parts, want)
	}
	// An incomplete tail is released by Flush.
	d.Add(0xE2)
	if got := d.Flush(); got != "\xe2" {
		t.Errorf("Flush = %q", got)
	}
}

func TestConcurrentEncode(t *testing.T) {
	tk := loadTestdata(t, "tiny-bpe.json")
	texts := []string{"Hello world", "the the the", "aaaaaaaaaaa", "été 12 ét"}
	want := make([][]int, len(texts))
	for i, s := range texts {
		want[i] = tk.Encode(s)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 200; n++ {
				i := (g + n) % len(texts)
				if got := tk.Encode(texts[i]); !slices.Equal(got, want[i]) {
					t.Errorf("concurrent Encode(%q) = %v, want %v", texts[i], got, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestHeapMatchesNaive checks the heap-based merge loop against the obvious
// quadratic one on many words.
func TestHeapMatchesNaive(t *testing.T) {
	tk := loadTestdata(t, "tiny-bpe.json")
	words := []string{"aaaaaaa", " the the", "Hello", "ééétééét", "       ", " world", "\n\n\n\n\n", "1212121"}
	for _, w := range words {
		got := tk.bpeUncached(w, nil)
		want := naiveBPE(tk, w)
		if !slices.Equal(got, want) {
			t.Errorf("bpe(%q) = %v, naive %v", w, got, want)
		}
	}
}

// naiveBPE repeatedly merges the leftmost lowest-ranked pair.
func naiveBPE(t *Tokenizer, word string) []int {
	var ids []int32
	for i := 0; i < len(word); i++ {
		if id := t.byteID[word[i]]; id >= 0 {
			ids = append(ids, id)
		}
	}
	for {
		best, at := int32(-1), -1
		for i := 0; i+1 < len(ids); i++ {
			if m, ok := t.merges[pairKey(ids[i], ids[i+1])]; ok && (best < 0 || m.rank < best) {
				best, at = m.rank, i
			}
		}
		if at < 0 {
			break
		}
		m := t.merges[pairKey(ids[at], ids[at+1])]
		ids = append(ids[:at+1], ids[at+2:]...)
		ids[at] = m.id
	}
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// mutate loads testdata/tiny-bpe.json as generic JSON, applies f, and
// re-encodes it.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/tiny-bpe.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func model(m map[string]any) map[string]any { return m["model"].(map[string]any) }

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not json", []byte("{\n  \"model\": {\n    oops"), "invalid JSON at line 3"},
		{"empty", []byte(""), "invalid JSON"},
		{"no model", []byte(`{"added_tokens": []}`), `missing "model"`},
		{"wordpiece", []byte(`{"model": {"type": "WordPiece", "vocab": {"a": 0}}}`), `model type "WordPiece" is not supported`},
		{"unigram", []byte(`{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}`), `model type "Unigram" is not supported`},
		{"wordlevel", []byte(`{"model": {"type": "WordLevel", "vocab": {"a": 0}}}`), `model type "WordLevel" is not supported`},
		{"no vocab", mutate(t, func(m map[string]any) { delete(model(m), "vocab") }), `no "vocab"`},
		{"empty vocab", mutate(t, func(m map[string]any) { model(m)["vocab"] = map[string]any{} }), "vocab is empty"},
		{"vocab not object", mutate(t, func(m map[string]any) { model(m)["vocab"] = []any{1} }), "model.vocab"},
		{"merge unknown", mutate(t, func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), []any{"Ġworld", "zzz"})
		}), `"zzz" is not in the vocabulary`},
		{"merge result unknown", mutate(t, func(m map[string]any) {
			model(m)["merges"] = append(model(m)["merges"].([]any), []any{"x", "y"})
		}), `merged token "xy" is not in the vocabulary`},
		{"merge bad string", mutate(t, func(m map[string]any) { model(m)["merges"] = []any{"abc"} }), `not of the form`},
		{"merge bad pair", mutate(t, func(m map[string]any) { model(m)["merges"] = []any{[]any{"a"}} }), `not a pair`},
		{"duplicate id", mutate(t, func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = 5 }), "share id 5"},
		{"negative id", mutate(t, func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = -1 }), "has id -1"},
		{"huge id", mutate(t, func(m map[string]any) { model(m)["vocab"].(map[string]any)["zz"] = 1 << 40 }), "outside"},
		{"dropout", mutate(t, func(m map[string]any) { model(m)["dropout"] = 0.1 }), "dropout"},
		{"byte fallback", mutate(t, func(m map[string]any) { model(m)["byte_fallback"] = true }), "byte_fallback"},
		{"unk missing", mutate(t, func(m map[string]any) { model(m)["unk_token"] = "<unk>" }), `unk_token "<unk>" is not in the vocabulary`},
		{"prefix", mutate(t, func(m map[string]any) { model(m)["continuing_subword_prefix"] = "##" }), "continuing_subword_prefix"},
		{"metaspace", mutate(t, func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Metaspace"} }), `pre-tokenizer type "Metaspace" is not supported`},
		{"no byte level", mutate(t, func(m map[string]any) { m["pre_tokenizer"] = map[string]any{"type": "Digits"} }), "ByteLevel pre-tokenizer must be the last"},
		{"bad regex", mutate(t, func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Sequence", "pretokenizers": []any{
				map[string]any{"type": "Split", "pattern": map[string]any{"Regex": "(unclosed"}, "behavior": "Isolated"},
				map[string]any{"type": "ByteLevel"}}}
		}), "cannot compile regex"},
		{"bad behavior", mutate(t, func(m map[string]any) {
			m["pre_tokenizer"] = map[string]any{"type": "Split", "pattern": map[string]any{"String": " "}, "behavior": "Sideways"}
		}), `unknown behavior "Sideways"`},
		{"normalizer", mutate(t, func(m map[string]any) { m["normalizer"] = map[string]any{"type": "Replace"} }), `normalizer type "Replace" is not supported`},
		{"decoder", mutate(t, func(m map[string]any) { m["decoder"] = map[string]any{"type": "WordPiece"} }), `decoder type "WordPiece" is not supported`},
		{"post", mutate(t, func(m map[string]any) { m["post_processor"] = map[string]any{"type": "BertProcessing"} }), `post-processor type "BertProcessing" is not supported`},
		{"template unknown", mutate(t, func(m map[string]any) {
			m["post_processor"].(map[string]any)["special_tokens"] = map[string]any{}
		}), `names special token "<|bos|>" missing`},
		{"added empty", mutate(t, func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 300, "content": ""}}
		}), "empty content"},
		{"added no id", mutate(t, func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"content": "<x>"}}
		}), "has no id"},
		{"added twice", mutate(t, func(m map[string]any) {
			m["added_tokens"] = []any{map[string]any{"id": 300, "content": "<x>"}, map[string]any{"id": 301, "content": "<x>"}}
		}), "appears twice"},
		{"not byte level vocab", []byte(`{"model": {"type": "BPE", "vocab": {"hello": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}`), "no byte-level tokens"},
	}
	for _, tc := range tests {
		_, err := Parse(tc.data, "bad.json")
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("%s: error %q does not mention %q and the file name", tc.name, err, tc.want)
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.json")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.json") {
		t.Errorf("Load error = %v", err)
	}
}

// TestNormalizedAddedToken checks that added tokens marked normalized are
// matched in the normalized text, and the others in the raw text.
func TestNormalizedAddedToken(t *testing.T) {
	data := mutate(t, func(m map[string]any) {
		m["normalizer"] = map[string]any{"type": "Sequence", "normalizers": []any{map[string]any{"type": "Lowercase"}}}
		for _, a := range m["added_tokens"].([]any) {
			a := a.(map[string]any)
			if a["content"] == "[MASK]" {
				a["content"], a["normalized"] = "[mask]", true
				a["lstrip"], a["rstrip"] = false, false
			}
		}
	})
	tk, err := Parse(data, "norm.json")
	if err != nil {
		t.Fatal(err)
	}
	// "[MASK]" lowercases to "[mask]", which then matches; <|IM_START|> is
	// not normalized-matched, so it is lowercased text, not the token.
	if got, want := tk.Encode("a [MASK]<|im_start|>"), []int{97, 32, 285, 282}; !slices.Equal(got, want) {
		t.Errorf("Encode = %v, want %v", got, want)
	}
	if got := tk.Encode("<|IM_START|>"); slices.Contains(got, 282) {
		t.Errorf("Encode(<|IM_START|>) = %v matched the raw-text token after lowercasing", got)
	}
}
