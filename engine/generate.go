package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
)

// GenerateOptions controls Generate.
type GenerateOptions struct {
	Sampling
	// MaxTokens bounds the generated tokens (≤ 0: until a stop, limited by
	// max_position_embeddings).
	MaxTokens int
	// Seed seeds sampling: equal seeds give equal samples.
	Seed int64
	// Stop ends generation when the decoded text contains one of these
	// strings; the text is cut before it.
	Stop []string
	// StopIDs end generation when sampled (the token is not part of the
	// text). nil means the model's EOS ids (Model.EOS); use an empty
	// non-nil slice to disable.
	StopIDs []int
	// R is the number of recurrent steps (≤ 0: the model's default).
	R int
	// Q enables adaptive exit by selection: each token is sampled from the
	// first step whose exit CDF reaches *Q (all R steps are computed).
	Q *float64
}

// reserveTokens bounds how many generated tokens Generate reserves KV
// cache room for before the first decode step where the room would live
// on the Go heap (no lazily committed memory, see kvMem). For Ouro-1.4B
// (float32 KV, 96 slots) 1,024 tokens are ~1.5 GB per request; several
// concurrent requests with a generous max_gen_toks must not claim tens of
// gigabytes, so longer outputs grow the cache by appending past this
// point. With lazily committed memory (kvMem) Generate reserves the whole
// generation: unwritten room costs address space only.
const reserveTokens = 1024

// Generation is the result of Generate.
type Generation struct {
	// IDs are the generated tokens, without a final stop token.
	IDs []int
	// Text is the decoded text, cut before a stop string (empty when the
	// model has no tokenizer).
	Text string
	// FinishReason is "stop" (stop token or string) or "length".
	FinishReason string
	// Steps[i] is the recurrent step whose output chose token i: R for
	// fixed depth, the Q-exit step under adaptive exit (the steps that
	// would be executed; all R were computed).
	Steps []int
	// StopToken is the stop id that ended generation (-1 otherwise).
	StopToken int
}

// Generate continues prompt (token ids) with greedy or sampled decoding:
// one prefill, then one cached decode step per token.
func (m *Model) Generate(ctx context.Context, prompt []int, o GenerateOptions) (*Generation, error) {
	if len(prompt) == 0 {
		return nil, fmt.Errorf("engine: Generate needs a non-empty prompt")
	}
	if m.maxPos > 0 && len(prompt) > m.maxPos {
		return nil, fmt.Errorf("engine: prompt of %d tokens exceeds max_position_embeddings %d", len(prompt), m.maxPos)
	}
	if len(o.Stop) > 0 && m.tok == nil {
		return nil, fmt.Errorf("engine: stop strings need a tokenizer; %s has no tokenizer.json", m.ck.Dir)
	}
	seq, err := m.NewSequence(o.R)
	if err != nil {
		return nil, err
	}
	stopIDs := o.StopIDs
	if stopIDs == nil {
		stopIDs = m.eos
	}
	maxNew := o.MaxTokens
	if m.maxPos > 0 {
		room := m.maxPos - len(prompt)
		if maxNew <= 0 || maxNew > room {
			maxNew = room
		}
	}
	if maxNew <= 0 && m.maxPos <= 0 {
		return nil, fmt.Errorf("engine: MaxTokens must be positive when the config has no max_position_embeddings")
	}
	// The cache never holds more than the prompt and the generated tokens:
	// reserve it up front so decode steps do not reallocate it (on the Go
	// heap at most reserveTokens ahead: a generous bound that usually
	// stops early must not claim gigabytes; past it the cache grows by
	// appending).
	seq.reserve(len(prompt)+maxNew, len(prompt)+min(maxNew, reserveTokens))
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 0x6f75726f6576616c))
	g := &Generation{StopToken: -1, FinishReason: "length"}
	logits := make([]float32, m.vocab)
	buf := make([]cand, 0, m.vocab)
	D := m.ck.Config.HiddenSize
	in, next := prompt, make([]int, 1)
	lam := make([]float64, seq.R)
	stops := newStopScanner(o.Stop)
	for len(g.IDs) < maxNew {
		st, err := seq.Forward(ctx, in, true)
		if err != nil {
			return nil, err
		}
		step := seq.R
		if o.Q != nil && st.Lambda != nil {
			for t := range lam {
				lam[t] = float64(st.Lambda[t][0])
			}
			step = ExitStep(ExitDistribution(lam), *o.Q)
		}
		m.logits(logits, st.Hidden[step-1][:D], 1)
		id := o.Sampling.sample(logits, rng, buf)
		if slices.Contains(stopIDs, id) {
			g.StopToken, g.FinishReason = id, "stop"
			break
		}
		g.IDs = append(g.IDs, id)
		g.Steps = append(g.Steps, step)
		if stops != nil {
			// The text so far is Decode(g.IDs): the tokens' bytes.
			if cut, ok := stops.add(m.tok.TokenBytes(id)); ok {
				g.Text, g.FinishReason = cut, "stop"
				return g, nil
			}
		}
		next[0] = id
		in = next
	}
	if m.tok != nil {
		g.Text = m.tok.Decode(g.IDs)
	}
	return g, nil
}

// stopScanner finds the earliest stop string in a text that grows at the
// end, in time linear in the text: a new occurrence must end in the bytes
// just added, so only the last longest-stop − 1 old bytes and the new ones
// are searched. Since earlier calls found none, the first occurrence in
// that window is the earliest in the whole text: the result equals
// cutAtStop (the reference in the tests) over the whole text (byte-wise, so stops match across tokens
// and inside multi-byte characters split between tokens, as before).
type stopScanner struct {
	stops  [][]byte
	maxLen int
	text   []byte
}

// newStopScanner returns a scanner for the non-empty stops (nil when
// there are none).
func newStopScanner(stops []string) *stopScanner {
	s := &stopScanner{}
	for _, st := range stops {
		if st != "" {
			s.stops = append(s.stops, []byte(st))
			s.maxLen = max(s.maxLen, len(st))
		}
	}
	if len(s.stops) == 0 {
		return nil
	}
	return s
}

// add appends b to the text and, when a stop string now occurs, returns the
// text cut before the earliest occurrence and true.
func (s *stopScanner) add(b []byte) (string, bool) {
	from := max(0, len(s.text)-(s.maxLen-1))
	s.text = append(s.text, b...)
	best := -1
	for _, st := range s.stops {
		if i := bytes.Index(s.text[from:], st); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return string(s.text[:from+best]), true
}
