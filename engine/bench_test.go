package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"testing/fstest"
	"time"

	"github.com/ouroeval/ouroeval/internal/shareddata"

	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// sharedData returns ../shared/data relative to the module root, or "".
func sharedData() string {
	d, _ := shareddata.Dir()
	return d
}

// memFS serves files from memory without copying (fs.ReadFileFS), so a
// multi-gigabyte random checkpoint is built once in RAM.
type memFS map[string][]byte

func (m memFS) Open(name string) (fs.File, error) {
	return fstest.MapFS{name: &fstest.MapFile{Data: m[name]}}.Open(name)
}

func (m memFS) ReadFile(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return b, nil
}

// ouroShapes reads the real Ouro-1.4B config and returns a random-weight
// bf16 spec with its shapes and layers layers.
func ouroShapes(b *testing.B, layers int) enginetest.Spec {
	data := sharedData()
	raw, err := os.ReadFile(filepath.Join(data, "tokenizers", "ouro-1.4B", "config.json"))
	if err != nil {
		b.Skipf("Ouro-1.4B config not available (../shared/data absent): %v", err)
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		b.Fatal(err)
	}
	s := enginetest.Spec{ModelType: "ouro", Hidden: c.HiddenSize, Inter: c.IntermediateSize, Layers: c.NumHiddenLayers,
		Heads: c.NumAttentionHeads, KVHeads: c.NumKeyValueHeads, HeadDim: c.HeadDim, Vocab: c.VocabSize,
		MaxPos: c.MaxPositionEmbeddings, UTSteps: c.TotalUTSteps, DType: safetensors.BF16, Seed: 1, Fast: true,
		Config: map[string]any{"rope_theta": c.RopeTheta}}
	if layers > 0 {
		s.Layers = layers
	}
	return s
}

func loadMem(b *testing.B, s enginetest.Spec) *Model {
	ts := s.Tensors()
	var buf bytes.Buffer
	size := 1 << 20
	for _, t := range ts {
		size += len(t.Data)
	}
	buf.Grow(size)
	if err := safetensors.Write(&buf, ts, nil); err != nil {
		b.Fatal(err)
	}
	cfg, _ := json.Marshal(s.ConfigJSON())
	m, err := LoadFS(context.Background(), memFS{"m/config.json": cfg, "m/model.safetensors": buf.Bytes()}, "m", LoadOptions{SkipNonFiniteCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// ceilings measures the machine's read bandwidth (GB/s) and bf16 peak
// (GFLOP/s) right before a measurement, or zeros when the probes are
// unavailable. On a shared machine both move with the neighbours' load, so
// they are reported next to the ratios.
func ceilings(b *testing.B) (bw, peak float64) {
	threads := runtime.GOMAXPROCS(0)
	buf := make([]byte, 512<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	bw, err := kernels.MeasureRead(buf, threads, 2, 3)
	if err != nil {
		return 0, 0
	}
	peak, _ = kernels.MeasureCompute(kernels.ProbeBF16, threads, 3, 100*time.Millisecond)
	return bw, peak
}

// BenchmarkOuro measures prefill and decode tokens/s of a random-weight
// bf16 model with the real Ouro-1.4B shapes (all 24 layers, and a 4-layer
// slice) at R = 4, and reports them as fractions of the roofline ceilings
// measured in the same run (decode: weight bytes per token / bandwidth;
// prefill: FLOPs per token / bf16 peak). Kernels: $OUROEVAL_KERNELS.
//
//	go test -run XXX -bench Ouro -benchtime 1x ./engine
func BenchmarkOuro(b *testing.B) {
	for _, c := range []struct {
		name   string
		layers int
		prompt int
		decode int
	}{{"slice4", 4, 32, 8}, {"full24", 0, 8, 2}} {
		b.Run(c.name, func(b *testing.B) {
			s := ouroShapes(b, c.layers)
			m := loadMem(b, s)
			R := 4
			L := len(m.net.layers)
			D, I := s.Hidden, s.Inter
			qd := s.Heads * s.HeadDim
			kvd := s.KVHeads * s.HeadDim
			stack := float64(L) * float64(D*qd*2+D*kvd*2+3*D*I) // matmul params per pass
			head := float64(s.Vocab * D)
			ids := make([]int, c.prompt)
			for i := range ids {
				ids[i] = (i*7919 + 13) % s.Vocab
			}
			b.Run("prefill", func(b *testing.B) {
				_, peak := ceilings(b)
				ctx := context.Background()
				start := time.Now()
				for range b.N {
					seq, _ := m.NewSequence(R)
					if _, err := seq.Forward(ctx, ids, true); err != nil {
						b.Fatal(err)
					}
				}
				tps := float64(b.N*c.prompt) / time.Since(start).Seconds()
				b.ReportMetric(tps, "tok/s")
				if peak > 0 {
					b.ReportMetric(peak, "bf16-peak-GFLOP/s")
					b.ReportMetric(tps*2*stack*float64(R)/1e9/peak, "frac-of-bf16-peak")
				}
			})
			b.Run("decode", func(b *testing.B) {
				bw, _ := ceilings(b)
				ctx := context.Background()
				var total time.Duration
				for range b.N {
					seq, _ := m.NewSequence(R)
					if _, err := seq.Forward(ctx, ids, true); err != nil {
						b.Fatal(err)
					}
					start := time.Now()
					for i := range c.decode {
						st, err := seq.Forward(ctx, []int{i + 1}, true)
						if err != nil {
							b.Fatal(err)
						}
						logits := make([]float32, s.Vocab)
						m.logits(logits, st.Hidden[R-1], 1)
					}
					total += time.Since(start)
				}
				tps := float64(b.N*c.decode) / total.Seconds()
				b.ReportMetric(tps, "tok/s")
				if bw > 0 {
					b.ReportMetric(bw, "read-GB/s")
					bytesPerTok := 2 * (stack*float64(R) + head)
					b.ReportMetric(tps*bytesPerTok/1e9/bw, "frac-of-bandwidth")
				}
			})
		})
	}
}
