// Package inspect implements `ouroeval inspect`: the per-loop logit lens of
// a checkpoint. For every position of a prompt and every recurrent step it
// reports the top-k next-token log-probs, the log-prob of the actual next
// token, and for looped models the exit gate λ_t and exit probability p(t).
// See docs/inspect.md.
package inspect

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/ouroeval/ouroeval/engine"
)

// Report is the JSON form of an inspection.
type Report struct {
	// IDs are the prompt's token ids; Tokens their strings (when the
	// checkpoint has a tokenizer).
	IDs    []int    `json:"ids"`
	Tokens []string `json:"tokens,omitempty"`
	Steps  []Step   `json:"steps"`
}

// Step is one recurrent step (dense models have one).
type Step struct {
	Step int `json:"step"`
	// LogProbs[i] lists the top-k [token_id, logprob] pairs at position i,
	// best first (ties: lower id first).
	LogProbs [][]Pair `json:"logprobs"`
	// NextLogProb[i] is the log-prob of ids[i+1]; null at the last position.
	NextLogProb []*float64 `json:"next_logprob"`
	// Lambda and PExit are per position, looped models only.
	Lambda []float64 `json:"lambda,omitempty"`
	PExit  []float64 `json:"p_exit,omitempty"`
}

// Pair is a [token_id, logprob] pair, marshalled as a 2-element array.
type Pair struct {
	ID      int
	LogProb float64
}

// MarshalJSON writes [id, logprob].
func (p Pair) MarshalJSON() ([]byte, error) {
	return json.Marshal([2]any{p.ID, p.LogProb})
}

// UnmarshalJSON reads [id, logprob].
func (p *Pair) UnmarshalJSON(b []byte) error {
	var a [2]float64
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	p.ID, p.LogProb = int(a[0]), a[1]
	return nil
}

// Build computes the report for a trace, keeping the top k entries per
// position (the full distribution when k ≥ the vocabulary size).
func Build(tr *engine.Trace, k int, tokens []string) *Report {
	r := &Report{IDs: tr.IDs, Tokens: tokens}
	for _, st := range tr.Steps {
		s := Step{Step: st.Step}
		for i, lp := range st.LogProbs {
			s.LogProbs = append(s.LogProbs, topK(lp, k))
			if i+1 < len(tr.IDs) {
				v := float64(lp[tr.IDs[i+1]])
				s.NextLogProb = append(s.NextLogProb, &v)
			} else {
				s.NextLogProb = append(s.NextLogProb, nil)
			}
		}
		for i := range st.Lambda {
			s.Lambda = append(s.Lambda, float64(st.Lambda[i]))
			s.PExit = append(s.PExit, float64(st.PExit[i]))
		}
		r.Steps = append(r.Steps, s)
	}
	return r
}

func topK(lp []float32, k int) []Pair {
	idx := make([]int, len(lp))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lp[idx[a]] > lp[idx[b]] })
	if k < len(idx) {
		idx = idx[:k]
	}
	out := make([]Pair, len(idx))
	for i, id := range idx {
		out[i] = Pair{id, float64(lp[id])}
	}
	return out
}

// UsageError is a command-line mistake (bad or missing flags).
type UsageError struct{ Msg string }

// Error implements error.
func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{fmt.Sprintf(format, args...)}
}

// Run executes `inspect` with command-line args (without the command name).
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	model := fs.String("model", "", "checkpoint directory (Hugging Face layout)")
	prompt := fs.String("prompt", "", "prompt text (tokenized with the checkpoint's tokenizer, no BOS added)")
	idsFlag := fs.String("ids", "", "prompt as comma-separated token ids (instead of --prompt)")
	steps := fs.Int("steps", 0, "recurrent steps R (default: total_ut_steps; dense models: 1)")
	k := fs.Int("top-k", 5, "log-probs to show per position (≥ vocabulary size: all)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	kern := fs.String("kernels", "", "kernel path (auto, generic, avx512, avx512-exact)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval inspect --model DIR (--prompt TEXT | --ids 1,2,3) [--steps R] [--top-k K] [--json]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &UsageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usagef("inspect: unexpected arguments %q", fs.Args())
	}
	if *model == "" {
		return usagef("inspect: --model is required")
	}
	if (*prompt == "") == (*idsFlag == "") {
		return usagef("inspect: give exactly one of --prompt and --ids")
	}
	if *k < 1 {
		return usagef("inspect: --top-k must be at least 1, is %d", *k)
	}
	if *steps < 0 {
		return usagef("inspect: --steps must be positive, is %d", *steps)
	}
	m, err := engine.Load(ctx, *model, engine.LoadOptions{KernelPath: *kern})
	if err != nil {
		return err
	}
	defer m.Close()
	tok := m.Tokenizer()
	var ids []int
	if *idsFlag != "" {
		for i, f := range strings.Split(*idsFlag, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil {
				return usagef("inspect: --ids item %d %q is not an integer", i+1, f)
			}
			ids = append(ids, id)
		}
	} else {
		if tok == nil {
			return fmt.Errorf("inspect: %s has no tokenizer.json; use --ids", *model)
		}
		ids = tok.Encode(*prompt)
		if len(ids) == 0 {
			return errors.New("inspect: the prompt encodes to no tokens")
		}
	}
	tr, err := m.Trace(ctx, ids, *steps)
	if err != nil {
		return err
	}
	var tokens []string
	if tok != nil {
		for _, id := range ids {
			tokens = append(tokens, tok.Decode([]int{id}))
		}
	}
	rep := Build(tr, *k, tokens)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		return enc.Encode(rep)
	}
	return writeTable(stdout, rep, m, func(id int) string {
		if tok == nil {
			return ""
		}
		return tok.Decode([]int{id})
	})
}

func writeTable(w io.Writer, r *Report, m *engine.Model, str func(int) string) error {
	fmt.Fprintf(w, "model %s (%s, %d params), %d tokens, %d step(s)\n", m.Dir(), m.Config().ModelType, m.NumParams(), len(r.IDs), len(r.Steps))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "\nstep %d\n", s.Step)
		hdr := "pos\ttoken\tnext\tlogp(next)"
		if s.Lambda != nil {
			hdr += "\tλ\tp_exit"
		}
		fmt.Fprintln(tw, hdr+"\ttop")
		for i, id := range r.IDs {
			next, nlp := "", ""
			if s.NextLogProb[i] != nil {
				next = fmt.Sprintf("%d %s", r.IDs[i+1], strconv.Quote(str(r.IDs[i+1])))
				nlp = fmt.Sprintf("%.4f", *s.NextLogProb[i])
			}
			row := fmt.Sprintf("%d\t%d %s\t%s\t%s", i, id, strconv.Quote(str(id)), next, nlp)
			if s.Lambda != nil {
				row += fmt.Sprintf("\t%.4f\t%.4f", s.Lambda[i], s.PExit[i])
			}
			var top []string
			for _, p := range s.LogProbs[i] {
				top = append(top, fmt.Sprintf("%d %s %.3f", p.ID, strconv.Quote(str(p.ID)), p.LogProb))
			}
			fmt.Fprintln(tw, row+"\t"+strings.Join(top, ", "))
		}
	}
	return tw.Flush()
}
