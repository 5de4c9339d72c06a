package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/ouroeval/ouroeval/configs"
	"github.com/ouroeval/ouroeval/harness"
	"github.com/ouroeval/ouroeval/leaderboards"
	"github.com/ouroeval/ouroeval/tasks"
)

// listFlag collects a repeatable or comma-separated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// runFlags are the flags run and sweep share; a flag given on the command
// line overrides the sweep config.
type runFlags struct {
	fs          *flag.FlagSet
	limit       int
	concurrency int
	bootstrap   int
	out         string
	tasksDirs   listFlag
	dataDir     string
	format      listFlag
	cacheDir    string
	noCache     bool
	progress    string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	f.fs = fs
	fs.IntVar(&f.limit, "limit", 0, "evaluate at most `N` documents per task (smoke runs)")
	fs.IntVar(&f.concurrency, "concurrency", 0, "requests in flight per backend (default 8)")
	fs.IntVar(&f.bootstrap, "bootstrap", 0, "bootstrap resamples for confidence intervals (default 10000)")
	fs.StringVar(&f.out, "out", "", "run directory (default results/<date>-<name>)")
	fs.Var(&f.tasksDirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	dataDir := os.Getenv("OUROEVAL_DATA_DIR")
	if dataDir == "" {
		dataDir = "data"
	}
	fs.StringVar(&f.dataDir, "data-dir", dataDir, "local dataset root `DIR` ($OUROEVAL_DATA_DIR)")
	fs.Var(&f.format, "format", "also write `FORMAT` (lm-eval)")
	fs.StringVar(&f.cacheDir, "cache", filepath.Join("results", "cache"), "response cache `DIR` (resume after a crash or Ctrl-C)")
	fs.BoolVar(&f.noCache, "no-cache", false, "do not read or write the response cache")
	fs.StringVar(&f.progress, "progress", "auto", "progress display: auto, bars, lines or none")
}

func (f *runFlags) set(name string) bool {
	found := false
	f.fs.Visit(func(fl *flag.Flag) { found = found || fl.Name == name })
	return found
}

// apply overrides cfg with the flags given on the command line.
func (f *runFlags) apply(cfg *harness.Config) error {
	if f.set("limit") {
		if f.limit < 0 {
			return usagef("--limit must be ≥ 0")
		}
		cfg.Limit = f.limit
	}
	if f.set("concurrency") {
		if f.concurrency < 1 {
			return usagef("--concurrency must be ≥ 1")
		}
		cfg.Concurrency = f.concurrency
	}
	if f.set("bootstrap") {
		if f.bootstrap < 1 {
			return usagef("--bootstrap must be ≥ 1")
		}
		cfg.Bootstrap = f.bootstrap
	}
	for _, fm := range f.format {
		if fm != "lm-eval" {
			return usagef("unknown --format %q (valid: lm-eval)", fm)
		}
		if !containsStr(cfg.Formats, fm) {
			cfg.Formats = append(cfg.Formats, fm)
		}
	}
	switch f.progress {
	case "auto", "bars", "lines", "none":
	default:
		return usagef("unknown --progress %q (valid: auto, bars, lines, none)", f.progress)
	}
	return nil
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func sweepCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("sweep", stderr)
	var rf runFlags
	rf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval sweep CONFIG.yaml [flags]")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("sweep needs exactly one config file, got %d arguments", len(pos))
	}
	cfg, err := harness.LoadConfig(pos[0])
	if err != nil {
		return err
	}
	return execute(ctx, cfg, &rf, stdout, stderr)
}

// defaultCmd runs the embedded default sweep.
func defaultCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := harness.ParseConfig(configs.DefaultName, configs.Default)
	if err != nil {
		return err
	}
	fs := newFlagSet("", stderr)
	var rf runFlags
	rf.register(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: ouroeval [flags]   (runs the default sweep; see 'ouroeval help')")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected arguments %q", pos)
	}
	fmt.Fprintf(stdout, "ouroeval: running the default sweep (%s)\n", configs.DefaultName)
	return execute(ctx, cfg, &rf, stdout, stderr)
}

// execute runs a sweep and prints its results table.
func execute(ctx context.Context, cfg *harness.Config, rf *runFlags, stdout, stderr io.Writer) error {
	if err := rf.apply(cfg); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	cat, err := tasks.LoadCatalog(rf.tasksDirs...)
	if err != nil {
		return err
	}
	reg := newRegistry()
	env := harness.Env{Catalog: harness.NewCatalog(cat), Open: reg.Open, Stats: harness.ScoringStats{}}
	out := rf.out
	if out == "" {
		name := cfg.Name
		if name == "" {
			name = "run"
		}
		out = filepath.Join("results", time.Now().UTC().Format("20060102-150405")+"-"+harness.Sanitize(name))
	}
	cacheDir := rf.cacheDir
	if rf.noCache {
		cacheDir = ""
	}
	if cfg.Note != "" {
		fmt.Fprintf(stdout, "ouroeval: %s\n", cfg.Note)
	}
	progress := newProgress(ctx, rf.progress, stderr)
	res, err := harness.Run(ctx, cfg, env, harness.Options{
		Out: out, CacheDir: cacheDir, DataDir: rf.dataDir, Progress: progress, Log: stderr,
		Command: os.Args,
	})
	if res != nil {
		fmt.Fprintf(stdout, "ouroeval: %d backend requests, %d answered from the cache (%s)\n", res.Requests, res.CacheHits, displayCache(cacheDir))
	}
	if err != nil {
		if res != nil && errors.Is(err, harness.ErrInterrupted) {
			fmt.Fprintf(stdout, "ouroeval: partial run in %s\n", res.Dir)
		}
		return err
	}
	run, err := leaderboards.Load(res.Dir)
	if err != nil {
		return err
	}
	if err := leaderboards.RenderAll(stdout, leaderboards.Tables(run), leaderboards.Text); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "results: %s\n", res.Dir)
	return nil
}

func displayCache(dir string) string {
	if dir == "" {
		return "cache off"
	}
	return "cache " + dir
}

// newProgress picks live bars on a terminal and plain lines elsewhere.
func newProgress(ctx context.Context, mode string, w io.Writer) harness.Progress {
	if mode == "auto" {
		mode = "lines"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			mode = "bars"
		}
	}
	switch mode {
	case "bars":
		return harness.NewBars(ctx, w)
	case "lines":
		return harness.NewLines(w, 5*time.Second)
	}
	return nil
}
