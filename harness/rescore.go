package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/ouroeval/ouroeval/backends"
)

// Recorded holds generations produced elsewhere for one task, by document
// id, read by [ReadResponses].
type Recorded struct {
	// Responses maps doc_id to its responses (one per repeat).
	Responses map[int][]string
	// Contexts maps doc_id to the prompt the responses were generated
	// from, when the file says (lm-eval samples: arguments.gen_args_0.arg_0).
	Contexts map[int]string
	// Format is "responses" ({"doc_id", "response"} lines) or "lm-eval"
	// (samples_*.jsonl).
	Format string
}

// ReadResponses parses a responses file. Two line formats are accepted,
// also mixed: {"doc_id": N, "response": "..."} (or "responses": [...] for
// several samples), and lm-eval's samples_<task>_*.jsonl lines, whose
// "resps" is [[text, ...]] and which repeat a document once per filter (the
// repeats must agree). Errors name the file and line.
func ReadResponses(r io.Reader, name string) (*Recorded, error) {
	rec := &Recorded{Responses: map[int][]string{}, Contexts: map[int]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<30)
	line := 0
	formats := map[string]bool{}
	for sc.Scan() {
		line++
		b := strings.TrimSpace(sc.Text())
		if b == "" {
			continue
		}
		var raw struct {
			DocID     *int            `json:"doc_id"`
			Response  *string         `json:"response"`
			Responses []string        `json:"responses"`
			Resps     json.RawMessage `json:"resps"`
			Arguments json.RawMessage `json:"arguments"`
		}
		dec := json.NewDecoder(strings.NewReader(b))
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s:%d: invalid JSON: %v", name, line, err)
		}
		if raw.DocID == nil {
			return nil, fmt.Errorf("%s:%d: no \"doc_id\"", name, line)
		}
		id := *raw.DocID
		if id < 0 {
			return nil, fmt.Errorf("%s:%d: doc_id %d is negative", name, line, id)
		}
		var texts []string
		switch {
		case raw.Response != nil:
			texts = []string{*raw.Response}
			formats["responses"] = true
		case raw.Responses != nil:
			texts = raw.Responses
			formats["responses"] = true
		case raw.Resps != nil:
			var nested [][]json.RawMessage
			if err := json.Unmarshal(raw.Resps, &nested); err != nil || len(nested) != 1 {
				return nil, fmt.Errorf("%s:%d: \"resps\" is not lm-eval's generate_until form [[text, ...]] (log-likelihood samples cannot be rescored as generations)", name, line)
			}
			for i, m := range nested[0] {
				var s string
				if err := json.Unmarshal(m, &s); err != nil {
					return nil, fmt.Errorf("%s:%d: resps[0][%d] is not a string", name, line, i)
				}
				texts = append(texts, s)
			}
			if len(raw.Arguments) > 0 {
				var args map[string]map[string]json.RawMessage
				if err := json.Unmarshal(raw.Arguments, &args); err == nil {
					var ctx string
					if a, ok := args["gen_args_0"]["arg_0"]; ok && json.Unmarshal(a, &ctx) == nil {
						rec.Contexts[id] = ctx
					}
				}
			}
			formats["lm-eval"] = true
		default:
			return nil, fmt.Errorf("%s:%d: no \"response\", \"responses\" or lm-eval \"resps\"", name, line)
		}
		if len(texts) == 0 {
			return nil, fmt.Errorf("%s:%d: doc %d: no responses", name, line, id)
		}
		if prev, dup := rec.Responses[id]; dup {
			if !equalStrings(prev, texts) {
				return nil, fmt.Errorf("%s:%d: doc %d appears again with different responses", name, line, id)
			}
			continue
		}
		rec.Responses[id] = texts
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", name, line+1, err)
	}
	if len(rec.Responses) == 0 {
		return nil, fmt.Errorf("%s: no responses", name)
	}
	fs := make([]string, 0, len(formats))
	for f := range formats {
		fs = append(fs, f)
	}
	sort.Strings(fs)
	rec.Format = strings.Join(fs, "+")
	return rec, nil
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RescoreConfig says what to rescore.
type RescoreConfig struct {
	// Task is the task whose filters and metrics grade the responses.
	Task string
	// Model labels the responses in the run directory (default
	// "rescored").
	Model string
	// Seed is the few-shot seed the prompts were built with (default
	// 1234); it only matters for matching documents to prompts.
	Seed uint64
	// Bootstrap resamples (default DefaultBootstrap).
	Bootstrap int
	// Formats are extra output layouts (lm-eval).
	Formats []string
}

// Rescore grades recorded generations with a task's own filter chains and
// metrics and writes a normal run directory: the task's documents 0..max
// doc_id are rendered as for a run, and a replay backend answers document
// i's generate request with its recorded responses (a document without
// responses is recorded as an error and counted in n_errors). Prompts that
// differ from the recorded contexts (lm-eval samples) are reported in
// Result.Notes, not errors: the responses are still graded by doc_id.
func Rescore(ctx context.Context, rc RescoreConfig, rec *Recorded, env Env, opt Options) (*Result, error) {
	if rc.Model == "" {
		rc.Model = "rescored"
	}
	if rc.Seed == 0 {
		rc.Seed = DefaultSeed
	}
	ts, _, err := env.Catalog.Resolve([]string{rc.Task})
	if err != nil {
		return nil, err
	}
	if len(ts) != 1 || ts[0].Name != rc.Task {
		return nil, fmt.Errorf("rescore: %s is a group; rescore one task at a time", rc.Task)
	}
	t := ts[0]
	if t.OutputType != "generate_until" {
		return nil, fmt.Errorf("rescore: task %s is %s; only generate_until tasks can be rescored from generations", t.Name, t.OutputType)
	}
	ds, err := t.Load(ctx, LoadOptions{DataDir: opt.DataDir, Seed: rc.Seed})
	if err != nil {
		return nil, nameTask(t, -1, err)
	}
	maxID := -1
	for id := range rec.Responses {
		maxID = max(maxID, id)
	}
	if maxID >= ds.Len() {
		return nil, fmt.Errorf("rescore: task %s has %d documents but the responses name doc_id %d", t.Name, ds.Len(), maxID)
	}
	rp := &replay{queues: map[string][][]string{}}
	var notes []string
	mismatch := 0
	firstMismatch := -1
	for i := 0; i <= maxID; i++ {
		r, ok := rec.Responses[i]
		if !ok {
			continue
		}
		s, err := ds.Build(i, rc.Seed)
		if err != nil {
			return nil, nameTask(t, i, err)
		}
		if c, ok := rec.Contexts[i]; ok && c != s.Prompt {
			mismatch++
			if firstMismatch < 0 {
				firstMismatch = i
			}
		}
		rp.queues[s.Prompt] = append(rp.queues[s.Prompt], r)
	}
	if mismatch > 0 {
		notes = append(notes, fmt.Sprintf("%d of %d documents were generated from a prompt that differs from task %s's (first: doc %d); they are graded by doc_id anyway", mismatch, len(rec.Contexts), t.Name, firstMismatch))
	}
	if missing := maxID + 1 - len(rec.Responses); missing > 0 {
		notes = append(notes, fmt.Sprintf("%d documents in 0..%d have no recorded response: they count as errors", missing, maxID))
	}
	for _, n := range notes {
		fmt.Fprintln(optLog(opt), "note:", n)
	}
	cfg := &Config{
		Name:      "rescore",
		Models:    []ModelConfig{{Spec: "replay", Name: rc.Model, Concurrency: 1}},
		Tasks:     []string{rc.Task},
		Seeds:     []uint64{rc.Seed},
		Limit:     maxID + 1,
		Bootstrap: rc.Bootstrap,
		Formats:   rc.Formats,
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	env.Open = func(context.Context, string) (backends.Backend, error) { return rp, nil }
	opt.CacheDir = "" // recorded responses are not model outputs to cache
	res, err := Run(ctx, cfg, env, opt)
	if res != nil {
		res.Notes = append(notes, res.Notes...)
	}
	if err == nil {
		if left := rp.unused(); left > 0 {
			return res, fmt.Errorf("rescore: %d recorded responses were not used (internal error)", left)
		}
	}
	return res, err
}

func optLog(o Options) io.Writer {
	if o.Log == nil {
		return io.Discard
	}
	return o.Log
}

// replay is a backend answering generate requests with recorded responses,
// keyed by prompt; documents with the same prompt are answered in document
// order (Rescore runs at concurrency 1, which dispatches in order).
type replay struct {
	mu     sync.Mutex
	queues map[string][][]string
}

func (r *replay) Identity() backends.Identity {
	return backends.Identity{Kind: "replay", Name: "replay", Fingerprint: "recorded-responses"}
}

func (r *replay) Capabilities() backends.Capabilities {
	return backends.Capabilities{Generate: true, MaxConcurrency: 1}
}

func (r *replay) Generate(_ context.Context, req *backends.GenerateRequest) (*backends.GenerateResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[req.Prompt]
	if len(q) == 0 {
		return nil, errors.New("no recorded response for this document")
	}
	texts := q[0]
	r.queues[req.Prompt] = q[1:]
	out := &backends.GenerateResponse{}
	for _, t := range texts {
		out.Completions = append(out.Completions, backends.Completion{Text: t, FinishReason: "recorded"})
	}
	return out, nil
}

func (r *replay) unused() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, q := range r.queues {
		n += len(q)
	}
	return n
}

func (r *replay) LogLikelihood(context.Context, *backends.LogLikelihoodRequest) (*backends.LogLikelihoodResponse, error) {
	return nil, fmt.Errorf("replay: %w", backends.ErrUnsupported)
}

func (r *replay) Rolling(context.Context, *backends.RollingRequest) (*backends.RollingResponse, error) {
	return nil, fmt.Errorf("replay: %w", backends.ErrUnsupported)
}

func (r *replay) Close() error { return nil }
