package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/ouroeval/ouroeval/engine"
	"github.com/ouroeval/ouroeval/engine/enginetest"
	"github.com/ouroeval/ouroeval/engine/kernels"
)

// benchMemory runs `ouroeval bench memory`: it writes a random bf16
// checkpoint with the Ouro-1.4B shapes (optionally only its first
// --layers layers) to a temporary directory, loads it (weights are
// memory-mapped, zero-copy), generates --tokens tokens greedily and
// reports the process's resident memory (VmHWM and VmRSS from
// /proc/self/status, the peak reset after loading when the kernel allows)
// against the bytes of the weights plus the KV cache the run fills.
func benchMemory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("bench memory", stderr)
	asJSON := fs.Bool("json", false, "print a JSON list of {name, value, unit, ceiling, ratio}")
	shape := fs.String("shape", "ouro-1.4b", "random bf16 weights with a known shape: ouro-1.4b")
	layers := fs.Int("layers", 0, "keep only the first N layers of the shape (0 = all)")
	tokens := fs.Int("tokens", 2048, "tokens generated (each a cached decode step)")
	prompt := fs.Int("prompt", 8, "prompt tokens (one prefill)")
	steps := fs.Int("steps", 4, "recurrent steps R")
	path := fs.String("kernels", "", "kernel path (default $"+kernels.EnvVar+", else auto)")
	dir := fs.String("dir", "", "directory for the temporary checkpoint (default the system temp dir)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("bench memory takes no arguments, got %q", pos)
	}
	if *shape != "ouro-1.4b" {
		return usagef("bench memory: unknown --shape %q (known: ouro-1.4b)", *shape)
	}
	if *tokens < 1 || *prompt < 1 || *steps < 1 || *layers < 0 {
		return usagef("bench memory: --tokens, --prompt and --steps must be ≥ 1, --layers ≥ 0")
	}
	s := ouroShape(*layers)
	if s.MaxPos < *prompt+*tokens {
		return usagef("bench memory: --prompt + --tokens = %d exceeds max_position_embeddings %d", *prompt+*tokens, s.MaxPos)
	}
	tmp, err := os.MkdirTemp(*dir, "ouroeval-benchmem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	ck := filepath.Join(tmp, "m")
	if err := enginetest.Write(ck, s); err != nil {
		return fmt.Errorf("bench memory: writing the random checkpoint: %w", err)
	}
	// Hand the generator's buffers back to the OS before measuring.
	runtime.GC()
	debug.FreeOSMemory()
	fi, err := os.Stat(filepath.Join(ck, "model.safetensors"))
	if err != nil {
		return err
	}
	k, err := openKernels(*path)
	if err != nil {
		return err
	}
	defer k.Close()
	base, err := procStatus("VmRSS")
	if err != nil {
		return fmt.Errorf("bench memory needs /proc/self/status (Linux): %w", err)
	}
	m, err := engine.Load(ctx, ck, engine.LoadOptions{Kernels: k, SkipNonFiniteCheck: true})
	if err != nil {
		return err
	}
	defer m.Close()
	runtime.GC()
	debug.FreeOSMemory()
	// Reset the peak to the current RSS so VmHWM covers generation only.
	resetPeak := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	loaded, _ := procStatus("VmRSS")
	ids := make([]int, *prompt)
	for i := range ids {
		ids[i] = (i*7919 + 13) % m.VocabSize()
	}
	t0 := time.Now()
	g, err := m.Generate(ctx, ids, engine.GenerateOptions{MaxTokens: *tokens, StopIDs: []int{}, R: *steps})
	if err != nil {
		return err
	}
	el := time.Since(t0)
	hwm, err := procStatus("VmHWM")
	if err != nil {
		return err
	}
	rss, _ := procStatus("VmRSS")
	anon, _ := procStatus("RssAnon")
	file, _ := procStatus("RssFile")
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	c := m.Config()
	positions := *prompt + len(g.IDs) - 1 // the last token is sampled, never fed back
	kv := float64(*steps*c.NumHiddenLayers*2*c.NumKeyValueHeads*c.HeadDim*4) * float64(positions)
	weights := float64(fi.Size())
	budget := weights + kv
	// Stricter: only the embedding rows the run reads are ever touched, so
	// count those instead of the whole table.
	embed := float64(c.VocabSize * c.HiddenSize * 2)
	touched := weights - embed + float64(c.HiddenSize*2)*float64(positions+1)
	strict := touched + kv
	mb := func(b float64) float64 { return b / (1 << 20) }
	name := fmt.Sprintf("memory/%s-%dL/R%d/%s/prompt%d+%dtok", *shape, c.NumHiddenLayers, *steps, k.Name(), *prompt, len(g.IDs))
	peakNote := "peak since load"
	if !resetPeak {
		peakNote = "peak since start: clear_refs unavailable, includes checkpoint writing"
	}
	res := []kernels.BenchResult{
		{Name: "ceiling/" + name + "/weights+kv (budget)", Value: mb(budget), Unit: "MiB", Ceiling: mb(budget), Ratio: 1},
		{Name: name + "/weights (file)", Value: mb(weights), Unit: "MiB", Ceiling: mb(budget), Ratio: weights / budget},
		{Name: name + "/kv-cache", Value: mb(kv), Unit: "MiB", Ceiling: mb(budget), Ratio: kv / budget},
		{Name: name + "/rss-before-load", Value: mb(base), Unit: "MiB", Ceiling: mb(budget), Ratio: base / budget},
		{Name: name + "/rss-after-load", Value: mb(loaded), Unit: "MiB", Ceiling: mb(budget), Ratio: loaded / budget},
		{Name: name + "/go-heap-in-use", Value: mb(float64(ms.HeapInuse)), Unit: "MiB", Ceiling: mb(budget), Ratio: float64(ms.HeapInuse) / budget},
		{Name: name + "/rss-anon-end (heap, KV cache, stacks)", Value: mb(anon), Unit: "MiB", Ceiling: mb(budget), Ratio: anon / budget},
		{Name: name + "/rss-file-end (mapped weights, binary)", Value: mb(file), Unit: "MiB", Ceiling: mb(budget), Ratio: file / budget},
		{Name: name + "/vmrss-end", Value: mb(rss), Unit: "MiB", Ceiling: mb(budget), Ratio: rss / budget},
		{Name: name + "/vmhwm (" + peakNote + ")", Value: mb(hwm), Unit: "MiB", Ceiling: mb(budget), Ratio: hwm / budget},
		{Name: name + "/vmhwm vs touched weights (embedding rows read only) + kv", Value: mb(hwm), Unit: "MiB", Ceiling: mb(strict), Ratio: hwm / strict},
		{Name: name + "/decode", Value: float64(len(g.IDs)) / el.Seconds(), Unit: "tok/s"},
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintln(stdout, machineLine())
	for _, r := range res {
		if r.Ceiling == 0 {
			fmt.Fprintf(stdout, "%-52s %9.2f %-8s\n", r.Name, r.Value, r.Unit)
			continue
		}
		printRow(stdout, r)
	}
	verdict := map[bool]string{true: "met", false: "missed"}
	fmt.Fprintf(stdout, "limit: VmHWM ≤ 1.05 × (weights + KV cache): %.3f → %s; against touched weights + KV: %.3f → %s\n",
		hwm/budget, verdict[hwm <= 1.05*budget], hwm/strict, verdict[hwm <= 1.05*strict])
	return nil
}

// procStatus returns a "kB" field of /proc/self/status in bytes.
func procStatus(field string) (float64, error) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != field {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			break
		}
		n, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			break
		}
		return n * 1024, nil
	}
	return 0, fmt.Errorf("/proc/self/status has no %s line in kB", field)
}
