package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"golang.org/x/sys/cpu"

	"github.com/ouroeval/ouroeval/backends"
)

// RunInfo is run.json: the provenance of a run.
type RunInfo struct {
	Schema    int      `json:"schema"`
	Status    string   `json:"status"` // running | complete | interrupted | failed
	Error     string   `json:"error,omitempty"`
	Started   string   `json:"started"`
	Finished  string   `json:"finished,omitempty"`
	Command   []string `json:"command,omitempty"`
	Config    *Config  `json:"config"`
	Notes     []string `json:"notes,omitempty"`
	Ouroeval  string   `json:"ouroeval_version"`
	GitCommit string   `json:"git_commit,omitempty"`
	GitDirty  bool     `json:"git_dirty,omitempty"`
	GoVersion string   `json:"go_version"`
	OS        string   `json:"os"`
	Arch      string   `json:"arch"`
	CPUs      int      `json:"cpus"`
	// CPUFeatures lists the SIMD features the engine can select kernels by.
	CPUFeatures []string    `json:"cpu_features"`
	CacheDir    string      `json:"cache_dir,omitempty"`
	Models      []ModelInfo `json:"models"`
	Tasks       []TaskInfo  `json:"tasks"`
	Requests    int64       `json:"backend_requests"`
	CacheHits   int64       `json:"cache_hits"`
	// ElapsedSeconds is the wall time from start to finish.
	ElapsedSeconds float64 `json:"elapsed_seconds,omitempty"`
}

// ModelInfo records one backend of a run.
type ModelInfo struct {
	Name         string                `json:"name"`
	Spec         string                `json:"spec"`
	Identity     backends.Identity     `json:"identity"`
	Capabilities backends.Capabilities `json:"capabilities"`
	Concurrency  int                   `json:"concurrency"`
	Settings     []string              `json:"settings"`
}

// TaskInfo records one task of a run, per seed.
type TaskInfo struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	SpecHash   string `json:"spec_hash"`
	Source     string `json:"source"`
	OutputType string `json:"output_type"`
	NumFewshot int    `json:"n_shot"`
	Seed       uint64 `json:"seed"`
	// DocsTotal is the dataset size; Docs the number evaluated (limit).
	DocsTotal int `json:"docs_total"`
	Docs      int `json:"docs"`
	// DocHash hashes the dataset; PromptsHash the evaluated prompts in
	// order (few-shot included), so two runs with equal hashes sent the
	// same text.
	DocHash     string `json:"doc_hash"`
	PromptsHash string `json:"prompts_hash"`
	Config      any    `json:"config,omitempty"`
}

func (p *plan) runInfo(opt Options, start time.Time) *RunInfo {
	info := &RunInfo{
		Schema: 1, Status: "running", Started: start.UTC().Format(time.RFC3339Nano),
		Command: opt.Command, Config: p.cfg, Notes: p.notes, Ouroeval: Version,
		GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(),
		CPUFeatures: CPUFeatures(), CacheDir: opt.CacheDir,
	}
	info.GitCommit, info.GitDirty = GitCommit()
	for _, m := range p.models {
		mi := ModelInfo{Name: m.label, Spec: m.cfg.Spec, Identity: m.id, Capabilities: m.caps, Concurrency: m.limit}
		for _, s := range m.settings {
			mi.Settings = append(mi.Settings, s.Key())
		}
		info.Models = append(info.Models, mi)
	}
	for _, t := range p.tasks {
		nshot := t.task.NumFewshot
		if p.cfg.NumFewshot != nil {
			nshot = *p.cfg.NumFewshot
		}
		for _, seed := range p.cfg.Seeds {
			td := t.bySeed[seed]
			if td == nil {
				continue
			}
			info.Tasks = append(info.Tasks, TaskInfo{
				Name: t.task.Name, Version: t.task.Version, SpecHash: t.task.Hash, Source: t.task.Source,
				OutputType: t.task.OutputType, NumFewshot: nshot, Seed: seed,
				DocsTotal: td.nTotal, Docs: len(td.samples), DocHash: td.docHash, PromptsHash: td.promptsSum,
				Config: t.task.Config,
			})
		}
	}
	return info
}

// CPUFeatures lists the x86 SIMD features present (empty elsewhere).
func CPUFeatures() []string {
	feats := []struct {
		name string
		on   bool
	}{
		{"sse4.2", cpu.X86.HasSSE42}, {"avx", cpu.X86.HasAVX}, {"avx2", cpu.X86.HasAVX2},
		{"fma", cpu.X86.HasFMA}, {"avx512f", cpu.X86.HasAVX512F}, {"avx512bw", cpu.X86.HasAVX512BW},
		{"avx512vl", cpu.X86.HasAVX512VL}, {"avx512dq", cpu.X86.HasAVX512DQ},
		{"avx512vnni", cpu.X86.HasAVX512VNNI}, {"avx512bf16", cpu.X86.HasAVX512BF16},
		{"arm64.asimd", cpu.ARM64.HasASIMD},
	}
	out := []string{}
	for _, f := range feats {
		if f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// GitCommit returns the commit the binary was built from
// (debug.ReadBuildInfo's vcs.revision), falling back to `git rev-parse
// HEAD` in the working directory; "" when neither is available.
func GitCommit() (commit string, dirty bool) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if commit != "" {
			return commit, dirty
		}
	}
	if _, err := exec.LookPath("git"); err != nil {
		return "", false
	}
	wd, _ := os.Getwd()
	out, err := exec.Command("git", "-C", filepath.Clean(wd), "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), false
}
