package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing/fstest"
	"time"

	"github.com/ouroeval/ouroeval/engine"
	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/kernels"
	"github.com/ouroeval/ouroeval/engine/safetensors"
)

// benchCmd runs `ouroeval bench kernels|model`: machine ceilings measured
// in the same run, then kernels or a whole model as fractions of them.
func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("bench needs a target: bench kernels [--json] | bench model (--model DIR | --shape ouro-1.4b) [--json] | bench memory [--shape ouro-1.4b] [--tokens N] [--json]")
	}
	switch args[0] {
	case "kernels":
		return benchKernels(ctx, args[1:], stdout, stderr)
	case "model":
		return benchModel(ctx, args[1:], stdout, stderr)
	case "memory":
		return benchMemory(ctx, args[1:], stdout, stderr)
	}
	return usagef("bench: unknown target %q (want kernels, model or memory)", args[0])
}

func benchKernels(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench kernels", stderr)
	asJSON := fs.Bool("json", false, "print a JSON list of {name, value, unit, ceiling, ratio}")
	path := fs.String("kernels", "", "kernel path (default $"+kernels.EnvVar+", else auto): "+strings.Join(kernels.Paths, ", "))
	threads := fs.Int("threads", 0, "threads for the all-threads figures (0 = GOMAXPROCS)")
	trials := fs.Int("trials", 3, "trials per figure (best is kept)")
	streamMB := fs.Int("stream-mb", 1024, "MiB streamed by the bandwidth probe and the large GEMVs (must dwarf the last-level cache)")
	minTime := fs.Duration("min-time", 200*time.Millisecond, "minimum duration of one trial")
	clock := fs.String("clock", "wall", "wall, or cpu: rates per CPU-second of the working threads (for a machine shared with busy processes)")
	run := fs.String("run", "", "regular expression selecting kernel cases by name (e.g. 'gemm'); ceilings are always measured")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench kernels takes no arguments, got %q", pos)
	}
	var match func(string) bool
	if *run != "" {
		re, err := regexp.Compile(*run)
		if err != nil {
			return usagef("bench kernels: --run: %v", err)
		}
		match = re.MatchString
	}
	if *streamMB < 1 || *trials < 1 {
		return usagef("bench kernels: --stream-mb and --trials must be ≥ 1")
	}
	var clk kernels.Clock
	switch *clock {
	case "wall":
	case "cpu":
		clk = kernels.CPU
	default:
		return usagef("bench kernels: --clock must be wall or cpu, got %q", *clock)
	}
	p := kernelPath(*path)
	var rows []kernels.BenchResult
	print := func(r kernels.BenchResult) {
		if !*asJSON {
			printRow(stdout, r)
		}
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%s, clock %s\n", machineLine(), clk)
	}
	rows, err = kernels.BenchKernels(ctx, kernels.BenchOptions{Path: p, Threads: *threads, Trials: *trials,
		StreamBytes: *streamMB << 20, MinTime: *minTime, Clock: clk, Match: match}, print)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, rows)
	}
	return nil
}

func printRow(w io.Writer, r kernels.BenchResult) {
	if strings.HasPrefix(r.Name, "ceiling/") {
		fmt.Fprintf(w, "%-52s %9.2f %-8s\n", r.Name, r.Value, r.Unit)
		return
	}
	fmt.Fprintf(w, "%-52s %9.2f %-8s of %9.2f = %5.1f%%\n", r.Name, r.Value, r.Unit, r.Ceiling, 100*r.Ratio)
}

func writeJSON(w io.Writer, rows []kernels.BenchResult) error {
	if rows == nil {
		rows = []kernels.BenchResult{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rows)
}

// machineLine describes the CPU and toolchain for recorded figures.
func machineLine() string {
	return fmt.Sprintf("# %s, %d threads (GOMAXPROCS), %s %s/%s, avx512 kernels available: %v",
		cpuModel(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, kernels.HasAVX512())
}

// ouroShape is the Ouro-1.4B architecture (its config.json) with random
// bf16 weights, cut to its first layers layers when 0 < layers < 24.
func ouroShape(layers int) enginetest.Spec {
	s := enginetest.Spec{ModelType: "ouro", Hidden: 2048, Inter: 5632, Layers: 24, Heads: 16, KVHeads: 16,
		HeadDim: 128, Vocab: 49152, MaxPos: 65536, UTSteps: 4, DType: safetensors.BF16, Seed: 1, Fast: true,
		Config: map[string]any{"rope_theta": 10000.0}}
	if layers > 0 && layers < s.Layers {
		s.Layers = layers
	}
	return s
}

// memFS serves a generated checkpoint from memory without copying.
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

func benchModel(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench model", stderr)
	asJSON := fs.Bool("json", false, "print a JSON list of {name, value, unit, ceiling, ratio}")
	dir := fs.String("model", "", "checkpoint directory")
	shape := fs.String("shape", "", "random bf16 weights with a known shape: ouro-1.4b")
	path := fs.String("kernels", "", "kernel path (default $"+kernels.EnvVar+", else auto)")
	prompt := fs.Int("prompt", 512, "prefill length in tokens")
	decode := fs.Int("decode", 8, "decode tokens measured")
	steps := fs.Int("steps", 4, "recurrent steps R (looped models)")
	trials := fs.Int("trials", 2, "trials (best is kept)")
	layers := fs.Int("layers", 0, "with --shape: keep only the first N layers (0 = all)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the measured runs to this file (go tool pprof)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 || (*dir == "") == (*shape == "") {
		return usagef("bench model needs exactly one of --model DIR or --shape ouro-1.4b")
	}
	if *prompt < 1 || *decode < 1 || *trials < 1 || *layers < 0 {
		return usagef("bench model: --prompt, --decode and --trials must be ≥ 1, --layers ≥ 0")
	}
	if *layers > 0 && *shape == "" {
		return usagef("bench model: --layers applies to --shape only")
	}
	k, err := openKernels(*path)
	if err != nil {
		return err
	}
	defer k.Close()
	opts := engine.LoadOptions{Kernels: k}
	var m *engine.Model
	switch {
	case *shape == "ouro-1.4b":
		s := ouroShape(*layers)
		var buf bytes.Buffer
		if err := safetensors.Write(&buf, s.Tensors(), nil); err != nil {
			return err
		}
		cfg, err := json.Marshal(s.ConfigJSON())
		if err != nil {
			return err
		}
		opts.SkipNonFiniteCheck = true
		m, err = engine.LoadFS(ctx, memFS{"m/config.json": cfg, "m/model.safetensors": buf.Bytes()}, "m", opts)
		if err != nil {
			return err
		}
	case *shape != "":
		return usagef("bench model: unknown --shape %q (known: ouro-1.4b)", *shape)
	default:
		if m, err = engine.Load(ctx, *dir, opts); err != nil {
			return err
		}
	}
	defer m.Close()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("bench model: --cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	res, err := runModelBench(ctx, m, k, *prompt, *decode, *steps, *trials)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintln(stdout, machineLine())
	for _, r := range res {
		printRow(stdout, r)
	}
	return nil
}

// matmulParams returns the matrix parameters of one pass over the layer
// stack and of the LM head.
func matmulParams(c *engine.Config) (stack, head float64) {
	hd := c.HeadDim
	if hd == 0 {
		hd = c.HiddenSize / c.NumAttentionHeads
	}
	D, I := float64(c.HiddenSize), float64(c.IntermediateSize)
	q := float64(c.NumAttentionHeads * hd)
	kv := float64(c.NumKeyValueHeads * hd)
	stack = float64(c.NumHiddenLayers) * (D*q*2 + D*kv*2 + 3*D*I)
	return stack, float64(c.VocabSize) * D
}

func runModelBench(ctx context.Context, m *engine.Model, k kernels.Kernels, prompt, decode, steps, trials int) ([]kernels.BenchResult, error) {
	R := 1
	if m.Looped() {
		R = steps
	}
	stack, head := matmulParams(m.Config())
	wbytes := 2.0 // bf16 / f16
	if m.Config().TorchDType == "float32" {
		wbytes = 4
	}
	threads := runtime.GOMAXPROCS(0)
	stream := make([]byte, 1<<30)
	for i := 0; i < len(stream); i += 4096 {
		stream[i] = 1
	}
	// The prefill roofline is the peak of the instruction the prefill GEMM
	// of this path runs on.
	peakProbe := kernels.ProbeFMA
	switch k.Name() {
	case "avx512-bf16":
		peakProbe = kernels.ProbeBF16
	case "amx-bf16":
		peakProbe = kernels.ProbeAMX
	}
	var bw, peak float64
	measure := func() error {
		b, err := kernels.MeasureRead(stream, threads, 1, 2)
		if err != nil {
			return err
		}
		p, err := kernels.MeasureCompute(peakProbe, threads, 2, 200*time.Millisecond)
		if err != nil {
			return err
		}
		bw, peak = max(bw, b), max(peak, p)
		return nil
	}
	ids := func(n, salt int) []int {
		v := make([]int, n)
		for i := range v {
			v[i] = (i*7919 + salt*31 + 13) % m.VocabSize()
		}
		return v
	}
	var prefill, dec float64
	for t := range trials {
		if err := measure(); err != nil {
			return nil, err
		}
		// Prefill: prompt tokens through all R steps, last position only.
		seq, err := m.NewSequence(R)
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if _, err := seq.Forward(ctx, ids(prompt, t), true); err != nil {
			return nil, err
		}
		prefill = max(prefill, float64(prompt)/time.Since(t0).Seconds())
		// Decode: generation of decode+1 tokens minus generation of 1
		// token from the same short prompt leaves decode cached steps
		// (LM head and sampling included).
		gen := func(n int) (time.Duration, error) {
			t0 := time.Now()
			_, err := m.Generate(ctx, ids(8, t), engine.GenerateOptions{MaxTokens: n, StopIDs: []int{}, R: R})
			return time.Since(t0), err
		}
		d1, err := gen(1)
		if err != nil {
			return nil, err
		}
		dn, err := gen(decode + 1)
		if err != nil {
			return nil, err
		}
		if dn > d1 {
			dec = max(dec, float64(decode)/(dn-d1).Seconds())
		}
	}
	if err := measure(); err != nil {
		return nil, err
	}
	bytesPerTok := wbytes * (stack*float64(R) + head)
	flopsPerTok := 2 * stack * float64(R)
	decodeCeil := bw * 1e9 / bytesPerTok
	prefillCeil := peak * 1e9 / flopsPerTok
	name := fmt.Sprintf("%s/R%d", k.Name(), R)
	return []kernels.BenchResult{
		{Name: fmt.Sprintf("ceiling/read-bandwidth/%dt", threads), Value: bw, Unit: "GB/s", Ceiling: bw, Ratio: 1},
		{Name: fmt.Sprintf("ceiling/%s/%dt", peakProbe, threads), Value: peak, Unit: "GFLOP/s", Ceiling: peak, Ratio: 1},
		{Name: fmt.Sprintf("ceiling/decode-roofline/%s (%.2f GB per token)", name, bytesPerTok/1e9), Value: decodeCeil, Unit: "tok/s", Ceiling: decodeCeil, Ratio: 1},
		{Name: fmt.Sprintf("ceiling/prefill-roofline/%s (%.2f GFLOP per token)", name, flopsPerTok/1e9), Value: prefillCeil, Unit: "tok/s", Ceiling: prefillCeil, Ratio: 1},
		{Name: fmt.Sprintf("%s/prefill-%d", name, prompt), Value: prefill, Unit: "tok/s", Ceiling: prefillCeil, Ratio: prefill / prefillCeil},
		{Name: fmt.Sprintf("%s/decode", name), Value: dec, Unit: "tok/s", Ceiling: decodeCeil, Ratio: dec / decodeCeil},
	}, nil
}

// kernelPath returns the --kernels flag value, or $OUROEVAL_KERNELS when
// the flag is empty.
func kernelPath(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(kernels.EnvVar)
}

// openKernels opens the kernel path of a --kernels flag (see kernelPath)
// with GOMAXPROCS workers.
func openKernels(flag string) (kernels.Kernels, error) {
	return kernels.Open(kernelPath(flag), runtime.GOMAXPROCS(0))
}

// cpuModel returns the CPU model and its AVX-512 flags from /proc/cpuinfo
// (Linux), or GOARCH elsewhere.
func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	var model string
	var flags []string
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if model == "" {
				model = strings.TrimSpace(v)
			}
		case "flags":
			if flags == nil {
				for _, f := range strings.Fields(v) {
					if strings.HasPrefix(f, "avx512") || strings.HasPrefix(f, "amx") {
						flags = append(flags, f)
					}
				}
			}
		}
	}
	return fmt.Sprintf("%s [%s]", model, strings.Join(flags, " "))
}
