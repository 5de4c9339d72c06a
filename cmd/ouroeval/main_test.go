package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ouroeval/ouroeval/harness"
)

func runMain(t *testing.T, ctx context.Context, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = mainCode(ctx, args, &o, &e)
	return code, o.String(), e.String()
}

// TestDefaultSweepSmoke runs the embedded default sweep from a directory
// other than the repository (the micro checkpoints are embedded), then
// reads it back with leaderboard and gates it against itself and against
// a tampered baseline.
func TestDefaultSweepSmoke(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runMain(t, context.Background(), "--limit", "24", "--out", out, "--cache", filepath.Join(dir, "cache"), "--progress", "none", "--bootstrap", "100")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"micro models on khop", "Results", "Parameter efficiency", "Per depth", "khop-dense-l8", "chance", "R=4,q=0.5", "141.2k", "hops=4"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the default run's output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"run.json", "metrics.json", "samples/khop-looped-l2r4/khop.jsonl", "samples/chance/khop.jsonl"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var info harness.RunInfo
	data, _ := os.ReadFile(filepath.Join(out, "run.json"))
	if err := json.Unmarshal(data, &info); err != nil || info.Status != "complete" || len(info.Models) != 4 {
		t.Fatalf("run.json: status %q, %d models, err %v", info.Status, len(info.Models), err)
	}
	// The dense micro models (ouro, total_ut_steps 1) are not looped and
	// run once; the looped one runs its six settings.
	settings := map[string]int{}
	for _, m := range info.Models {
		settings[m.Name] = len(m.Settings)
		if looped := m.Name == "khop-looped-l2r4"; m.Capabilities.Looped != looped {
			t.Errorf("%s: looped %v, want %v", m.Name, m.Capabilities.Looped, looped)
		}
	}
	if want := map[string]int{"khop-looped-l2r4": 6, "khop-dense-l2": 1, "khop-dense-l8": 1, "chance": 1}; !reflect.DeepEqual(settings, want) {
		t.Errorf("settings per model %v, want %v", settings, want)
	}

	for _, tt := range []struct {
		format, want string
	}{{"text", "┌"}, {"markdown", "### Per depth"}, {"csv", "# Parameter efficiency\nModel,Task,Setting,Params"}} {
		code, stdout, stderr := runMain(t, context.Background(), "leaderboard", out, "--format", tt.format)
		if code != exitOK || !strings.Contains(stdout, tt.want) {
			t.Errorf("leaderboard --format %s: exit %d, stderr %s, output lacks %q:\n%s", tt.format, code, stderr, tt.want, stdout)
		}
	}

	base := filepath.Join(out, "metrics.json")
	if code, stdout, stderr := runMain(t, context.Background(), "gate", "--baseline", base, "--run", out); code != exitOK || !strings.Contains(stdout, "0 failed") {
		t.Errorf("gate against itself: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// A baseline in which the iso-compute model was 30 points better.
	var mf harness.MetricsFile
	json.Unmarshal(data2(t, base), &mf)
	for i := range mf.Results {
		if mf.Results[i].Model == "khop-dense-l8" {
			v := *mf.Results[i].Metrics[0].Value + 0.3
			mf.Results[i].Metrics[0].Value = &v
		}
	}
	tampered, _ := json.Marshal(mf)
	bad := filepath.Join(dir, "better.json")
	os.WriteFile(bad, tampered, 0o644)
	code, stdout, stderr = runMain(t, context.Background(), "gate", "--baseline", bad, "--run", out)
	if code != exitError || !strings.Contains(stdout, "FAIL khop-dense-l8/khop seed=1234 exact_match,none:") || !strings.Contains(stderr, "1 of") {
		t.Errorf("gate against a better baseline: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func data2(t *testing.T, file string) []byte {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRunCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "exactly-here")
	code, stdout, stderr := runMain(t, context.Background(), "run", "--model", "chance?seed=3", "--tasks", "mano_mc,mano", "--limit", "5",
		"--out", out, "--no-cache", "--format", "lm-eval", "--progress", "none", "--bootstrap", "50")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(out, "lm-eval", "*", "results_*.json"))
	if len(files) != 1 {
		t.Errorf("lm-eval results: %v", files)
	}
	if _, err := os.Stat(filepath.Join(out, "metrics.json")); err != nil {
		t.Error(err)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	badKey := write("badkey.yaml", "models: [chance]\ntasks: [mano]\nlimt: 3\n")
	badTask := write("badtask.yaml", "models: [chance]\ntasks: [mano, nosuchtask]\n")
	badModel := write("badmodel.yaml", "models: [gpt-9]\ntasks: [mano]\n")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		args     []string
		code     int
		inStderr string
	}{
		{"unknown command", nil, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"run without model", nil, []string{"run", "--tasks", "mano"}, exitUsage, "run needs --model"},
		{"bad flag", nil, []string{"run", "--bogus"}, exitUsage, "flag provided but not defined"},
		{"sweep without file", nil, []string{"sweep"}, exitUsage, "exactly one config file"},
		{"bad key", nil, []string{"sweep", badKey}, exitError, "badkey.yaml:3:1: unknown key \"limt\""},
		{"unknown task", nil, []string{"sweep", badTask, "--out", filepath.Join(dir, "o1"), "--no-cache"}, exitError, `unknown task or group "nosuchtask"`},
		{"unknown model", nil, []string{"sweep", badModel, "--out", filepath.Join(dir, "o2"), "--no-cache"}, exitError, `unknown backend "gpt-9"`},
		{"help", nil, []string{"help"}, exitOK, ""},
		{"interrupted", canceled, []string{"run", "--model", "chance", "--tasks", "mano", "--out", filepath.Join(dir, "o3"), "--no-cache", "--progress", "none"}, exitInterrupted, "interrupted"},
		{"tasks show missing", nil, []string{"tasks", "show", "nosuch"}, exitError, "nosuch"},
		{"tasks dump no n", nil, []string{"tasks", "dump", "mano"}, exitUsage, "--n"},
		{"unknown embedded model", nil, []string{"run", "--model", "engine:embedded:khop-looped-l9", "--tasks", "khop", "--out", filepath.Join(dir, "o4"), "--no-cache"}, exitError,
			`no embedded model "khop-looped-l9" (embedded: khop-dense-l2, khop-dense-l8, khop-looped-l2r4)`},
		{"gate without baseline", nil, []string{"gate", "--run", dir}, exitUsage, "gate needs --baseline FILE and --run RUN_DIR"},
		{"gate bad baseline", nil, []string{"gate", "--baseline", badKey, "--run", filepath.Join(dir, "nope")}, exitError, "not a metrics.json file"},
		{"leaderboard bad format", nil, []string{"leaderboard", dir, "--format", "html"}, exitUsage, `unknown --format "html"`},
		{"leaderboard no run", nil, []string{"leaderboard", filepath.Join(dir, "nope")}, exitError, "metrics.json"},
	}
	for _, tt := range tests {
		ctx := tt.ctx
		if ctx == nil {
			ctx = context.Background()
		}
		code, _, stderr := runMain(t, ctx, tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("%s: exit %d, stderr %q; want exit %d and %q", tt.name, code, stderr, tt.code, tt.inStderr)
		}
	}
	// Nothing ran for the bad sweeps: no run directory was created.
	for _, o := range []string{"o1", "o2"} {
		if _, err := os.Stat(filepath.Join(dir, o)); err == nil {
			t.Errorf("bad sweep created its run directory %s", o)
		}
	}
}

func TestTasksCommands(t *testing.T) {
	code, stdout, stderr := runMain(t, context.Background(), "tasks", "list")
	if code != 0 || !strings.Contains(stdout, "mano") || !strings.Contains(stdout, "procedural") {
		t.Fatalf("tasks list: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runMain(t, context.Background(), "tasks", "show", "mano_mc", "--doc", "2")
	if code != 0 || !strings.Contains(stdout, "prompt of document 2") || !strings.Contains(stdout, "choice 0") {
		t.Fatalf("tasks show: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runMain(t, context.Background(), "tasks", "dump", "mano", "--split", "train", "--n", "3")
	if code != 0 {
		t.Fatalf("tasks dump: exit %d\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("tasks dump wrote %d lines", len(lines))
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[2]), &rec); err != nil || len(rec) == 0 {
		t.Errorf("dump line: %v %v", rec, err)
	}
	code, _, stderr = runMain(t, context.Background(), "tasks", "dump", "mano", "--split", "nosplit", "--n", "3")
	if code != exitUsage || !strings.Contains(stderr, "no split") {
		t.Errorf("dump bad split: exit %d %s", code, stderr)
	}
}

// TestBadTaskInput runs user tasks with bad data: each fails before the
// first request with a message naming the task (and document or field),
// exit 1, and no run directory.
func TestBadTaskInput(t *testing.T) {
	dir := t.TempDir()
	tasksDir := filepath.Join(dir, "tasks")
	os.MkdirAll(tasksDir, 0o755)
	files := map[string]string{
		"d.jsonl":       "{\"question\": \"1+1?\", \"answer\": \"2\"}\n{\"question\": \"2+2?\", \"answer\": \"4\"}\n",
		"missing.yaml":  "task: t_missing_field\ndataset_path: json\ndata_files: {test: d.jsonl}\ntest_split: test\ndoc_to_text: \"{{nosuchfield}}\"\ndoc_to_target: answer\n",
		"nofile.yaml":   "task: t_missing_file\ndataset_path: json\ndata_files: {test: absent.jsonl}\ntest_split: test\ndoc_to_text: \"{{question}}\"\ndoc_to_target: answer\n",
		"goodtask.yaml": "task: t_good\ndataset_path: json\ndata_files: {test: d.jsonl}\ntest_split: test\ndoc_to_text: \"{{question}}\"\ndoc_to_target: answer\n",
	}
	for name, body := range files {
		os.WriteFile(filepath.Join(tasksDir, name), []byte(body), 0o644)
	}
	for _, tt := range []struct{ task, want string }{
		{"t_missing_field", "nosuchfield"},
		{"t_missing_file", "absent.jsonl"},
	} {
		out := filepath.Join(dir, "out-"+tt.task)
		code, _, stderr := runMain(t, context.Background(), "run", "--model", "chance", "--tasks", tt.task, "--tasks-dir", tasksDir, "--out", out, "--no-cache", "--progress", "none")
		if code != exitError || !strings.Contains(stderr, tt.task) || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 naming the task and %q", tt.task, code, stderr, tt.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: the run directory was created", tt.task)
		}
	}
	out := filepath.Join(dir, "good")
	if code, stdout, stderr := runMain(t, context.Background(), "run", "--model", "chance", "--tasks", "t_good", "--tasks-dir", tasksDir, "--out", out, "--no-cache", "--progress", "none"); code != 0 {
		t.Errorf("good user task: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestEngineBackend runs the harness on the built-in engine with a tiny
// looped test checkpoint: an R sweep over a multiple-choice and a
// generation task, the log-likelihoods of every R coming from one
// per-depth request.
func TestEngineBackend(t *testing.T) {
	wd, _ := os.Getwd()
	ckpt := filepath.Join(wd, "..", "..", "engine", "testdata", "golden", "ouro-f32")
	if _, err := os.Stat(filepath.Join(ckpt, "config.json")); err != nil {
		t.Skipf("no test checkpoint at %s: %v", ckpt, err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "run")
	code, stdout, stderr := runMain(t, context.Background(), "run", "--model", "engine:"+ckpt, "--tasks", "mano_mc,mano", "--limit", "3",
		"--R", "1,2", "--out", out, "--cache", filepath.Join(dir, "cache"), "--progress", "none", "--bootstrap", "50")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "scores every depth in one pass") {
		t.Errorf("no per-depth note:\n%s", stderr)
	}
	var info harness.RunInfo
	data, _ := os.ReadFile(filepath.Join(out, "run.json"))
	json.Unmarshal(data, &info)
	// mano_mc: 3 docs × 23 choices sent once at R=2 and read again for
	// R=1; mano: 3 generations per R.
	if info.Requests != 3*23+3*2 || info.CacheHits != 3*23 {
		t.Errorf("%d requests, %d cache hits; want %d and %d", info.Requests, info.CacheHits, 3*23+3*2, 3*23)
	}
	if len(info.Models) != 1 || info.Models[0].Name != "engine_ouro-f32" || info.Models[0].Identity.Kind != "engine" || len(info.Models[0].Settings) != 2 {
		t.Errorf("models in run.json: %+v", info.Models)
	}
	recs, _ := os.ReadFile(filepath.Join(out, "samples", "engine_ouro-f32", "mano.jsonl"))
	if n := strings.Count(string(recs), "\n"); n != 6 || !strings.Contains(string(recs), `"mean_steps"`) {
		t.Errorf("mano records: %d lines, mean_steps present: %v", n, strings.Contains(string(recs), `"mean_steps"`))
	}
}
