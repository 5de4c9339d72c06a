// Package tokenizer implements Hugging Face tokenizer.json byte-level BPE
// tokenizers (GPT-2, Llama 3, Qwen2/Qwen3, SmolLM2/Ouro and the like) in pure
// Go, producing exactly the ids of the reference implementation.
//
// Encoding runs the same pipeline as Hugging Face tokenizers:
//
//  1. added tokens (special or not) are cut out of the raw text and never
//     split (those marked normalized are cut out after normalization);
//  2. the normalizer (NFC, …) is applied to the remaining text;
//  3. the pre-tokenizers (Split regexes, Digits, ByteLevel) cut it into
//     pre-tokens;
//  4. each pre-token is mapped to bytes and merged by BPE, lowest merge rank
//     first.
//
// Encode does not apply the post-processor (no BOS is added); that is what
// lm-evaluation-harness uses for contexts and continuations. EncodeSpecial
// additionally applies the post-processor (e.g. Llama 3's TemplateProcessing
// that prepends <|begin_of_text|>).
//
// Decode inverts the byte-level mapping exactly: Decode(Encode(s)) == s for
// every string s that the normalizer leaves unchanged, provided the
// vocabulary covers every byte of s (see Lossless).
//
// Faithfulness notes. Split patterns run on regexp2 with Oniguruma-equivalent
// classes (\s is Unicode White_Space, including U+0085); the GPT-2, Qwen2/3
// and Llama 3 patterns use hand-written matchers that are fuzzed against
// regexp2. The Digits pre-tokenizer splits on every Unicode numeric character
// (Rust's char::is_numeric, so "½" too), as Hugging Face tokenizers does.
// Bytes that have no token and no unk_token are dropped as in Hugging Face
// (see MissingBytes). Each Tokenizer keeps a bounded cache of pre-token ids.
//
// A Tokenizer is safe for concurrent use.
package tokenizer

import (
	"unicode/utf8"
)

// Tokenizer is a loaded byte-level BPE tokenizer.
type Tokenizer struct {
	name string

	ids      map[string]int // vocabulary plus added tokens
	rawVocab map[string]int // vocabulary keyed by the bytes each token stands for (ignore_merges only)
	tokens   []string       // id → token string ("" for unused ids)
	raw      [][]byte       // id → the bytes the token decodes to
	present  []bool         // id is used
	special  []bool         // id is a special added token
	added    []bool         // id is an added token

	byteEnc [256]rune
	byteDec map[rune]byte
	byteID  [256]int32 // id of each single-byte token; -1 if none and no unk

	missingBytes []byte // bytes without a token (dropped by Encode)

	merges       map[uint64]merge
	ignoreMerges bool
	unk          int

	addedTokens []addedToken
	addedRaw    *addedMatcher // added tokens matched in the raw text
	addedNorm   *addedMatcher // added tokens matched in the normalized text

	normalizer normalizer
	pre        []preStep
	post       *postProcessor

	cache *cache
}

// Name returns the name the tokenizer was loaded under (usually its path).
func (t *Tokenizer) Name() string { return t.name }

// Encode tokenizes text without post-processing: no BOS or other template
// tokens are added. Added tokens appearing in text (e.g. "<|im_start|>") are
// recognised and encoded as their single ids.
func (t *Tokenizer) Encode(text string) []int {
	return t.encode(text, nil)
}

// EncodeSpecial tokenizes text and applies the tokenizer's post-processor
// (for example Llama 3's TemplateProcessing, which prepends
// <|begin_of_text|>). Without a post-processor it equals Encode.
func (t *Tokenizer) EncodeSpecial(text string) []int {
	if t.post == nil {
		return t.Encode(text)
	}
	out := append([]int(nil), t.post.prefix...)
	out = t.encode(text, out)
	return append(out, t.post.suffix...)
}

func (t *Tokenizer) encode(text string, out []int) []int {
	if out == nil {
		out = make([]int, 0, len(text)/3+1)
	}
	var segs, nsegs []segment
	segs = t.addedRaw.split(text, segs)
	pt := &preTokenizer{t: t, bufs: make([][]span, len(t.pre)), out: out}
	for _, sg := range segs {
		if sg.id >= 0 {
			pt.out = append(pt.out, sg.id)
			continue
		}
		s := sg.text
		if t.normalizer != nil {
			s = t.normalizer(s)
		}
		nsegs = t.addedNorm.split(s, nsegs[:0])
		for _, ns := range nsegs {
			if ns.id >= 0 {
				pt.out = append(pt.out, ns.id)
				continue
			}
			pt.run(ns.text, 0)
		}
	}
	return pt.out
}

// Decode returns the text the ids stand for: byte-level tokens are mapped
// back to their bytes and added tokens to their content. The result is the
// raw byte sequence and may be invalid UTF-8 if the ids end or start inside
// a multi-byte character (see StreamDecoder for incremental decoding). Ids
// outside the vocabulary decode to U+FFFD.
func (t *Tokenizer) Decode(ids []int) string {
	var b []byte
	for _, id := range ids {
		b = t.appendToken(b, id)
	}
	return string(b)
}

// DecodeSkipSpecial is Decode without the special added tokens (like
// Hugging Face's decode(ids, skip_special_tokens=True)).
func (t *Tokenizer) DecodeSkipSpecial(ids []int) string {
	var b []byte
	for _, id := range ids {
		if !t.IsSpecial(id) {
			b = t.appendToken(b, id)
		}
	}
	return string(b)
}

func (t *Tokenizer) appendToken(b []byte, id int) []byte {
	if id < 0 || id >= len(t.tokens) || !t.present[id] {
		return utf8.AppendRune(b, utf8.RuneError)
	}
	return append(b, t.raw[id]...)
}

// TokenString returns the token's string as stored in tokenizer.json (for
// byte-level vocabularies that is the mapped form, e.g. "Ġworld"), or "" if
// id is not a token.
func (t *Tokenizer) TokenString(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// TokenBytes returns the bytes the token decodes to, or nil if id is not a
// token. The caller must not modify the result.
func (t *Tokenizer) TokenBytes(id int) []byte {
	if id < 0 || id >= len(t.tokens) || !t.present[id] {
		return nil
	}
	return t.raw[id]
}

// TokenID returns the id of a token given its tokenizer.json string (vocab
// entry or added-token content).
func (t *Tokenizer) TokenID(s string) (int, bool) {
	id, ok := t.ids[s]
	return id, ok
}

// VocabSize returns one more than the largest token id, counting added tokens.
// (A model's embedding matrix may be larger.)
func (t *Tokenizer) VocabSize() int { return len(t.tokens) }

// IsSpecial reports whether id is an added token marked special.
func (t *Tokenizer) IsSpecial(id int) bool {
	return id >= 0 && id < len(t.special) && t.special[id]
}

// IsAdded reports whether id is an added token (special or not).
func (t *Tokenizer) IsAdded(id int) bool {
	return id >= 0 && id < len(t.added) && t.added[id]
}

// MissingBytes returns the bytes that have no single-byte token in the
// vocabulary while there is no unk_token. Encode drops such bytes, exactly as
// Hugging Face tokenizers does, so text containing them does not round-trip.
// (SmolLM2/Ouro lack 21 bytes, e.g. 0x04 and 0xF1; real text rarely has them.)
func (t *Tokenizer) MissingBytes() []byte { return append([]byte(nil), t.missingBytes...) }

// Lossless reports whether Encode can represent every byte string, i.e.
// whether MissingBytes is empty.
func (t *Tokenizer) Lossless() bool { return len(t.missingBytes) == 0 }

// SpecialIDs returns the ids of all special added tokens, in file order.
func (t *Tokenizer) SpecialIDs() []int {
	var ids []int
	for _, a := range t.addedTokens {
		if a.special {
			ids = append(ids, a.id)
		}
	}
	return ids
}
