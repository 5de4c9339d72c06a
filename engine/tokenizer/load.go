package tokenizer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// fileJSON is the subset of a Hugging Face tokenizer.json that matters for
// encoding and decoding. Components are kept raw and parsed by type.
type fileJSON struct {
	Normalizer    json.RawMessage `json:"normalizer"`
	PreTokenizer  json.RawMessage `json:"pre_tokenizer"`
	Model         *modelJSON      `json:"model"`
	PostProcessor json.RawMessage `json:"post_processor"`
	Decoder       json.RawMessage `json:"decoder"`
	AddedTokens   []addedJSON     `json:"added_tokens"`
}

type addedJSON struct {
	ID         *int   `json:"id"`
	Content    string `json:"content"`
	SingleWord bool   `json:"single_word"`
	LStrip     bool   `json:"lstrip"`
	RStrip     bool   `json:"rstrip"`
	Normalized bool   `json:"normalized"`
	Special    bool   `json:"special"`
}

type modelJSON struct {
	Type                    string          `json:"type"`
	Dropout                 *float64        `json:"dropout"`
	UnkToken                *string         `json:"unk_token"`
	ContinuingSubwordPrefix *string         `json:"continuing_subword_prefix"`
	EndOfWordSuffix         *string         `json:"end_of_word_suffix"`
	ByteFallback            bool            `json:"byte_fallback"`
	IgnoreMerges            bool            `json:"ignore_merges"`
	Vocab                   json.RawMessage `json:"vocab"`
	Merges                  json.RawMessage `json:"merges"`
}

// mergeJSON is one merge rule.
type mergeJSON struct{ a, b string }

// parseMerges decodes the merges list, whose rules are serialised either as
// legacy strings "a b" or as pairs ["a", "b"].
func parseMerges(raw json.RawMessage) ([]mergeJSON, error) {
	if isNull(raw) {
		return nil, nil
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("model.merges is not a list: %w", err)
	}
	merges := make([]mergeJSON, len(list))
	for i, e := range list {
		switch x := e.(type) {
		case string:
			a, b, ok := strings.Cut(x, " ")
			if !ok || a == "" || b == "" || strings.Contains(b, " ") {
				return nil, fmt.Errorf("model.merges[%d]: %q is not of the form \"a b\"", i, truncate(x, 60))
			}
			merges[i] = mergeJSON{a, b}
		case []any:
			if len(x) != 2 {
				return nil, fmt.Errorf("model.merges[%d] is not a pair of two non-empty strings", i)
			}
			a, oka := x[0].(string)
			b, okb := x[1].(string)
			if !oka || !okb || a == "" || b == "" {
				return nil, fmt.Errorf("model.merges[%d] is not a pair of two non-empty strings", i)
			}
			merges[i] = mergeJSON{a, b}
		default:
			return nil, fmt.Errorf("model.merges[%d] is neither a string nor a pair of strings", i)
		}
	}
	return merges, nil
}

// maxIDSlack bounds how far token ids may exceed the number of tokens, so that
// a corrupted file cannot make the loader allocate gigabytes.
const maxIDSlack = 1 << 16

// Load reads and parses a Hugging Face tokenizer.json file.
func Load(path string) (*Tokenizer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	return Parse(data, path)
}

// Parse parses the contents of a Hugging Face tokenizer.json. name identifies
// the source (usually the file path) in error messages.
//
// Only byte-level BPE tokenizers are supported: model type "BPE" with a
// ByteLevel pre-tokenizer as the last pre-tokenization step. Anything else is
// an error naming the file and the unsupported component.
func Parse(data []byte, name string) (*Tokenizer, error) {
	t, err := parse(data, name)
	if err != nil {
		return nil, fmt.Errorf("tokenizer %s: %w", name, err)
	}
	return t, nil
}

func parse(data []byte, name string) (*Tokenizer, error) {
	var f fileJSON
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, jsonError(data, err)
	}
	if f.Model == nil {
		return nil, errors.New(`missing "model"`)
	}
	m := f.Model
	switch m.Type {
	case "BPE":
	case "":
		// Old files omit the type; only BPE has merges.
		if isNull(m.Merges) {
			return nil, errors.New(`model has no "type" and no "merges"; only BPE models are supported`)
		}
	case "WordPiece", "Unigram", "WordLevel":
		return nil, fmt.Errorf("model type %q is not supported (only byte-level BPE is)", m.Type)
	default:
		return nil, fmt.Errorf("unknown model type %q (only byte-level BPE is supported)", m.Type)
	}
	merges, err := parseMerges(m.Merges)
	if err != nil {
		return nil, err
	}
	if m.Dropout != nil && *m.Dropout != 0 {
		return nil, fmt.Errorf("BPE dropout %v is not supported", *m.Dropout)
	}
	if m.ByteFallback {
		return nil, errors.New("BPE byte_fallback is not supported (only byte-level BPE is)")
	}
	if m.ContinuingSubwordPrefix != nil && *m.ContinuingSubwordPrefix != "" {
		return nil, fmt.Errorf("BPE continuing_subword_prefix %q is not supported", *m.ContinuingSubwordPrefix)
	}
	if m.EndOfWordSuffix != nil && *m.EndOfWordSuffix != "" {
		return nil, fmt.Errorf("BPE end_of_word_suffix %q is not supported", *m.EndOfWordSuffix)
	}
	if isNull(m.Vocab) {
		return nil, errors.New(`model has no "vocab"`)
	}
	var vocab map[string]int
	if err := json.Unmarshal(m.Vocab, &vocab); err != nil {
		return nil, fmt.Errorf("model.vocab: %w", err)
	}
	if len(vocab) == 0 {
		return nil, errors.New("model.vocab is empty")
	}
	if len(f.AddedTokens) == 0 && !hasByteLevelToken(vocab) {
		return nil, errors.New("model.vocab has no byte-level tokens; not a byte-level BPE vocabulary")
	}

	t := &Tokenizer{
		name:         name,
		ignoreMerges: m.IgnoreMerges,
		unk:          -1,
		cache:        newCache(defaultCacheSize),
	}
	t.byteEnc, t.byteDec = byteLevelAlphabet()

	// Id → token table.
	maxID := -1
	limit := len(vocab) + len(f.AddedTokens) + maxIDSlack
	for tok, id := range vocab {
		if id < 0 || id >= limit {
			return nil, fmt.Errorf("model.vocab: token %q has id %d, outside [0, %d)", truncate(tok, 40), id, limit)
		}
		maxID = max(maxID, id)
	}
	for i, a := range f.AddedTokens {
		if a.ID == nil {
			return nil, fmt.Errorf("added_tokens[%d] (%q) has no id", i, truncate(a.Content, 40))
		}
		if *a.ID < 0 || *a.ID >= limit {
			return nil, fmt.Errorf("added_tokens[%d] (%q) has id %d, outside [0, %d)", i, truncate(a.Content, 40), *a.ID, limit)
		}
		if a.Content == "" {
			return nil, fmt.Errorf("added_tokens[%d] (id %d) has empty content", i, *a.ID)
		}
		maxID = max(maxID, *a.ID)
	}
	t.tokens = make([]string, maxID+1)
	t.present = make([]bool, maxID+1)
	for tok, id := range vocab {
		if t.present[id] {
			a, b := t.tokens[id], tok
			if a > b {
				a, b = b, a
			}
			return nil, fmt.Errorf("model.vocab: tokens %q and %q share id %d", truncate(a, 40), truncate(b, 40), id)
		}
		t.tokens[id], t.present[id] = tok, true
	}

	// Raw-byte view of the vocabulary, so that BPE works on bytes directly.
	// rawVocab is only needed for ignore_merges.
	t.raw = make([][]byte, len(t.tokens))
	if m.IgnoreMerges {
		t.rawVocab = make(map[string]int, len(vocab))
	}
	for id, tok := range t.tokens {
		if !t.present[id] {
			continue
		}
		b, ok := byteLevelDecode(tok, t.byteDec)
		t.raw[id] = b
		if ok && t.rawVocab != nil {
			if prev, dup := t.rawVocab[string(b)]; !dup || id < prev {
				t.rawVocab[string(b)] = id
			}
		}
	}
	if m.UnkToken != nil && *m.UnkToken != "" {
		id, ok := vocab[*m.UnkToken]
		if !ok {
			return nil, fmt.Errorf("model.unk_token %q is not in the vocabulary", *m.UnkToken)
		}
		t.unk = id
	}
	for b := 0; b < 256; b++ {
		id, ok := vocab[string(t.byteEnc[b])]
		if !ok {
			// Hugging Face's BPE drops characters that are neither in the
			// vocabulary nor covered by unk_token (SmolLM2 lacks 21 bytes,
			// e.g. 0x04 and 0xC0); we do the same to give identical ids.
			id = t.unk
			t.missingBytes = append(t.missingBytes, byte(b))
		}
		t.byteID[b] = int32(id)
	}

	// Merges: rank = index.
	t.merges = make(map[uint64]merge, len(merges))
	var cat []byte
	for rank, mg := range merges {
		ia, oka := vocab[mg.a]
		ib, okb := vocab[mg.b]
		cat = append(append(cat[:0], mg.a...), mg.b...)
		im, okm := vocab[string(cat)]
		switch {
		case !oka:
			return nil, fmt.Errorf("model.merges[%d] (%q %q): %q is not in the vocabulary", rank, truncate(mg.a, 40), truncate(mg.b, 40), truncate(mg.a, 40))
		case !okb:
			return nil, fmt.Errorf("model.merges[%d] (%q %q): %q is not in the vocabulary", rank, truncate(mg.a, 40), truncate(mg.b, 40), truncate(mg.b, 40))
		case !okm:
			return nil, fmt.Errorf("model.merges[%d] (%q %q): the merged token %q is not in the vocabulary", rank, truncate(mg.a, 40), truncate(mg.b, 40), truncate(mg.a+mg.b, 80))
		}
		key := pairKey(int32(ia), int32(ib))
		if _, dup := t.merges[key]; !dup { // the first (lowest-rank) occurrence wins
			t.merges[key] = merge{rank: int32(rank), id: int32(im)}
		}
	}

	// Added tokens override the vocabulary's strings for their ids.
	t.special = make([]bool, len(t.tokens))
	t.added = make([]bool, len(t.tokens))
	for i, a := range f.AddedTokens {
		id := *a.ID
		if t.present[id] && t.tokens[id] != a.Content {
			// The vocabulary holds a different token at this id; the added
			// token wins, as in Hugging Face tokenizers.
			if t.rawVocab != nil && t.rawVocab[string(t.raw[id])] == id {
				delete(t.rawVocab, string(t.raw[id]))
			}
			if vocab[t.tokens[id]] == id {
				delete(vocab, t.tokens[id])
			}
		}
		for _, prev := range t.addedTokens {
			if prev.content == a.Content {
				return nil, fmt.Errorf("added_tokens[%d]: content %q appears twice", i, truncate(a.Content, 40))
			}
		}
		t.tokens[id], t.present[id] = a.Content, true
		t.raw[id] = []byte(a.Content)
		t.special[id] = a.Special
		t.added[id] = true
		t.addedTokens = append(t.addedTokens, addedToken{
			id: id, content: a.Content, singleWord: a.SingleWord, lstrip: a.LStrip,
			rstrip: a.RStrip, normalized: a.Normalized, special: a.Special,
		})
	}
	// The vocabulary map becomes the string → id index; added tokens win.
	for _, a := range t.addedTokens {
		vocab[a.content] = a.id
	}
	t.ids = vocab
	t.addedRaw = newAddedMatcher(t.addedTokens, false)
	t.addedNorm = newAddedMatcher(t.addedTokens, true)

	if t.normalizer, err = parseNormalizer(f.Normalizer); err != nil {
		return nil, fmt.Errorf("normalizer: %w", err)
	}
	if t.pre, err = parsePreTokenizer(f.PreTokenizer); err != nil {
		return nil, fmt.Errorf("pre_tokenizer: %w", err)
	}
	if len(t.pre) == 0 || t.pre[len(t.pre)-1].kind != preByteLevel {
		return nil, errors.New("pre_tokenizer: a ByteLevel pre-tokenizer must be the last step (only byte-level BPE is supported)")
	}
	for _, s := range t.pre[:len(t.pre)-1] {
		if s.kind == preByteLevel {
			return nil, errors.New("pre_tokenizer: ByteLevel followed by further pre-tokenizers is not supported")
		}
	}
	if t.post, err = parsePostProcessor(f.PostProcessor, t); err != nil {
		return nil, fmt.Errorf("post_processor: %w", err)
	}
	if err := parseDecoder(f.Decoder); err != nil {
		return nil, fmt.Errorf("decoder: %w", err)
	}
	return t, nil
}

type typed struct {
	Type string `json:"type"`
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// jsonError adds a line and column to JSON syntax and type errors.
func jsonError(data []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func parseDecoder(raw json.RawMessage) error {
	if isNull(raw) {
		return nil // decode with the inverse byte map, the only sensible inverse of ByteLevel
	}
	var d struct {
		Type     string            `json:"type"`
		Decoders []json.RawMessage `json:"decoders"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return err
	}
	switch d.Type {
	case "ByteLevel":
		return nil
	case "Sequence":
		for i, sub := range d.Decoders {
			if err := parseDecoder(sub); err != nil {
				return fmt.Errorf("decoders[%d]: %w", i, err)
			}
		}
		return nil
	default:
		return fmt.Errorf("decoder type %q is not supported (only ByteLevel)", d.Type)
	}
}

// hasByteLevelToken reports whether the vocabulary has at least one of the
// single-character tokens of the byte-level alphabet.
func hasByteLevelToken(vocab map[string]int) bool {
	enc, _ := byteLevelAlphabet()
	for _, r := range enc {
		if _, ok := vocab[string(r)]; ok {
			return true
		}
	}
	return false
}
