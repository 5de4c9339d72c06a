package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/olekukonko/tablewriter"

	"github.com/ouroeval/ouroeval/tasks"
	"github.com/ouroeval/ouroeval/tasks/procedural"
)

func tasksCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("tasks needs a subcommand: list, show NAME [--doc N], dump TASK --split S --n N [--seed S]")
	}
	switch args[0] {
	case "list":
		return tasksList(args[1:], stdout, stderr)
	case "show":
		return tasksShow(ctx, args[1:], stdout, stderr)
	case "dump":
		return tasksDump(ctx, args[1:], stdout, stderr)
	}
	return usagef("unknown tasks subcommand %q (valid: list, show, dump)", args[0])
}

// catalogFlags holds --tasks-dir.
type catalogFlags struct{ dirs listFlag }

func tasksList(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks list", stderr)
	var cf catalogFlags
	fs.Var(&cf.dirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("tasks list takes no arguments")
	}
	cat, err := tasks.LoadCatalog(cf.dirs...)
	if err != nil {
		return err
	}
	t := tablewriter.NewWriter(stdout)
	t.Header("Name", "Kind", "Output type", "Version", "Description")
	for _, e := range cat.List() {
		t.Append([]string{e.Name, e.Kind, e.OutputType, e.Version, clip(e.Description, maxListDescription)})
	}
	return t.Render()
}

// maxListDescription bounds the description column of tasks list (in
// characters); tasks show prints everything.
const maxListDescription = 72

// clip shortens s to at most n characters, ending in "…" when cut.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimRight(string(r[:n-1]), " ,;") + "…"
}

// showGroup prints a group's or tag's definition, one member per line.
func showGroup(w io.Writer, cat *tasks.Catalog, name string, members []string) error {
	bw := bufio.NewWriter(w)
	kind := "tag"
	g, isGroup := cat.GroupSpec(name)
	if isGroup {
		kind = "group"
	}
	fmt.Fprintf(bw, "%s:%s%s\n", kind, strings.Repeat(" ", 12-len(kind)), name)
	if isGroup {
		fmt.Fprintf(bw, "source:      %s\n", g.Source)
		for _, e := range cat.List() {
			if e.Name == name && e.Version != "" {
				fmt.Fprintf(bw, "version:     %s\n", e.Version)
			}
		}
		if len(g.AggregateMetricList) == 0 {
			fmt.Fprintf(bw, "aggregate:   none (members are reported apart)\n")
		}
		for _, a := range g.AggregateMetricList {
			how := "weighted by size"
			if !a.WeightBySize {
				how = "plain mean"
			}
			fmt.Fprintf(bw, "aggregate:   %s,%s (%s)\n", a.Metric, strings.Join(a.FilterList, "|"), how)
		}
	}
	fmt.Fprintf(bw, "members (%d):\n", len(members))
	for _, m := range members {
		if _, sub := cat.Group(m); sub {
			fmt.Fprintf(bw, "  %s (group)\n", m)
		} else {
			fmt.Fprintf(bw, "  %s\n", m)
		}
	}
	return bw.Flush()
}

func tasksShow(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks show", stderr)
	var cf catalogFlags
	fs.Var(&cf.dirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	doc := fs.Int("doc", 0, "document `N` whose prompt to print")
	seed := fs.Uint64("seed", 1234, "few-shot `SEED` (as in ouroeval run)")
	dataDir := fs.String("data-dir", defaultDataDir(), "local dataset root `DIR`")
	numFewshot := fs.Int("num-fewshot", -1, "override num_fewshot (-1: task default)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("tasks show needs exactly one task name")
	}
	if *doc < 0 {
		return usagef("--doc must be ≥ 0")
	}
	cat, err := tasks.LoadCatalog(cf.dirs...)
	if err != nil {
		return err
	}
	if members, ok := cat.Group(pos[0]); ok {
		return showGroup(stdout, cat, pos[0], members)
	}
	ts, err := cat.Resolve(pos)
	if err != nil {
		return err
	}
	if len(ts) != 1 {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.Name
		}
		fmt.Fprintf(stdout, "%s expands to: %s\n", pos[0], strings.Join(names, ", "))
		return nil
	}
	t := ts[0]
	opt := tasks.LoadOptions{DataDir: *dataDir, Seed: *seed}
	if *numFewshot >= 0 {
		opt.NumFewshot = numFewshot
	}
	d, err := t.Load(ctx, opt)
	if err != nil {
		return err
	}
	if *doc >= len(d.Docs) {
		return usagef("--doc %d: task %s has %d documents", *doc, t.Name, len(d.Docs))
	}
	s, err := d.Build(*doc, *seed)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	fmt.Fprintf(w, "task:        %s\n", t.Name)
	fmt.Fprintf(w, "source:      %s\n", t.Source)
	fmt.Fprintf(w, "version:     %s\n", t.Version)
	fmt.Fprintf(w, "spec hash:   %s\n", t.Hash)
	fmt.Fprintf(w, "output type: %s\n", t.Spec.OutputType)
	fmt.Fprintf(w, "documents:   %d (%s)\n", len(d.Docs), d.EvalSplit)
	fmt.Fprintf(w, "num_fewshot: %d\n", d.NumFewshot)
	var chains []string
	for _, f := range t.Filters() {
		chains = append(chains, f.Name)
	}
	var metrics []string
	for _, m := range t.Metrics() {
		metrics = append(metrics, m.Metric)
	}
	fmt.Fprintf(w, "filters:     %s\n", strings.Join(chains, ", "))
	fmt.Fprintf(w, "metrics:     %s\n", strings.Join(metrics, ", "))
	if b := t.Breakdown(); len(b) > 0 {
		fmt.Fprintf(w, "breakdown:   %s\n", strings.Join(b, ", "))
	}
	fmt.Fprintf(w, "\n--- prompt of document %d (seed %d), exactly as sent ---\n", *doc, *seed)
	fmt.Fprint(w, s.Prompt)
	fmt.Fprint(w, "\n--- end of prompt ---\n")
	if len(s.Choices) > 0 {
		for i, c := range s.Choices {
			mark := " "
			if i == s.GoldIndex {
				mark = "*"
			}
			fmt.Fprintf(w, "%s choice %d: %q\n", mark, i, c)
		}
	} else {
		fmt.Fprintf(w, "target: %q\n", s.Target)
	}
	fmt.Fprintf(w, "requests: %d × %s\n", len(s.Requests), requestKind(s))
	return w.Flush()
}

func requestKind(s *tasks.Sample) string {
	if len(s.Requests) == 0 {
		return "none"
	}
	return string(s.Requests[0].Kind)
}

func defaultDataDir() string {
	if d := os.Getenv("OUROEVAL_DATA_DIR"); d != "" {
		return d
	}
	return "data"
}

// tasksDump writes documents of a procedural task's split as JSON lines
// (procedural.Dump's format): the micro models' training data comes from
// the same generators as the evaluation sets.
func tasksDump(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("tasks dump", stderr)
	var cf catalogFlags
	fs.Var(&cf.dirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	split := fs.String("split", "train", "`SPLIT` to dump")
	n := fs.Int("n", 0, "number of documents `N` (required)")
	seed := fs.Int64("seed", -1, "generator `SEED` (default: the task's dataset_kwargs.seed)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("tasks dump needs exactly one task name")
	}
	if *n <= 0 {
		return usagef("tasks dump needs --n N > 0")
	}
	cat, err := tasks.LoadCatalog(cf.dirs...)
	if err != nil {
		return err
	}
	t, ok := cat.Task(pos[0])
	if !ok {
		_, err := cat.Resolve(pos)
		if err == nil {
			err = fmt.Errorf("%s is a group; dump one task at a time", pos[0])
		}
		return err
	}
	g, taskSeed, _, _, err := t.Generator()
	if err != nil {
		return err
	}
	if !containsStr(g.Splits(), *split) {
		return usagef("task %s (generator %s) has no split %q (splits: %s)", t.Name, g.Name(), *split, strings.Join(g.Splits(), ", "))
	}
	s := taskSeed
	if *seed >= 0 {
		s = uint64(*seed)
	}
	w := bufio.NewWriter(stdout)
	if err := procedural.Dump(w, g, *split, *n, s); err != nil {
		return fmt.Errorf("task %s: %w", t.Name, err)
	}
	return w.Flush()
}
