package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/ouroeval/ouroeval/leaderboards"
)

// leaderboardCmd prints the tables of a finished run from its result files.
func leaderboardCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("leaderboard", stderr)
	format := fs.String("format", leaderboards.Text, "output `FORMAT`: text, markdown or csv")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval leaderboard RUN_DIR [--format text|markdown|csv]")
		fmt.Fprintln(stderr, "Prints the results, parameter-efficiency and per-depth tables of a run (metrics.json, run.json).")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("leaderboard needs exactly one run directory, got %d arguments", len(pos))
	}
	switch *format {
	case leaderboards.Text, leaderboards.Markdown, leaderboards.CSV:
	default:
		return usagef("unknown --format %q (valid: text, markdown, csv)", *format)
	}
	run, err := leaderboards.Load(pos[0])
	if err != nil {
		return err
	}
	return leaderboards.RenderAll(stdout, leaderboards.Tables(run), *format)
}

// gateCmd compares a run with a committed baseline and fails on a
// regression (see leaderboards.Gate for the rule).
func gateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gate", stderr)
	baseline := fs.String("baseline", "", "baseline metrics `FILE` (a run's metrics.json, e.g. results/baselines/ci-default.json)")
	runDir := fs.String("run", "", "run `DIR` to check (its metrics.json)")
	verbose := fs.Bool("v", false, "also list the checks that passed")
	tol := fs.Float64("min-tolerance", leaderboards.DefaultMinTolerance, "smallest regression forgiven, as a fraction (0.02 = 2 points)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval gate --baseline FILE --run RUN_DIR [--min-tolerance 0.02]")
		fmt.Fprintln(stderr, "Fails when a baseline metric is missing from the run, was scored on a different")
		fmt.Fprintln(stderr, "number of documents, or got worse by more than max(min-tolerance, the baseline's")
		fmt.Fprintln(stderr, "95% CI half-width; 1.96 x stderr for a breakdown cell).")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	if *baseline == "" || *runDir == "" {
		return usagef("gate needs --baseline FILE and --run RUN_DIR")
	}
	if *tol <= 0 || *tol >= 1 {
		return usagef("--min-tolerance must be in (0, 1), got %v", *tol)
	}
	base, err := leaderboards.LoadMetrics(*baseline)
	if err != nil {
		return err
	}
	run, err := leaderboards.LoadMetrics(filepath.Join(*runDir, "metrics.json"))
	if err != nil {
		return err
	}
	rep := leaderboards.Gate(base, run, *tol)
	if err := rep.Write(stdout, *verbose); err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("gate: %d of %d checks failed against %s", rep.Failures, len(rep.Checks), *baseline)
	}
	return nil
}
