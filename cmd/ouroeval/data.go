package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ouroeval/ouroeval/tasks"
	"github.com/ouroeval/ouroeval/tasks/hub"
)

// dataCmd manages the local files benchmark tasks read:
//
//	data verify TASK... [--data-dir DIR]   check presence and sha256 of every declared file
//	data pull TASK... [--data-dir DIR]     download declared files (checksum, resume) into DIR
//
// DIR defaults to $OUROEVAL_DATA, else ouroeval/data under the user cache
// directory; `run --data-dir DIR` then reads them.
func dataCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("data needs a subcommand: pull TASK... | verify TASK...")
	}
	sub := args[0]
	if sub != "pull" && sub != "verify" {
		return usagef("unknown data subcommand %q (valid: pull, verify)", sub)
	}
	fs := newFlagSet("data "+sub, stderr)
	dataDir := fs.String("data-dir", "", "data `DIR` (default $OUROEVAL_DATA or the user cache dir)")
	base := fs.String("hub", hub.DefaultBaseURL, "hub base `URL`")
	var tasksDirs listFlag
	fs.Var(&tasksDirs, "tasks-dir", "extra task YAML `DIR` (repeatable)")
	names, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return usagef("data %s needs task or group names", sub)
	}
	dir := *dataDir
	if dir == "" {
		if dir, err = hub.DefaultCacheDir(); err != nil {
			return err
		}
	}
	cat, err := tasks.LoadCatalog(tasksDirs...)
	if err != nil {
		return err
	}
	var list []string
	for _, n := range names {
		list = append(list, strings.Split(n, ",")...)
	}
	ts, err := cat.Resolve(list)
	if err != nil {
		return err
	}
	client := &hub.Client{BaseURL: *base, CacheDir: filepath.Join(dir, ".hub"), Token: os.Getenv("HF_TOKEN")}
	// Files shared by several tasks (MMLU dev files, MATH-500) once.
	type item struct {
		f     tasks.DataFile
		tasks []string
	}
	byPath := map[string]*item{}
	var order []string
	for _, t := range ts {
		files, err := t.DataFiles()
		if err != nil {
			return err
		}
		if len(files) == 0 {
			src, ok, _ := t.DataSource()
			where := "no canonical source declared"
			if ok {
				where = "canonical source " + src.Dataset
			}
			fmt.Fprintf(stdout, "%s: declares no local files (%s; reads DATA_DIR/%s)\n", t.Name, where, t.Spec.DatasetPath)
			continue
		}
		for _, f := range files {
			it, ok := byPath[f.Path]
			if !ok {
				it = &item{f: f}
				byPath[f.Path] = it
				order = append(order, f.Path)
			} else if it.f.SHA256 != f.SHA256 {
				return fmt.Errorf("tasks %s and %s declare different sha256s for %s", it.tasks[0], t.Name, f.Path)
			}
			it.tasks = append(it.tasks, t.Name)
		}
	}
	sort.Strings(order)
	var problems []string
	for _, p := range order {
		it := byPath[p]
		dst := filepath.Join(dir, filepath.FromSlash(p))
		ok, why := checkFile(dst, it.f)
		switch {
		case ok:
			fmt.Fprintf(stdout, "ok       %s\n", p)
			continue
		case sub == "verify":
			problems = append(problems, fmt.Sprintf("%s (%s): %s", p, strings.Join(it.tasks, ", "), why))
			fmt.Fprintf(stdout, "BAD      %s: %s\n", p, why)
			continue
		case it.f.Hub == nil:
			problems = append(problems, fmt.Sprintf("%s (%s): %s, and no download source is declared: copy it into %s", p, strings.Join(it.tasks, ", "), why, dir))
			fmt.Fprintf(stdout, "MISSING  %s: %s (no download source declared)\n", p, why)
			continue
		}
		hf := hub.File{Repo: it.f.Hub.Repo, Revision: it.f.Hub.Revision, Path: it.f.Hub.Path, SHA256: it.f.SHA256}
		got, err := client.Fetch(ctx, hf)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
			fmt.Fprintf(stdout, "FAILED   %s: %v\n", p, err)
			continue
		}
		if err := place(got, dst); err != nil {
			return err
		}
		if ok, why := checkFile(dst, it.f); !ok {
			problems = append(problems, fmt.Sprintf("%s: downloaded but %s", p, why))
			continue
		}
		fmt.Fprintf(stdout, "pulled   %s <- %s\n", p, hf)
	}
	if len(problems) > 0 {
		return fmt.Errorf("data %s: %d of %d files not usable:\n  %s", sub, len(problems), len(order), strings.Join(problems, "\n  "))
	}
	fmt.Fprintf(stdout, "%d files ready in %s (use --data-dir %s)\n", len(order), dir, dir)
	return nil
}

// checkFile reports whether p holds f's bytes, and why not.
func checkFile(p string, f tasks.DataFile) (bool, string) {
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return false, "missing"
	} else if err != nil {
		return false, err.Error()
	}
	got, err := hub.FileSHA256(p)
	if err != nil {
		return false, err.Error()
	}
	if got != f.SHA256 {
		return false, fmt.Sprintf("sha256 %s, want %s", got, f.SHA256)
	}
	return true, ""
}

// place copies the verified cache file src to dst (written next to dst and
// renamed into place). A copy, not a hard link: an edit of the data dir's
// file must not corrupt the verified cache.
func place(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".pull-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
