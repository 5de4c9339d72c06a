// Package chance implements the random-guess floor as a real backend: the
// score a model would get by guessing. Every answer is a pure function of the
// backend's seed and the request, so results do not depend on request order,
// concurrency or caching, and a chance row belongs on every leaderboard.
//
// Answers:
//   - Log-likelihood: log(u) with u uniform in (0, 1], drawn from a hash of
//     (seed, context, continuation). The log-probabilities of a document's
//     choices are independent and identically distributed, so the argmax
//     (accuracy) picks each choice with probability 1/len(choices).
//     IsGreedy is always false (a uniform guesser essentially never produces
//     a given continuation greedily).
//   - Rolling log-likelihood: the uniform byte model, len(text)·log(1/256),
//     i.e. exactly 8 bits per byte; it needs no randomness.
//   - Generation: each of the N samples is one word drawn uniformly from the
//     words of the prompt (punctuation trimmed), chosen by a hash of (seed,
//     request seed, prompt, sample index). For multiple-choice-as-generation
//     and "copy an entity or number from the question" tasks this is the
//     guessing floor; tasks whose answers never occur in the prompt score 0.
//
// Token counts treat one byte as one token.
package chance

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ouroeval/ouroeval/backends"
)

// Version changes whenever the answers for a given request change; it is
// part of the identity fingerprint, so caches never mix versions.
const Version = "1"

// Backend is the chance floor. The zero value is not usable; call New.
type Backend struct {
	seed uint64
}

// New returns a chance backend whose answers are determined by seed.
func New(seed uint64) *Backend { return &Backend{seed: seed} }

// Open is a [backends.Opener] for specs "chance" and "chance?seed=N".
func Open(_ context.Context, spec backends.Spec) (backends.Backend, error) {
	if spec.Target != "" {
		return nil, fmt.Errorf("chance: model spec %q: the chance backend takes no target (use \"chance\" or \"chance?seed=N\")", spec.Raw)
	}
	var seed uint64
	for k, v := range spec.Params {
		switch k {
		case "seed":
			s, err := strconv.ParseUint(v[len(v)-1], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("chance: model spec %q: seed must be a non-negative integer: %v", spec.Raw, err)
			}
			seed = s
		default:
			return nil, fmt.Errorf("chance: model spec %q: unknown parameter %q (valid: seed)", spec.Raw, k)
		}
	}
	return New(seed), nil
}

// Identity implements [backends.Backend].
func (b *Backend) Identity() backends.Identity {
	return backends.Identity{
		Kind:        "chance",
		Name:        "chance",
		Fingerprint: fmt.Sprintf("chance-v%s/seed=%d", Version, b.seed),
	}
}

// Capabilities implements [backends.Backend]. Options (R, q, KV) are
// accepted and ignored: chance is the same floor at every depth.
func (b *Backend) Capabilities() backends.Capabilities {
	return backends.Capabilities{Generate: true, LogLikelihood: true, Rolling: true, Chat: true}
}

// Close implements [backends.Backend].
func (b *Backend) Close() error { return nil }

// hasher accumulates length-prefixed fields into FNV-1a so that different
// field splits never collide by concatenation.
type hasher struct{ h uint64 }

func newHasher(seed uint64, domain string) *hasher {
	h := &hasher{h: 14695981039346656037}
	h.u64(seed)
	h.str(domain)
	return h
}

func (h *hasher) bytes(p []byte) {
	x := h.h
	for _, c := range p {
		x ^= uint64(c)
		x *= 1099511628211
	}
	h.h = x
}

func (h *hasher) u64(v uint64) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], v)
	h.bytes(buf[:])
}

func (h *hasher) str(s string) {
	h.u64(uint64(len(s)))
	x := h.h
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= 1099511628211
	}
	h.h = x
}

// sum finalises with splitmix64 so nearby inputs give unrelated outputs.
func (h *hasher) sum() uint64 {
	z := h.h + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit maps a hash to (0, 1].
func unit(x uint64) float64 { return float64(x>>11+1) / (1 << 53) }

// LogLikelihood implements [backends.Backend].
func (b *Backend) LogLikelihood(ctx context.Context, req *backends.LogLikelihoodRequest) (*backends.LogLikelihoodResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	h := newHasher(b.seed, "loglikelihood")
	h.str(req.Context)
	h.str(req.Continuation)
	lp := math.Log(unit(h.sum()))
	return &backends.LogLikelihoodResponse{
		LogProb: lp,
		Tokens:  len(req.Continuation),
		Usage: backends.Usage{
			PromptTokens: len(req.Context) + len(req.Continuation),
			Latency:      time.Since(start),
		},
	}, nil
}

// Rolling implements [backends.Backend].
func (b *Backend) Rolling(ctx context.Context, req *backends.RollingRequest) (*backends.RollingResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	n := len(req.Text)
	return &backends.RollingResponse{
		LogProb: -float64(n) * math.Log(256),
		Tokens:  n,
		Bytes:   n,
		Usage:   backends.Usage{PromptTokens: n, Latency: time.Since(start)},
	}, nil
}

// Generate implements [backends.Backend].
func (b *Backend) Generate(ctx context.Context, req *backends.GenerateRequest) (*backends.GenerateResponse, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	prompt := req.Prompt
	if len(req.Messages) > 0 {
		var sb strings.Builder
		for _, m := range req.Messages {
			sb.WriteString(m.Content)
			sb.WriteByte('\n')
		}
		prompt = sb.String()
	}
	nwords := countWords(prompt)
	n := req.N
	if n <= 0 {
		n = 1
	}
	resp := &backends.GenerateResponse{Completions: make([]backends.Completion, n)}
	total := 0
	for j := 0; j < n; j++ {
		h := newHasher(b.seed, "generate")
		h.u64(uint64(req.Seed))
		h.str(prompt)
		h.u64(uint64(j))
		text := ""
		if nwords > 0 {
			text = nthWord(prompt, int(h.sum()%uint64(nwords)))
		}
		finish := "stop"
		for _, s := range req.Stop {
			if s == "" {
				continue
			}
			if i := strings.Index(text, s); i >= 0 {
				text = text[:i]
			}
		}
		if req.MaxTokens > 0 && len(text) > req.MaxTokens {
			text = text[:req.MaxTokens]
			finish = "length"
		}
		resp.Completions[j] = backends.Completion{Text: text, FinishReason: finish, Tokens: len(text)}
		total += len(text)
	}
	resp.Usage = backends.Usage{PromptTokens: len(prompt), CompletionTokens: total, Latency: time.Since(start)}
	return resp, nil
}

// Words splits s at white space and trims punctuation from both ends of
// each word, dropping words that become empty. It is the vocabulary the
// generation floor guesses from.
func Words(s string) []string {
	var out []string
	for f := range strings.FieldsSeq(s) {
		if w := trimWord(f); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// trimWord trims punctuation, keeping a leading '-' so negative numbers
// survive.
func trimWord(f string) string {
	w := strings.TrimFunc(f, func(r rune) bool { return unicode.IsPunct(r) && r != '-' })
	return strings.TrimRight(w, "-")
}

// countWords is len(Words(s)) without allocating.
func countWords(s string) int {
	n := 0
	for f := range strings.FieldsSeq(s) {
		if trimWord(f) != "" {
			n++
		}
	}
	return n
}

// nthWord is Words(s)[k] without allocating.
func nthWord(s string, k int) string {
	for f := range strings.FieldsSeq(s) {
		if w := trimWord(f); w != "" {
			if k == 0 {
				return w
			}
			k--
		}
	}
	return ""
}
