package engine

import (
	"context"
	"fmt"
	"strings"
	"unicode"
)

// ScoreOptions controls log-likelihood scoring.
type ScoreOptions struct {
	// R is the number of recurrent steps (≤ 0: the model's default).
	R int
	// Q enables adaptive exit by selection: each continuation token is
	// scored with the first step whose exit CDF at its position reaches
	// *Q. PerDepth is unaffected.
	Q *float64
	// MaxLength is the rolling window length in tokens (≤ 0:
	// max_position_embeddings). Rolling only.
	MaxLength int
}

// DepthScore is a log-likelihood at one fixed depth.
type DepthScore struct {
	R        int
	LogProb  float64
	IsGreedy bool
}

// Score is a log-likelihood result.
type Score struct {
	// LogProb is Σ log p(token | prefix) over the scored tokens, at depth R
	// (or at the Q-exit step of each token under adaptive exit).
	LogProb float64
	// IsGreedy is true when every scored token is the argmax.
	IsGreedy bool
	// Tokens is the number of scored tokens; InputTokens the number of
	// tokens fed to the model.
	Tokens, InputTokens int
	// PerDepth holds the same score at every depth r = 1..R from the same
	// forward pass (looped models only; the state after step r is exactly
	// the R = r model).
	PerDepth []DepthScore
	// Steps[i] is the step that scored token i (R, or the Q-exit step).
	Steps []int
}

// LogLikelihood scores continuation given context with lm-eval's
// tokenization convention (_encode_pair): trailing whitespace of the context
// moves to the front of the continuation, the concatenation is encoded
// whole, the continuation tokens are those of the whole encoding after the
// context's own token count, and the model reads the context's own
// encoding followed by them. An empty context is replaced by the prefix
// token (BOS, else the first EOS id).
func (m *Model) LogLikelihood(ctx context.Context, contextText, continuation string, o ScoreOptions) (*Score, error) {
	if m.tok == nil {
		return nil, fmt.Errorf("engine: %s has no tokenizer.json; use LogLikelihoodIDs", m.ck.Dir)
	}
	c, cont := SplitContext(contextText, continuation)
	var ctxIDs, contIDs []int
	if c == "" {
		p, err := m.prefixToken()
		if err != nil {
			return nil, err
		}
		ctxIDs, contIDs = []int{p}, m.tok.Encode(cont)
	} else {
		// As lm-eval's _encode_pair: the context is encoded on its own and
		// the continuation is what the whole encoding has beyond the
		// context's token count (the two can disagree at the boundary;
		// lm-eval feeds exactly these tokens).
		whole := m.tok.Encode(c + cont)
		ctxIDs = m.tok.Encode(c)
		if len(ctxIDs) < len(whole) {
			contIDs = whole[len(ctxIDs):]
		}
	}
	if len(contIDs) == 0 {
		return nil, fmt.Errorf("engine: continuation %q encodes to no tokens beyond the context's %d", continuation, len(ctxIDs))
	}
	return m.LogLikelihoodIDs(ctx, ctxIDs, contIDs, o)
}

// SplitContext moves the trailing whitespace of context (what Python's
// str.rstrip removes) to the front of continuation, as lm-eval does.
func SplitContext(context, continuation string) (string, string) {
	trimmed := strings.TrimRightFunc(context, isPySpace)
	return trimmed, context[len(trimmed):] + continuation
}

// isPySpace reports whether Python's str.isspace is true for r.
func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

func (m *Model) prefixToken() (int, error) {
	c := m.ck.Config
	if m.ck.Generation != nil && len(m.ck.Generation.BOSTokenID) > 0 {
		return m.ck.Generation.BOSTokenID[0], nil
	}
	if len(c.BOSTokenID) > 0 {
		return c.BOSTokenID[0], nil
	}
	if len(m.eos) > 0 {
		return m.eos[0], nil
	}
	return 0, fmt.Errorf("engine: empty context and %s defines no BOS or EOS token to start from", m.ck.Dir)
}

// LogLikelihoodIDs scores the continuation token ids given the context ids
// (non-empty) in one forward pass over context+continuation[:-1]. Looped
// models also get PerDepth for every depth 1..R.
func (m *Model) LogLikelihoodIDs(ctx context.Context, contextIDs, continuation []int, o ScoreOptions) (*Score, error) {
	return m.score(ctx, contextIDs, continuation, o, true)
}

// score implements LogLikelihoodIDs; cache says whether the context may be
// stored in the prefix cache (rolling windows never repeat, so they skip it).
func (m *Model) score(ctx context.Context, contextIDs, continuation []int, o ScoreOptions, cache bool) (*Score, error) {
	if len(contextIDs) == 0 {
		return nil, fmt.Errorf("engine: LogLikelihoodIDs needs a non-empty context")
	}
	if len(continuation) == 0 {
		return nil, fmt.Errorf("engine: LogLikelihoodIDs needs a non-empty continuation")
	}
	if err := m.checkIDs(continuation, 0); err != nil {
		return nil, err
	}
	input := append(append([]int(nil), contextIDs...), continuation[:len(continuation)-1]...)
	if m.maxPos > 0 && len(input) > m.maxPos {
		return nil, fmt.Errorf("engine: context and continuation need %d positions, more than max_position_embeddings %d (no truncation)", len(input), m.maxPos)
	}
	// Two chunks, always: the context without its last token (shared by
	// every continuation, so it may come from the prefix cache), then the
	// rest, whose outputs are scored.
	n, first := len(continuation), len(contextIDs)-1
	if err := m.checkIDs(input, len(input)); err != nil {
		return nil, err
	}
	R, err := m.steps(o.R)
	if err != nil {
		return nil, err
	}
	var seq *Sequence
	if first > 0 {
		seq, err = m.prefixed(ctx, R, input[:first], cache)
	} else {
		seq, err = m.NewSequence(R)
	}
	if err != nil {
		return nil, err
	}
	st, err := seq.Forward(ctx, input[first:], false)
	if err != nil {
		return nil, err
	}
	V, D := m.vocab, m.ck.Config.HiddenSize
	// Per step: log-prob and greedy flag of every continuation token.
	lps := make([][]float64, R)
	greedy := make([][]bool, R)
	logits := make([]float32, n*V)
	lsm := make([]float32, V)
	for t := range R {
		m.logits(logits, st.Hidden[t][:n*D], n)
		lps[t], greedy[t] = make([]float64, n), make([]bool, n)
		for i, tok := range continuation {
			row := logits[i*V : (i+1)*V]
			logSoftmax(lsm, row)
			lps[t][i] = float64(lsm[tok])
			greedy[t][i] = argmax(row) == tok
		}
	}
	s := &Score{Tokens: n, InputTokens: len(input), IsGreedy: true, Steps: make([]int, n)}
	lam := make([]float64, R)
	for i := range n {
		step := R
		if o.Q != nil && st.Lambda != nil {
			for t := range R {
				lam[t] = float64(st.Lambda[t][i])
			}
			step = ExitStep(ExitDistribution(lam), *o.Q)
		}
		s.Steps[i] = step
		s.LogProb += lps[step-1][i]
		s.IsGreedy = s.IsGreedy && greedy[step-1][i]
	}
	if m.net.looped {
		for t := range R {
			d := DepthScore{R: t + 1, IsGreedy: true}
			for i := range n {
				d.LogProb += lps[t][i]
				d.IsGreedy = d.IsGreedy && greedy[t][i]
			}
			s.PerDepth = append(s.PerDepth, d)
		}
	}
	return s, nil
}

// Rolling returns the log-likelihood of the whole text (every token scored,
// the first one given the prefix token), over disjoint windows of at most
// MaxLength predicted tokens with as much preceding context as fits, as
// lm-eval's loglikelihood_rolling does.
func (m *Model) Rolling(ctx context.Context, text string, o ScoreOptions) (*Score, error) {
	if m.tok == nil {
		return nil, fmt.Errorf("engine: %s has no tokenizer.json; use RollingIDs", m.ck.Dir)
	}
	return m.RollingIDs(ctx, m.tok.Encode(text), o)
}

// RollingIDs is Rolling on token ids.
func (m *Model) RollingIDs(ctx context.Context, ids []int, o ScoreOptions) (*Score, error) {
	total := &Score{IsGreedy: true}
	if len(ids) == 0 {
		return total, nil
	}
	prefix, err := m.prefixToken()
	if err != nil {
		return nil, err
	}
	maxLen := o.MaxLength
	if maxLen <= 0 {
		maxLen = m.maxPos
	}
	if maxLen <= 0 {
		maxLen = len(ids)
	}
	for _, w := range rollingWindows(ids, prefix, maxLen) {
		s, err := m.score(ctx, w.context, w.continuation, o, false)
		if err != nil {
			return nil, err
		}
		total.LogProb += s.LogProb
		total.IsGreedy = total.IsGreedy && s.IsGreedy
		total.Tokens += s.Tokens
		total.InputTokens += s.InputTokens
		total.Steps = append(total.Steps, s.Steps...)
		if total.PerDepth == nil && s.PerDepth != nil {
			total.PerDepth = make([]DepthScore, len(s.PerDepth))
			for i := range total.PerDepth {
				total.PerDepth[i] = DepthScore{R: i + 1, IsGreedy: true}
			}
		}
		for i, d := range s.PerDepth {
			total.PerDepth[i].LogProb += d.LogProb
			total.PerDepth[i].IsGreedy = total.PerDepth[i].IsGreedy && d.IsGreedy
		}
	}
	return total, nil
}

type window struct{ context, continuation []int }

// rollingWindows mirrors lm-eval's get_rolling_token_windows with
// context_len 1 followed by make_disjoint_window: every token is predicted
// exactly once, each window predicting at most maxLen tokens and seeing at
// most maxLen inputs.
func rollingWindows(ids []int, prefix, maxLen int) []window {
	var out []window
	first := min(maxLen, len(ids))
	out = append(out, window{context: []int{prefix}, continuation: ids[:first]})
	predicted := first
	for predicted < len(ids) {
		n := min(len(ids)-predicted, maxLen)
		end := predicted + n
		ctxStart := max(0, end-maxLen-1)
		in := ids[ctxStart : end-1]
		// Disjoint: the context is the part of the input before the
		// predicted tokens.
		ctxPart := in[:len(in)-(n-1)]
		out = append(out, window{context: ctxPart, continuation: ids[end-n : end]})
		predicted = end
	}
	return out
}
