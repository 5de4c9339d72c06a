package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ouroeval/ouroeval/harness"
	"github.com/ouroeval/ouroeval/leaderboards"
	"github.com/ouroeval/ouroeval/tasks"
)

// rescoreCmd grades generations produced elsewhere with a task's own
// filters and metrics and writes a normal run directory.
func rescoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("rescore", stderr)
	task := fs.String("task", "", "the `TASK` whose filters and metrics grade the responses")
	responses := fs.String("responses", "", "`FILE`.jsonl: {\"doc_id\": N, \"response\": \"...\"} lines or an lm-eval samples_*.jsonl")
	out := fs.String("out", "", "run directory (default results/<date>-rescore-<task>)")
	model := fs.String("model", "rescored", "model `NAME` to label the responses with")
	seed := fs.Uint64("seed", harness.DefaultSeed, "few-shot `SEED` the prompts were built with")
	bootstrap := fs.Int("bootstrap", 0, "bootstrap resamples for confidence intervals (default 10000)")
	var tasksDirs, formats listFlag
	fs.Var(&tasksDirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	fs.Var(&formats, "format", "also write `FORMAT` (lm-eval)")
	dataDir := os.Getenv("OUROEVAL_DATA_DIR")
	if dataDir == "" {
		dataDir = "data"
	}
	fs.StringVar(&dataDir, "data-dir", dataDir, "local dataset root `DIR` ($OUROEVAL_DATA_DIR)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval rescore --task T --responses FILE.jsonl [--out DIR] [flags]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("rescore takes no positional arguments (got %q)", pos)
	}
	if *task == "" || *responses == "" {
		return usagef("rescore needs --task and --responses")
	}
	if *bootstrap < 0 {
		return usagef("--bootstrap must be ≥ 0")
	}
	f, err := os.Open(*responses)
	if err != nil {
		return err
	}
	rec, err := harness.ReadResponses(f, *responses)
	f.Close()
	if err != nil {
		return err
	}
	cat, err := tasks.LoadCatalog(tasksDirs...)
	if err != nil {
		return err
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("results", time.Now().UTC().Format("20060102-150405")+"-rescore-"+harness.Sanitize(*task))
	}
	env := harness.Env{Catalog: harness.NewCatalog(cat), Stats: harness.ScoringStats{}}
	fmt.Fprintf(stderr, "ouroeval: %d documents of %s responses\n", len(rec.Responses), rec.Format)
	res, err := harness.Rescore(ctx, harness.RescoreConfig{Task: *task, Model: *model, Seed: *seed, Bootstrap: *bootstrap, Formats: formats},
		rec, env, harness.Options{Out: dir, DataDir: dataDir, Log: stderr, Command: os.Args})
	if err != nil {
		return err
	}
	if err := leaderboards.Results(res.Metrics).Render(stdout, leaderboards.Text); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results: %s\n", res.Dir)
	return nil
}
