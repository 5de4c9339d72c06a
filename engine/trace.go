package engine

import "context"

// Trace is the per-step view of one forward pass over a prompt.
type Trace struct {
	// IDs is the prompt.
	IDs []int
	// R is the number of recurrent steps run (1 for dense models).
	R int
	// Steps holds one entry per recurrent step t = 1..R, in order.
	Steps []TraceStep
}

// TraceStep is what the LM head and the exit gate see after one step.
type TraceStep struct {
	// Step is t, 1-based.
	Step int
	// LogProbs[i] is the log-softmax over the vocabulary at position i
	// (predicting token i+1), from this step's normed hidden state.
	LogProbs [][]float32
	// Lambda[i] is the exit gate λ_t at position i (nil for dense models).
	Lambda []float32
	// PExit[i] is p(t) at position i for the trace's R: λ_t·∏_{j<t}(1−λ_j)
	// for t < R, the remaining mass at t = R (nil for dense models).
	PExit []float32
}

// NextLogProb returns the log-prob the step gives the actual next token at
// position i, and false at the last position.
func (tr *Trace) NextLogProb(step, i int) (float32, bool) {
	if i+1 >= len(tr.IDs) {
		return 0, false
	}
	return tr.Steps[step].LogProbs[i][tr.IDs[i+1]], true
}

// Trace runs ids through R recurrent steps (R ≤ 0: the default; dense
// models: 1) in one prefill and returns every step's log-probs at every
// position, with λ and the exit distribution for looped models.
func (m *Model) Trace(ctx context.Context, ids []int, R int) (*Trace, error) {
	seq, err := m.NewSequence(R)
	if err != nil {
		return nil, err
	}
	st, err := seq.Forward(ctx, ids, false)
	if err != nil {
		return nil, err
	}
	T, V := len(ids), m.vocab
	tr := &Trace{IDs: append([]int(nil), ids...), R: seq.R}
	logits := make([]float32, T*V)
	for t := range seq.R {
		m.logits(logits, st.Hidden[t], T)
		step := TraceStep{Step: t + 1, LogProbs: make([][]float32, T)}
		for i := range T {
			lp := make([]float32, V)
			logSoftmax(lp, logits[i*V:(i+1)*V])
			step.LogProbs[i] = lp
		}
		if st.Lambda != nil {
			step.Lambda = st.Lambda[t]
			step.PExit = make([]float32, T)
		}
		tr.Steps = append(tr.Steps, step)
	}
	if st.Lambda != nil {
		lam := make([]float64, seq.R)
		for i := range T {
			for t := range seq.R {
				lam[t] = float64(st.Lambda[t][i])
			}
			for t, p := range ExitDistribution(lam) {
				tr.Steps[t].PExit[i] = float32(p)
			}
		}
	}
	return tr, nil
}
