// Package backends defines the one request/response vocabulary every way of
// obtaining answers speaks: the built-in engine, remote OpenAI-compatible
// endpoints, and the chance floor. The harness sends requests of three kinds
// (generate, log-likelihood, rolling log-likelihood); a Backend answers them.
//
// Looped-model settings (fixed recurrent depth R, exit threshold q, KV
// strategy) travel in [Options] on every request, so one loaded model can
// serve a whole depth sweep.
package backends

import (
	"context"
	"errors"
	"time"
)

// Kind names one of the three request kinds.
type Kind string

// The request kinds.
const (
	KindGenerate      Kind = "generate"
	KindLogLikelihood Kind = "loglikelihood"
	KindRolling       Kind = "loglikelihood_rolling"
)

// Options carries the looped-model settings of one request. The zero value
// means "the backend's default" for every field.
type Options struct {
	// R is the fixed number of recurrent steps (0 = the model's default).
	R int `json:"R,omitempty" yaml:"R,omitempty"`
	// Q is the adaptive exit threshold on the exit CDF; nil disables
	// adaptive exit.
	Q *float64 `json:"q,omitempty" yaml:"q,omitempty"`
	// KV names the decode-time KV strategy ("full", "last", "first",
	// "average"); empty means "full".
	KV string `json:"kv,omitempty" yaml:"kv,omitempty"`
}

// Message is one chat turn.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// GenerateRequest asks for up to N sampled or greedy continuations.
type GenerateRequest struct {
	// Prompt is a raw completion prompt; ignored when Messages is set.
	Prompt string `json:"prompt,omitempty"`
	// Messages, when non-empty, are rendered with the model's chat template.
	Messages    []Message `json:"messages,omitempty"`
	Stop        []string  `json:"stop,omitempty"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	Temperature float64   `json:"temperature"`
	TopP        float64   `json:"top_p,omitempty"`
	TopK        int       `json:"top_k,omitempty"`
	MinP        float64   `json:"min_p,omitempty"`
	// Seed makes sampling reproducible; it is part of the cache key.
	Seed int64 `json:"seed"`
	// N is the number of samples (0 means 1).
	N       int     `json:"n,omitempty"`
	Options Options `json:"options"`
}

// LogLikelihoodRequest asks for log P(Continuation | Context).
type LogLikelihoodRequest struct {
	Context      string  `json:"context"`
	Continuation string  `json:"continuation"`
	Options      Options `json:"options"`
}

// RollingRequest asks for the log-likelihood of a whole text (perplexity,
// bits per byte), computed over as many windows as the model needs.
type RollingRequest struct {
	Text    string  `json:"text"`
	Options Options `json:"options"`
}

// Usage reports what answering a request cost.
type Usage struct {
	PromptTokens     int           `json:"prompt_tokens"`
	CompletionTokens int           `json:"completion_tokens"`
	Latency          time.Duration `json:"latency_ns"`
	// Steps holds the recurrent steps executed for each generated or scored
	// token, when the backend reports them (nil otherwise).
	Steps []int `json:"steps,omitempty"`
}

// MeanSteps returns the mean of Steps, or 0 when none were reported.
func (u Usage) MeanSteps() float64 {
	if len(u.Steps) == 0 {
		return 0
	}
	s := 0
	for _, v := range u.Steps {
		s += v
	}
	return float64(s) / float64(len(u.Steps))
}

// Completion is one generated sample.
type Completion struct {
	Text string `json:"text"`
	// FinishReason is "stop" (stop string or token), "length" or "error".
	FinishReason string `json:"finish_reason"`
	Tokens       int    `json:"tokens"`
	// Steps holds the recurrent steps executed for each generated token.
	Steps []int `json:"steps,omitempty"`
}

// GenerateResponse answers a GenerateRequest.
type GenerateResponse struct {
	Completions []Completion `json:"completions"`
	Usage       Usage        `json:"usage"`
}

// DepthScore is a log-likelihood computed at one recurrent depth.
type DepthScore struct {
	R        int     `json:"R"`
	LogProb  float64 `json:"logprob"`
	IsGreedy bool    `json:"is_greedy"`
}

// LogLikelihoodResponse answers a LogLikelihoodRequest.
type LogLikelihoodResponse struct {
	LogProb  float64 `json:"logprob"`
	IsGreedy bool    `json:"is_greedy"`
	// Tokens is the number of continuation tokens scored.
	Tokens int `json:"tokens"`
	// PerDepth holds the same score at every depth 1..R when the backend
	// computes them in one pass (CapPerDepth); nil otherwise.
	PerDepth []DepthScore `json:"per_depth,omitempty"`
	Usage    Usage        `json:"usage"`
}

// RollingResponse answers a RollingRequest.
type RollingResponse struct {
	LogProb float64 `json:"logprob"`
	Tokens  int     `json:"tokens"`
	// Bytes is the UTF-8 length of the text, for bits per byte.
	Bytes    int          `json:"bytes"`
	PerDepth []DepthScore `json:"per_depth,omitempty"`
	Usage    Usage        `json:"usage"`
}

// Capabilities says what a backend can answer.
type Capabilities struct {
	Generate      bool `json:"generate"`
	LogLikelihood bool `json:"loglikelihood"`
	Rolling       bool `json:"rolling"`
	Chat          bool `json:"chat"`
	// Looped is true when Options.R and Options.Q mean something.
	Looped bool `json:"looped"`
	// PerDepth is true when log-likelihoods at every depth 1..R come from
	// one pass (an R sweep on log-likelihood tasks costs one R run).
	PerDepth bool `json:"per_depth"`
	// StepsReported is true when responses carry recurrent steps per token.
	StepsReported bool `json:"steps_reported"`
	// MaxConcurrency is the backend's preferred limit on requests in
	// flight (0 = no preference).
	MaxConcurrency int `json:"max_concurrency"`
}

// Identity names a backend stably: two backends with equal identities give
// the same answers to the same requests, so Identity is part of cache keys.
type Identity struct {
	// Kind is the adapter ("engine", "openai", "chance").
	Kind string `json:"kind"`
	// Name is the model as users know it ("ouro-1.4b", "micro-looped").
	Name string `json:"name"`
	// Fingerprint pins the exact weights or endpoint model (e.g. a hash of
	// the checkpoint's files, or the served model id and revision).
	Fingerprint string `json:"fingerprint"`
	// Params is the parameter count when known (0 otherwise).
	Params int64 `json:"params,omitempty"`
}

// Backend answers requests. Implementations must be safe for concurrent use.
type Backend interface {
	Identity() Identity
	Capabilities() Capabilities
	Generate(ctx context.Context, req *GenerateRequest) (*GenerateResponse, error)
	LogLikelihood(ctx context.Context, req *LogLikelihoodRequest) (*LogLikelihoodResponse, error)
	Rolling(ctx context.Context, req *RollingRequest) (*RollingResponse, error)
	Close() error
}

// ErrUnsupported is returned (wrapped) for a request kind the backend does
// not declare in its Capabilities.
var ErrUnsupported = errors.New("backends: request kind not supported")
