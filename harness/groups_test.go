package harness

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// taskRes builds a TaskResult with one mean metric per (metric,filter) key.
func taskRes(task string, n int, ms map[string][2]float64) *TaskResult {
	tr := &TaskResult{Model: "m", Task: task, SettingKey: Setting{}.Key(), N: n}
	for _, k := range []string{"acc,none", "acc_norm,none", "exact_match,strict"} {
		v, ok := ms[k]
		if !ok {
			continue
		}
		metric, filter, _ := strings.Cut(k, ",")
		mr := MetricResult{Metric: metric, Filter: filter, Aggregation: "mean", HigherIsBetter: true, Value: finite(v[0]), Stderr: finite(v[1]), N: n}
		tr.Metrics = append(tr.Metrics, mr)
	}
	return tr
}

func groupFixture() map[jobKey]*TaskResult {
	nan := math.NaN()
	rs := []*TaskResult{
		taskRes("a", 10, map[string][2]float64{"acc,none": {0.5, 0.1}, "acc_norm,none": {0.6, 0.1}}),
		taskRes("b", 30, map[string][2]float64{"acc,none": {0.1, 0.05}, "acc_norm,none": {0.2, nan}}),
		taskRes("c", 20, map[string][2]float64{"acc,none": {0.9, 0.02}, "exact_match,strict": {1, 0}}),
	}
	by := map[jobKey]*TaskResult{}
	for _, r := range rs {
		by[jobKey{r.Model, r.Task, r.SettingKey}] = r
	}
	return by
}

func TestGroupAggregation(t *testing.T) {
	pooledAB := math.Sqrt((9*0.01*10 + 29*0.0025*30) / 38 / 40)
	groups := map[string]Group{
		"micro":  {Name: "micro", Members: []string{"a", "b"}, Aggregates: []GroupAggregate{{"acc", "none", true}}},
		"macro":  {Name: "macro", Members: []string{"a", "b"}, Aggregates: []GroupAggregate{{"acc", "none", false}}},
		"suite":  {Name: "suite", Members: []string{"a", "b", "c"}},
		"mixed":  {Name: "mixed", Members: []string{"a", "c"}, Aggregates: []GroupAggregate{{"acc", "none", true}, {"acc_norm", "none", true}, {"exact_match", "strict", true}}},
		"nostd":  {Name: "nostd", Members: []string{"a", "b"}, Aggregates: []GroupAggregate{{"acc_norm", "none", true}}},
		"nested": {Name: "nested", Members: []string{"a", "b", "c"}, Subtasks: []string{"micro", "c"}, Aggregates: []GroupAggregate{{"acc", "none", false}}},
		"gone":   {Name: "gone", Members: []string{"a", "zzz"}, Aggregates: []GroupAggregate{{"acc", "none", true}}},
	}
	type want struct {
		metrics []string // "metric,filter"
		value   float64
		se      float64 // NaN: nil
		n       int
	}
	tests := []struct {
		group string
		want  *want // nil: no result at all
	}{
		{"micro", &want{[]string{"acc,none"}, (0.5*10 + 0.1*30) / 40, pooledAB, 40}},
		// Unweighted: plain mean; the stderr is still pooled over sizes.
		{"macro", &want{[]string{"acc,none"}, 0.3, pooledAB, 40}},
		// A suite without aggregate_metric_list reports no metric.
		{"suite", &want{[]string{}, 0, 0, 0}},
		// Only metrics every subtask has: c lacks acc_norm, a lacks exact_match.
		{"mixed", &want{[]string{"acc,none"}, (0.5*10 + 0.9*20) / 30, math.Sqrt((9*0.01*10 + 19*0.0004*20) / 28 / 30), 30}},
		// A subtask without stderr makes the group's N/A (lm-eval).
		{"nostd", &want{[]string{"acc_norm,none"}, (0.6*10 + 0.2*30) / 40, math.NaN(), 40}},
		// A nested group stands in with its aggregate and total size.
		{"nested", &want{[]string{"acc,none"}, ((0.5*10+0.1*30)/40 + 0.9) / 2, math.Sqrt((39*pooledAB*pooledAB*40 + 19*0.0004*20) / 58 / 60), 60}},
		{"gone", nil},
	}
	for _, tt := range tests {
		memo := map[jobKey]*GroupResult{}
		gr := groupResult(groups[tt.group], "m", Setting{}, groupFixture(), groups, memo, nil)
		if tt.want == nil {
			if gr != nil {
				t.Errorf("%s: got %+v, want no result", tt.group, gr)
			}
			continue
		}
		if gr == nil {
			t.Fatalf("%s: no result", tt.group)
		}
		got := []string{}
		for _, gm := range gr.Metrics {
			got = append(got, gm.Metric+","+gm.Filter)
		}
		if !reflect.DeepEqual(got, tt.want.metrics) {
			t.Errorf("%s: metrics %v, want %v", tt.group, got, tt.want.metrics)
			continue
		}
		if want := groups[tt.group].Subtasks; want != nil && !reflect.DeepEqual(gr.Subtasks, want) {
			t.Errorf("%s: subtasks %v, want %v", tt.group, gr.Subtasks, want)
		}
		if len(gr.Metrics) == 0 {
			continue
		}
		gm := gr.Metrics[0]
		if gm.Value == nil || math.Abs(*gm.Value-tt.want.value) > 1e-12 {
			t.Errorf("%s: value %v, want %v", tt.group, gm.Value, tt.want.value)
		}
		switch {
		case math.IsNaN(tt.want.se):
			if gm.Stderr != nil {
				t.Errorf("%s: stderr %v, want N/A", tt.group, *gm.Stderr)
			}
		case gm.Stderr == nil || math.Abs(*gm.Stderr-tt.want.se) > 1e-12:
			t.Errorf("%s: stderr %v, want %v", tt.group, gm.Stderr, tt.want.se)
		}
		if gm.N != tt.want.n {
			t.Errorf("%s: n %d, want %d", tt.group, gm.N, tt.want.n)
		}
	}
}

// TestGroupsInRun runs an aggregating group and a suite through Run: the
// aggregate appears in metrics.json and in lm-eval's "groups"; the suite
// only in "group_subtasks", as lm-eval reports them.
func TestGroupsInRun(t *testing.T) {
	env := fakeEnv(20, nil)
	cat := env.Catalog.(*fakeCatalog)
	cat.groups["mc"] = []string{"add_mc"}
	cat.aggs = map[string][]GroupAggregate{"mc": {{Metric: "acc", Filter: "none", WeightBySize: true}}}
	cfg := sweep([]string{"chance"}, []string{"add", "mc"}, 2)
	cfg.Formats = []string{"lm-eval"}
	out := t.TempDir()
	if _, err := Run(context.Background(), cfg, env, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err != nil {
		t.Fatal(err)
	}
	var mf MetricsFile
	if err := json.Unmarshal(data, &mf); err != nil {
		t.Fatal(err)
	}
	var mcAcc float64
	for _, tr := range mf.Results {
		if tr.Task == "add_mc" {
			mcAcc = *tr.Metrics[0].Value
		}
	}
	got := map[string]int{}
	for _, g := range mf.Groups {
		got[g.Group] = len(g.Metrics)
		if g.Group == "mc" && (g.Metrics[0].Value == nil || *g.Metrics[0].Value != mcAcc || g.Metrics[0].N != 20) {
			t.Errorf("group mc = %+v, want acc %v over 20", g.Metrics[0], mcAcc)
		}
	}
	if want := map[string]int{"add": 0, "mc": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("groups → metric count %v, want %v", got, want)
	}
	files, _ := filepath.Glob(filepath.Join(out, "lm-eval", "chance", "results_*.json"))
	if len(files) != 1 {
		t.Fatalf("lm-eval files: %v", files)
	}
	var doc struct {
		Groups   map[string]map[string]any `json:"groups"`
		Subtasks map[string][]string       `json:"group_subtasks"`
	}
	data, _ = os.ReadFile(files[0])
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if _, ok := doc.Groups["add"]; ok {
		t.Error(`lm-eval "groups" has the non-aggregating group add`)
	}
	if v, ok := doc.Groups["mc"]["acc,none"]; !ok || v != mcAcc {
		t.Errorf(`lm-eval groups.mc["acc,none"] = %v, want %v`, v, mcAcc)
	}
	if len(doc.Subtasks["add"]) != 2 || len(doc.Subtasks["mc"]) != 1 {
		t.Errorf("group_subtasks = %v", doc.Subtasks)
	}
}

// TestBindGroups checks how the built-in groups reach the harness: the
// procedural suite has no aggregate and its nested groups as subtasks;
// procedural_mc aggregates acc,none by size; ouro-base has none.
func TestBindGroups(t *testing.T) {
	env := realEnv(t)
	for _, tc := range []struct {
		name     string
		subtasks []string
		aggs     []GroupAggregate
	}{
		{"procedural", []string{"procedural_gen", "procedural_mc"}, nil},
		{"procedural_mc", []string{"mano_mc", "multihop_mc", "capo_mc"}, []GroupAggregate{{Metric: "acc", Filter: "none", WeightBySize: true}}},
		{"ouro-base", nil, nil},
	} {
		_, groups, err := env.Catalog.Resolve([]string{tc.name})
		if err != nil {
			t.Fatal(err)
		}
		if groups[0].Name != tc.name {
			t.Fatalf("%s: first group %q", tc.name, groups[0].Name)
		}
		g := groups[0]
		if tc.subtasks != nil && !reflect.DeepEqual(g.Subtasks, tc.subtasks) {
			t.Errorf("%s: subtasks %v, want %v", tc.name, g.Subtasks, tc.subtasks)
		}
		if !reflect.DeepEqual(g.Aggregates, tc.aggs) {
			t.Errorf("%s: aggregates %v, want %v", tc.name, g.Aggregates, tc.aggs)
		}
	}
}
