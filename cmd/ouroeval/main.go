// Command ouroeval evaluates looped and dense language models on tasks
// written in lm-evaluation-harness's vocabulary.
//
// With no arguments it runs the embedded default sweep
// (configs/default.yaml). Subcommands:
//
//	ouroeval run --model SPEC --tasks a,b [flags]   evaluate one model
//	ouroeval sweep CONFIG.yaml [flags]              run a sweep config
//	ouroeval tasks list|show|dump ...               inspect tasks
//	ouroeval leaderboard RUN_DIR [--format F]       tables of a finished run
//	ouroeval gate --baseline FILE --run RUN_DIR     CI regression gate
//
// Exit codes: 0 success, 1 error, 2 usage, 130 interrupted.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/backends/chance"
	"github.com/ouroeval/ouroeval/backends/engine"
	"github.com/ouroeval/ouroeval/harness"
	"github.com/ouroeval/ouroeval/models"
)

// command is one subcommand. Each lives in its own file; adding one is one
// line in commands.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "evaluate one model on tasks: run --model SPEC --tasks a,b", runCmd},
		{"sweep", "run a sweep config: sweep CONFIG.yaml", sweepCmd},
		{"tasks", "list, show or dump tasks: tasks list|show NAME|dump TASK", tasksCmd},
		{"rescore", "grade recorded generations: rescore --task T --responses FILE.jsonl [--out DIR]", rescoreCmd},
		{"data", "fetch or check benchmark files: data pull|verify TASK... [--data-dir DIR]", dataCmd},
		{"bench", "same-run ceilings, then kernels or a model against them: bench kernels|model [--json]", benchCmd},
		{"leaderboard", "tables of a finished run: leaderboard RUN_DIR [--format text|markdown|csv]", leaderboardCmd},
		{"gate", "fail on a regression against a baseline: gate --baseline FILE --run RUN_DIR", gateCmd},
		{"inspect", "per-loop logit lens: inspect --model DIR (--prompt TEXT | --ids 1,2,3) [--steps R] [--top-k K] [--json]", inspectCmd},
	}
}

// newRegistry knows every backend scheme ouroeval can open.
func newRegistry() *backends.Registry {
	r := &backends.Registry{}
	r.Register("chance", chance.Open)
	// The built-in engine: engine:path/to/checkpoint?R=4, or
	// engine:embedded:NAME for a micro model shipped inside the binary.
	r.Register("engine", engine.Opener(models.FS()))
	return r
}

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Exit codes.
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		// A second Ctrl-C kills the process outright.
		stop()
	}()
	code := mainCode(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// mainCode runs the command line args and returns the exit code.
func mainCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := dispatch(ctx, args, stdout, stderr)
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "ouroeval: %v\n", err)
		fmt.Fprintln(stderr, "run 'ouroeval help' for usage")
		return exitUsage
	case errors.Is(err, harness.ErrInterrupted) || (ctx.Err() != nil && errors.Is(err, context.Canceled)):
		fmt.Fprintln(stderr, "ouroeval: interrupted: finished requests are cached; re-run the same command to resume")
		return exitInterrupted
	default:
		fmt.Fprintf(stderr, "ouroeval: %v\n", err)
		return exitError
	}
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return defaultCmd(ctx, nil, stdout, stderr)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" || name == "-help" {
		printUsage(stdout)
		return nil
	}
	if strings.HasPrefix(name, "-") {
		// Flags only: the default sweep with overrides (e.g. --limit 5).
		return defaultCmd(ctx, args, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	return usagef("unknown command %q", name)
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: ouroeval [command] [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "With no command, runs the embedded default sweep (configs/default.yaml);")
	fmt.Fprintln(w, "flags alone (ouroeval --limit 5) run it with the sweep flags overridden.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'ouroeval COMMAND -h' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 success, 1 error, 2 usage, 130 interrupted.")
}

// newFlagSet returns a flag set whose errors are usage errors.
func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ouroeval "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFlags parses args, allowing flags after positional arguments, and
// returns the positional ones.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
