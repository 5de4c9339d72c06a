package main

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/ouroeval/ouroeval/harness"
)

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", stderr)
	var rf runFlags
	rf.register(fs)
	var models, taskNames, rs, qs listFlag
	fs.Var(&models, "model", "model `SPEC` (chance, chance?seed=N, ...); repeatable")
	fs.Var(&taskNames, "tasks", "comma-separated `TASKS` or groups")
	seed := fs.Uint64("seed", 1234, "few-shot and sampling `SEED` (lm-eval's few-shot default is 1234)")
	numFewshot := fs.Int("num-fewshot", -1, "override every task's num_fewshot (-1: task default)")
	fs.Var(&rs, "R", "fixed recurrent depths for looped models, e.g. 1,2,4")
	fs.Var(&qs, "q", "exit thresholds for looped models, e.g. 0.5,0.9")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval run --model SPEC --tasks a,b [flags]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("run takes no positional arguments (got %q); use --model and --tasks", pos)
	}
	if len(models) == 0 {
		return usagef("run needs --model SPEC")
	}
	if len(taskNames) == 0 {
		return usagef("run needs --tasks a,b")
	}
	cfg := &harness.Config{Name: "run", Tasks: taskNames, Seeds: []uint64{*seed}}
	for _, m := range models {
		cfg.Models = append(cfg.Models, harness.ModelConfig{Spec: m})
	}
	if *numFewshot >= 0 {
		cfg.NumFewshot = numFewshot
	}
	for _, r := range rs {
		v, err := strconv.Atoi(r)
		if err != nil {
			return usagef("--R: %q is not an integer", r)
		}
		cfg.R = append(cfg.R, v)
	}
	for _, q := range qs {
		v, err := strconv.ParseFloat(q, 64)
		if err != nil {
			return usagef("--q: %q is not a number", q)
		}
		cfg.Q = append(cfg.Q, v)
	}
	return execute(ctx, cfg, &rf, stdout, stderr)
}
