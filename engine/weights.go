package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ouroeval/ouroeval/engine/checkpoint"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// linear is an nn.Linear: weight [out][in] in the file's dtype (zero-copy)
// and an optional float32 bias.
type linear struct {
	w kernels.Matrix
	b []float32
}

// weights hands out a checkpoint's tensors by name with shape checks,
// remembers which were used, and reports the first problem with the
// tensor's full name. Architectures call it in their load functions; the
// loader then checks that no tensor was left unused.
type weights struct {
	ck     *checkpoint.Checkpoint
	used   map[string]bool
	err    error
	params int64
}

func newWeights(ck *checkpoint.Checkpoint) *weights {
	return &weights{ck: ck, used: map[string]bool{}}
}

func (w *weights) fail(name, format string, args ...any) {
	if w.err == nil {
		w.err = fmt.Errorf("checkpoint %s: tensor %q: %s", w.ck.Dir, name, fmt.Sprintf(format, args...))
	}
}

// tensor returns the named tensor after checking its shape.
func (w *weights) tensor(name string, shape ...int) *safetensors.Tensor {
	if w.err != nil {
		return nil
	}
	t, ok := w.ck.Tensor(name)
	if !ok {
		w.fail(name, "missing (required by %s)", w.ck.Config.ModelType)
		return nil
	}
	if !sameShape(t.Shape, shape) {
		w.fail(name, "shape %v disagrees with config.json, which implies %v", t.Shape, shape)
		return nil
	}
	if !w.used[name] {
		w.params += int64(t.NumElements())
	}
	w.used[name] = true
	return t
}

func sameShape(a, b []int) bool {
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

// matrix returns a [rows][cols] weight matrix, zero-copy.
func (w *weights) matrix(name string, rows, cols int) kernels.Matrix {
	t := w.tensor(name, rows, cols)
	if t == nil {
		return kernels.Matrix{}
	}
	m := kernels.Matrix{Rows: rows, Cols: cols}
	switch t.DType {
	case safetensors.F32:
		m.DType, m.F32 = kernels.F32, t.F32()
	case safetensors.BF16:
		m.DType, m.U16 = kernels.BF16, t.U16()
	case safetensors.F16:
		m.DType, m.U16 = kernels.F16, t.U16()
	}
	return m
}

// vector returns a 1-D tensor of n values widened to float32 (a copy: norm
// weights and biases are small).
func (w *weights) vector(name string, n int) []float32 {
	t := w.tensor(name, n)
	if t == nil {
		return nil
	}
	return toF32(t)
}

func toF32(t *safetensors.Tensor) []float32 {
	out := make([]float32, t.NumElements())
	switch t.DType {
	case safetensors.F32:
		copy(out, t.F32())
	case safetensors.BF16:
		for i, u := range t.U16() {
			out[i] = kernels.BF16ToF32(u)
		}
	case safetensors.F16:
		for i, u := range t.U16() {
			out[i] = kernels.F16ToF32(u)
		}
	}
	return out
}

// linear loads prefix.weight [out][in] and, when bias, prefix.bias [out].
func (w *weights) linear(prefix string, out, in int, bias bool) linear {
	l := linear{w: w.matrix(prefix+".weight", out, in)}
	if bias {
		l.b = w.vector(prefix+".bias", out)
	}
	return l
}

// finish reports the first error, or tensors the architecture did not use.
func (w *weights) finish() error {
	if w.err != nil {
		return w.err
	}
	var extra []string
	for _, n := range w.ck.TensorNames() {
		// Old checkpoints saved RoPE's non-persistent inv_freq buffers;
		// transformers ignores them on load, and so do we (RoPE is
		// computed from config.json).
		if strings.HasSuffix(n, ".rotary_emb.inv_freq") {
			continue
		}
		if !w.used[n] {
			extra = append(extra, n)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		more := ""
		if len(extra) > 5 {
			more = fmt.Sprintf(" and %d more", len(extra)-5)
			extra = extra[:5]
		}
		return fmt.Errorf("checkpoint %s: unexpected tensors for model_type %q (config.json disagrees with the weights?): %s%s",
			w.ck.Dir, w.ck.Config.ModelType, strings.Join(extra, ", "), more)
	}
	return nil
}
