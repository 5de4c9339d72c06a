package harness

import (
	"math"

	"github.com/ouroeval/ouroeval/backends"
)

// Record is one line of samples/<model>/<task>.jsonl: everything about one
// document under one setting. Keyed by (doc_id, setting) for paired
// comparisons across runs. Fields under "timing" vary between runs; all
// others are deterministic for a given config and seed.
type Record struct {
	Model      string   `json:"model"`
	Task       string   `json:"task"`
	DocID      int      `json:"doc_id"`
	Setting    Setting  `json:"setting"`
	DocHash    string   `json:"doc_hash"`
	PromptHash string   `json:"prompt_hash"`
	Prompt     string   `json:"prompt"`
	Target     string   `json:"target"`
	GoldIndex  *int     `json:"gold_index,omitempty"`
	Golds      []int    `json:"golds,omitempty"`
	Choices    []string `json:"choices,omitempty"`
	// Breakdown holds the doc's values of the task's breakdown fields.
	Breakdown map[string]string `json:"breakdown,omitempty"`
	// Responses are the raw responses, one per request in order.
	Responses []ResponseRecord `json:"resps"`
	// Filtered maps filter chain → filtered answers (generate_until).
	Filtered map[string][]string `json:"filtered,omitempty"`
	// Scores maps filter chain → metric → per-sample score.
	Scores map[string]map[string]float64 `json:"scores,omitempty"`
	// ExtractionFailures lists the chains whose answer could not be
	// extracted (scored, and counted separately).
	ExtractionFailures []string `json:"extraction_failures,omitempty"`
	Tokens             Tokens   `json:"tokens"`
	// MeanSteps is the mean recurrent steps executed per token, when the
	// backend reports steps.
	MeanSteps float64 `json:"mean_steps,omitempty"`
	// Error is set when a request or the scoring failed; the document is
	// then excluded from every metric and counted in n_errors.
	Error  string `json:"error,omitempty"`
	Timing Timing `json:"timing"`
}

// Tokens counts prompt and completion tokens over a document's requests.
type Tokens struct {
	Prompt     int `json:"prompt"`
	Completion int `json:"completion"`
}

// Timing holds the fields that legitimately differ between identical runs.
type Timing struct {
	LatencyNS int64 `json:"latency_ns"`
	// Cached is the number of this document's requests answered from the
	// cache.
	Cached int `json:"cached"`
}

// ResponseRecord is one raw response.
type ResponseRecord struct {
	Kind          backends.Kind `json:"kind"`
	Texts         []string      `json:"texts,omitempty"`
	FinishReasons []string      `json:"finish_reasons,omitempty"`
	LogProb       *float64      `json:"logprob,omitempty"`
	IsGreedy      *bool         `json:"is_greedy,omitempty"`
	Tokens        int           `json:"tokens"`
	Bytes         int           `json:"bytes,omitempty"`
	// Steps is the recurrent steps executed per token (looped backends).
	Steps []int `json:"steps,omitempty"`
	// PerDepthOf is set when this score was read from the per-depth
	// scores of one request at R = PerDepthOf.
	PerDepthOf int    `json:"per_depth_of,omitempty"`
	Error      string `json:"error,omitempty"`
}

// finite returns &x, or nil when x is NaN or infinite (JSON has no such
// numbers).
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
