package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/backends/chance"
	"github.com/ouroeval/ouroeval/tasks"
)

// targetSamplesPerSec is the harness-overhead goal of issue 2.
const targetSamplesPerSec = 50000

// cpuSeconds is the user+system CPU time this process has used. On a
// shared machine wall-clock throughput depends on the neighbours; samples
// per CPU-second does not.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// report adds samples/s (wall clock), samples per CPU-second, and the
// ratio of each to the target.
func report(b *testing.B, samples int, start time.Time, cpu0 float64) {
	rate := float64(samples) / time.Since(start).Seconds()
	b.ReportMetric(rate, "samples/s")
	b.ReportMetric(rate/targetSamplesPerSec, "x_target")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		b.ReportMetric(float64(samples)/cpu, "samples/cpu-s")
	}
}

func realEnv(tb testing.TB) Env {
	cat, err := tasks.LoadCatalog()
	if err != nil {
		tb.Fatal(err)
	}
	var reg backends.Registry
	reg.Register("chance", chance.Open)
	return Env{Catalog: NewCatalog(cat), Open: reg.Open, Stats: ScoringStats{}}
}

// BenchmarkPipeline measures the harness's per-sample overhead with the
// chance backend: render the prompt (few-shot, templates), send the
// requests, filter, score every metric, encode the record and write it.
// It runs on all cores like a real run and reports samples/s and the ratio
// to the 50,000 samples/s target.
func BenchmarkPipeline(b *testing.B) {
	for _, name := range []string{"mano", "mano_mc"} {
		b.Run(name, func(b *testing.B) {
			env := realEnv(b)
			ts, _, err := env.Catalog.Resolve([]string{name})
			if err != nil {
				b.Fatal(err)
			}
			t := ts[0]
			ds, err := t.Load(context.Background(), LoadOptions{Seed: DefaultSeed})
			if err != nil {
				b.Fatal(err)
			}
			be, _ := env.Open(context.Background(), "chance")
			m := &model{label: "chance", backend: be, id: be.Identity(), caps: be.Capabilities()}
			m.idJSON, _ = json.Marshal(m.id)
			r := &runner{env: env}
			f, err := os.Create(filepath.Join(b.TempDir(), "samples.jsonl"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			w := bufio.NewWriterSize(f, 1<<16)
			lines := make(chan *bytes.Buffer, 256)
			done := make(chan struct{})
			go func() {
				for l := range lines {
					w.Write(l.Bytes())
					r.bufs.Put(l)
				}
				w.Flush()
				close(done)
			}()
			n := ds.Len()
			var next atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuSeconds()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := int(next.Add(1)-1) % n
					s, err := ds.Build(i, DefaultSeed)
					if err != nil {
						b.Error(err)
						return
					}
					ph := sha256.Sum256([]byte(s.Prompt))
					td := &taskData{samples: []*Sample{s}, docHashes: []string{""}, promptHash: []string{hex.EncodeToString(ph[:])}}
					rec, _, err := r.evalDoc(context.Background(), m, t, td, 0, Setting{Seed: DefaultSeed})
					if err != nil {
						b.Error(err)
						return
					}
					line, err := encodeRecord(&r.bufs, rec)
					if err != nil {
						b.Error(err)
						return
					}
					lines <- line
				}
			})
			close(lines)
			<-done
			report(b, b.N, start, cpu0)
		})
	}
}

// BenchmarkRun measures a whole run (plan, concurrent scheduling, ordered
// writing, metrics with 1000 bootstrap resamples) over the procedural group
// with the chance backend and no cache.
func BenchmarkRun(b *testing.B) {
	env := realEnv(b)
	docs := 0
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuSeconds()
	for i := 0; i < b.N; i++ {
		cfg := &Config{Models: []ModelConfig{{Spec: "chance"}}, Tasks: []string{"procedural"}, Limit: 1000, Bootstrap: 1000, Concurrency: 64}
		if err := cfg.Validate(); err != nil {
			b.Fatal(err)
		}
		res, err := Run(context.Background(), cfg, env, Options{Out: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		for _, tr := range res.Metrics.Results {
			docs += tr.N
		}
	}
	report(b, docs, start, cpu0)
}
