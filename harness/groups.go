package harness

import "math"

// groupResult computes group g's aggregates for one (model, setting) with
// lm-eval's semantics (consolidate_group_results): for each (metric,
// filter) of the group's aggregate_metric_list, the mean over its direct
// subtasks — weighted by their document counts when weight_by_size (the
// micro average), plain otherwise — with lm-eval's pooled standard error
// over the subtasks' sizes. A nested group stands in with its own
// aggregate and total size. A (metric, filter) is reported only when
// every subtask has it (so the average is over the whole group), and a
// group without an aggregate_metric_list reports no metric, only its
// members (lm-eval lists it in group_subtasks but not in groups).
//
// It returns nil when a member has no result. memo caches the groups
// already computed for (model, group, setting); stack guards against a
// cycle of nested groups (the catalog rejects them; a cycle yields nil).
func groupResult(g Group, model string, s Setting, byKey map[jobKey]*TaskResult, byGroup map[string]Group, memo map[jobKey]*GroupResult, stack []string) *GroupResult {
	key := jobKey{model, g.Name, s.Key()}
	if gr, ok := memo[key]; ok {
		return gr
	}
	for _, n := range stack {
		if n == g.Name {
			return nil
		}
	}
	stack = append(stack, g.Name)
	for _, name := range g.Members {
		if byKey[jobKey{model, name, s.Key()}] == nil {
			memo[key] = nil
			return nil
		}
	}
	subtasks := g.Subtasks
	if subtasks == nil {
		subtasks = g.Members
	}
	gr := &GroupResult{Model: model, Group: g.Name, Setting: s, SettingKey: s.Key(), Members: g.Members, Subtasks: subtasks, Metrics: []GroupMetric{}}
	seen := map[[2]string]bool{}
	for _, a := range g.Aggregates {
		mk := [2]string{a.Metric, a.Filter}
		if seen[mk] {
			continue
		}
		seen[mk] = true
		vals := make([]float64, 0, len(subtasks))
		ses := make([]float64, 0, len(subtasks))
		ns := make([]int, 0, len(subtasks))
		hib, complete := true, len(subtasks) > 0
		for _, name := range subtasks {
			st, ok := subtaskStat(name, a.Metric, a.Filter, model, s, byKey, byGroup, memo, stack)
			if !ok {
				complete = false
				break
			}
			vals, ses, ns = append(vals, st.value), append(ses, st.se), append(ns, st.n)
			hib = st.hib
		}
		if !complete {
			continue
		}
		v, se, n := pooled(vals, ses, ns)
		if !a.WeightBySize {
			v = 0
			for _, x := range vals {
				v += x
			}
			v /= float64(len(vals))
		}
		gr.Metrics = append(gr.Metrics, GroupMetric{
			Metric: a.Metric, Filter: a.Filter, WeightBySize: a.WeightBySize, HigherIsBetter: hib,
			Value: finite(v), Stderr: finite(se), N: n, Tasks: append([]string(nil), subtasks...),
		})
	}
	memo[key] = gr
	return gr
}

// subtaskValue is one subtask's (metric, filter) value, stderr (NaN when
// not available, which makes the group's N/A as in lm-eval) and size.
type subtaskValue struct {
	value, se float64
	n         int
	hib       bool
}

// subtaskStat looks a subtask's (metric, filter) up: a nested group's
// aggregate when name is a group, else the task's mean-aggregated metric.
func subtaskStat(name, metric, filter, model string, s Setting, byKey map[jobKey]*TaskResult, byGroup map[string]Group, memo map[jobKey]*GroupResult, stack []string) (subtaskValue, bool) {
	if sub, ok := byGroup[name]; ok {
		sgr := groupResult(sub, model, s, byKey, byGroup, memo, stack)
		if sgr == nil {
			return subtaskValue{}, false
		}
		for _, gm := range sgr.Metrics {
			if gm.Metric == metric && gm.Filter == filter && gm.Value != nil {
				return subtaskValue{*gm.Value, nanIfNil(gm.Stderr), gm.N, gm.HigherIsBetter}, true
			}
		}
		return subtaskValue{}, false
	}
	tr := byKey[jobKey{model, name, s.Key()}]
	if tr == nil {
		return subtaskValue{}, false
	}
	for _, mr := range tr.Metrics {
		if mr.Metric == metric && mr.Filter == filter && mr.Aggregation == "mean" && mr.Value != nil {
			return subtaskValue{*mr.Value, nanIfNil(mr.Stderr), mr.N, mr.HigherIsBetter}, true
		}
	}
	return subtaskValue{}, false
}

func nanIfNil(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
