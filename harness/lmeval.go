package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// lmEvalNA is lm-eval's placeholder for a missing standard error.
const lmEvalNA = "N/A"

// writeLMEval writes one lm-eval results_<date>.json per model under
// <out>/lm-eval/<model>/, in lm-evaluation-harness's layout, so existing
// tools can read ouroeval runs. When a model has several settings, each
// (task, setting) appears as "task@setting".
func writeLMEval(out string, p *plan, r *runner, mf *MetricsFile, start time.Time) error {
	date := start.UTC().Format("2006-01-02T15-04-05.000000")
	for _, m := range p.models {
		multi := len(m.settings) > 1
		name := func(task string, s Setting) string {
			if multi {
				return task + "@" + s.Key()
			}
			return task
		}
		doc := map[string]any{}
		results := map[string]map[string]any{}
		configs := map[string]any{}
		versions := map[string]any{}
		nshot := map[string]int{}
		hib := map[string]map[string]bool{}
		nsamples := map[string]map[string]int{}
		hashes := map[string]string{}
		for _, tr := range mf.Results {
			if tr.Model != m.label {
				continue
			}
			key := name(tr.Task, tr.Setting)
			res := map[string]any{"alias": key}
			h := map[string]bool{}
			for _, mr := range tr.Metrics {
				res[mr.Metric+","+mr.Filter] = numOrNA(mr.Value)
				res[mr.Metric+"_stderr,"+mr.Filter] = numOrNA(mr.Stderr)
				h[mr.Metric] = mr.HigherIsBetter
			}
			res["sample_len"] = tr.N
			results[key] = res
			hib[key] = h
			versions[key] = tr.Version
			nshot[key] = tr.NumFewshot
			for _, t := range p.tasks {
				if t.task.Name == tr.Task {
					configs[key] = t.task.Config
					hashes[key] = t.task.Hash
					if td := t.bySeed[tr.Setting.Seed]; td != nil {
						nsamples[key] = map[string]int{"original": td.nTotal, "effective": len(td.samples)}
					}
				}
			}
		}
		groups := map[string]map[string]any{}
		subtasks := map[string][]string{}
		for _, gr := range mf.Groups {
			if gr.Model != m.label {
				continue
			}
			key := name(gr.Group, gr.Setting)
			res := map[string]any{"alias": key}
			n := 0
			for _, gm := range gr.Metrics {
				res[gm.Metric+","+gm.Filter] = numOrNA(gm.Value)
				res[gm.Metric+"_stderr,"+gm.Filter] = numOrNA(gm.Stderr)
				n = gm.N
			}
			res["sample_count"] = n
			// Like lm-eval, only aggregating groups appear in "groups";
			// every group lists its subtasks.
			if len(gr.Metrics) > 0 {
				groups[key] = res
			}
			var members []string
			for _, t := range gr.Subtasks {
				members = append(members, name(t, gr.Setting))
			}
			subtasks[key] = members
		}
		doc["results"] = results
		if len(groups) > 0 {
			doc["groups"] = groups
		}
		if len(subtasks) > 0 {
			doc["group_subtasks"] = subtasks
		}
		doc["configs"] = configs
		doc["versions"] = versions
		doc["n-shot"] = nshot
		doc["higher_is_better"] = hib
		doc["n-samples"] = nsamples
		var fewshotSeed any
		if len(p.cfg.Seeds) == 1 {
			fewshotSeed = p.cfg.Seeds[0]
		} else {
			fewshotSeed = p.cfg.Seeds
		}
		var limit any
		if p.cfg.Limit > 0 {
			limit = p.cfg.Limit
		}
		doc["config"] = map[string]any{
			"model":                m.id.Kind,
			"model_args":           m.cfg.Spec,
			"model_num_parameters": m.id.Params,
			"model_sha":            m.id.Fingerprint,
			"batch_size":           m.limit,
			"use_cache":            r.cache != nil,
			"limit":                limit,
			"bootstrap_iters":      p.cfg.Bootstrap,
			"random_seed":          fewshotSeed,
			"fewshot_seed":         fewshotSeed,
		}
		commit, _ := GitCommit()
		doc["git_hash"] = commit
		doc["date"] = float64(start.UnixNano()) / 1e9
		doc["ouroeval_version"] = Version
		doc["model_source"] = m.id.Kind
		doc["model_name"] = m.id.Name
		doc["model_name_sanitized"] = m.label
		doc["task_hashes"] = hashes
		doc["total_evaluation_time_seconds"] = fmt.Sprintf("%.3f", time.Since(start).Seconds())
		dir := filepath.Join(out, "lm-eval", m.label)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(dir, "results_"+date+".json"), doc); err != nil {
			return err
		}
	}
	return nil
}

func numOrNA(v *float64) any {
	if v == nil {
		return lmEvalNA
	}
	return *v
}
