package leaderboards

import (
	"encoding/csv"
	"fmt"
	"io"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ouroeval/ouroeval/harness"
)

// Table is one rendered view of a run.
type Table struct {
	// Title names the view; Caption explains its columns.
	Title, Caption string
	Header         []string
	Rows           [][]string
}

// Formats Render writes.
const (
	Text     = "text"     // box-drawn tables for a terminal
	Markdown = "markdown" // GitHub-flavoured Markdown tables
	CSV      = "csv"      // one CSV block per table, preceded by "# title"
)

// Render writes t in format (Text, Markdown or CSV).
func (t *Table) Render(w io.Writer, format string) error {
	switch format {
	case CSV:
		if _, err := fmt.Fprintf(w, "# %s\n", t.Title); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		if err := cw.Write(t.Header); err != nil {
			return err
		}
		if err := cw.WriteAll(t.Rows); err != nil {
			return err
		}
		return cw.Error()
	case Text, Markdown:
		opts := []tablewriter.Option{tablewriter.WithHeaderAutoFormat(tw.Off)}
		title := t.Title + "\n"
		if format == Markdown {
			opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
			title = "### " + t.Title + "\n\n"
		}
		if _, err := io.WriteString(w, title); err != nil {
			return err
		}
		tb := tablewriter.NewTable(w, opts...)
		head := make([]any, len(t.Header))
		for i, h := range t.Header {
			head[i] = h
		}
		tb.Header(head...)
		if err := tb.Bulk(t.Rows); err != nil {
			return err
		}
		if err := tb.Render(); err != nil {
			return err
		}
		if t.Caption != "" {
			sep := ""
			if format == Markdown {
				sep = "\n"
			}
			if _, err := fmt.Fprintf(w, "%s%s\n", sep, t.Caption); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("leaderboards: unknown format %q (valid: text, markdown, csv)", format)
}

// RenderAll writes tables in format, separated by blank lines.
func RenderAll(w io.Writer, tables []*Table, format string) error {
	for i, t := range tables {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		if err := t.Render(w, format); err != nil {
			return err
		}
	}
	return nil
}

// Tables returns every view of the run that has rows: the results, the
// parameter-efficiency view and the per-depth table.
func Tables(r *Run) []*Table {
	var out []*Table
	for _, t := range []*Table{Results(r.Metrics), Efficiency(r), PerDepth(r)} {
		if t != nil && len(t.Rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}

// Results is the plain table: one row per model × task × setting ×
// metric × filter chain, then the group aggregates.
func Results(mf *harness.MetricsFile) *Table {
	t := &Table{
		Title:   "Results",
		Caption: "↑/↓: higher/lower is better; 95% CI: percentile bootstrap; Errors: documents excluded because a request failed; No answer: extraction failures (scored as wrong).",
		Header:  []string{"Model", "Task", "Setting", "Metric", "Filter", "Value", "± Stderr", "95% CI", "n", "Errors", "No answer"},
	}
	for _, r := range mf.Results {
		for _, m := range r.Metrics {
			dir := "↑"
			if !m.HigherIsBetter {
				dir = "↓"
			}
			t.Rows = append(t.Rows, []string{r.Model, r.Task, r.SettingKey, m.Metric + " " + dir, m.Filter, num(m.Value), num(m.Stderr),
				interval(m.CILo, m.CIHi), fmt.Sprint(m.N), fmt.Sprint(m.NErrors), fmt.Sprint(m.NExtractionFailures)})
		}
	}
	for _, g := range mf.Groups {
		for _, m := range g.Metrics {
			t.Rows = append(t.Rows, []string{g.Model, g.Group + " (group)", g.SettingKey, m.Metric, m.Filter, num(m.Value), num(m.Stderr), "", fmt.Sprint(m.N), "", ""})
		}
	}
	return t
}

// modelInfo returns run.json's entry for the model labelled name.
func (r *Run) modelInfo(name string) *harness.ModelInfo {
	if r.Info == nil {
		return nil
	}
	for i := range r.Info.Models {
		if r.Info.Models[i].Name == name {
			return &r.Info.Models[i]
		}
	}
	return nil
}

// representative picks, among one (model, task)'s results, the row of
// the parameter-efficiency view: the deepest fixed-depth setting (no exit
// threshold), else the first.
func representative(rs []*harness.TaskResult) *harness.TaskResult {
	best := rs[0]
	for _, r := range rs {
		if r.Setting.Q == nil && (best.Setting.Q != nil || r.Setting.R > best.Setting.R) {
			best = r
		}
	}
	return best
}

// byModelTask groups results by (model, task) in file order.
func byModelTask(mf *harness.MetricsFile) (keys [][2]string, groups map[[2]string][]*harness.TaskResult) {
	groups = map[[2]string][]*harness.TaskResult{}
	for i := range mf.Results {
		r := &mf.Results[i]
		k := [2]string{r.Model, r.Task}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], r)
	}
	return keys, groups
}

// steps is the recurrent steps of a result: the mean executed when the
// backend reported them, else the fixed depth, else 1 for a model and "—"
// for a backend without parameters (the chance floor).
func steps(r *harness.TaskResult, p int64) string {
	switch {
	case r.MeanSteps != nil:
		return fmt.Sprintf("%.2f", *r.MeanSteps)
	case r.Setting.R > 0:
		return fmt.Sprint(r.Setting.R)
	case p > 0:
		return "1"
	}
	return "—"
}

// Efficiency is the parameter-efficiency view: per model and task, its
// parameters, the recurrent steps it ran, and its headline metric overall
// and on the hardest breakdown level (the last in difficulty order), each
// with a 95 % interval. A looped model appears at its deepest fixed
// depth; PerDepth has the rest.
func Efficiency(r *Run) *Table {
	mf := r.Metrics
	one := oneSeed(mf)
	keys, groups := byModelTask(mf)
	t := &Table{Title: "Parameter efficiency"}
	hardName := ""
	var names []string // each row's hardest level
	for _, k := range keys {
		tr := representative(groups[k])
		m := primary(tr)
		if m == nil {
			continue
		}
		var p int64
		if mi := r.modelInfo(tr.Model); mi != nil {
			p = mi.Identity.Params
		}
		row := []string{tr.Model, tr.Task, settingLabel(tr.Setting, one), params(p), steps(tr, p), m.Metric, acc(m.Value), interval(m.CILo, m.CIHi)}
		field, ls := levels(m)
		if len(ls) > 0 {
			hard := ls[len(ls)-1]
			name := field + "=" + hard.Value
			if hardName == "" {
				hardName = name
			} else if hardName != name {
				hardName = "hardest level"
			}
			ci := "N/A"
			if lo, hi, ok := cellCI(hard.Cell); ok {
				ci = fmt.Sprintf("[%.3f, %.3f]", lo, hi)
			}
			row = append(row, acc(hard.Cell.Value), ci)
			names = append(names, name)
		} else {
			row = append(row, "—", "")
			names = append(names, "")
		}
		t.Rows = append(t.Rows, row)
	}
	if hardName == "hardest level" {
		// Tasks differ in their hardest level: name it in each cell.
		for i, n := range names {
			if n != "" {
				t.Rows[i][8] += " (" + n + ")"
			}
		}
	}
	if hardName == "" {
		hardName = "hardest level"
	}
	t.Header = []string{"Model", "Task", "Setting", "Params", "Steps", "Metric", "Overall", "95% CI", "Hardest: " + hardName, "95% CI"}
	t.Caption = "Params: the backend's parameter count; Steps: recurrent steps executed (mean per token when reported). " +
		"Overall CI: percentile bootstrap; hardest-level CI: Wilson score. Looped models at their deepest fixed depth; every depth in the per-depth table."
	return t
}

// looped reports whether a model belongs in the per-depth table: run.json
// says its backend is looped, or (without run.json) a result of it has a
// depth or exit threshold.
func looped(mi *harness.ModelInfo, rs []*harness.TaskResult) bool {
	if mi != nil {
		return mi.Capabilities.Looped
	}
	for _, r := range rs {
		if r.Setting.R > 0 || r.Setting.Q != nil {
			return true
		}
	}
	return false
}

// PerDepth is the per-depth table of looped models: for every setting
// (fixed depths R, exit thresholds q) of each, its headline metric overall
// and per breakdown level as "value / mean steps".
func PerDepth(r *Run) *Table {
	mf := r.Metrics
	one := oneSeed(mf)
	keys, groups := byModelTask(mf)
	t := &Table{Title: "Per depth"}
	var field string
	var header []string
	for _, k := range keys {
		rs := groups[k]
		if !looped(r.modelInfo(k[0]), rs) {
			continue
		}
		for _, tr := range rs {
			m := primary(tr)
			if m == nil {
				continue
			}
			f, ls := levels(m)
			if header == nil {
				field = f
				for _, l := range ls {
					header = append(header, f+"="+l.Value)
				}
			}
			row := []string{tr.Model, tr.Task, settingLabel(tr.Setting, one), steps(tr, 1), m.Metric, acc(m.Value)}
			if f == field {
				cells := map[string]harness.Cell{}
				for _, l := range ls {
					cells[f+"="+l.Value] = l.Cell
				}
				for _, h := range header {
					c, ok := cells[h]
					switch {
					case !ok:
						row = append(row, "")
					case c.MeanSteps != nil:
						row = append(row, fmt.Sprintf("%s / %.2f", acc(c.Value), *c.MeanSteps))
					default:
						row = append(row, acc(c.Value))
					}
				}
			} else {
				for range header {
					row = append(row, "")
				}
			}
			t.Rows = append(t.Rows, row)
		}
	}
	t.Header = append([]string{"Model", "Task", "Setting", "Steps", "Metric", "Overall"}, header...)
	t.Caption = "R: fixed recurrent depth; q: adaptive-exit threshold (Q-exit over at most R steps). Steps: mean recurrent steps executed per token. " +
		"Per-level cells: value / mean steps at that level."
	return t
}
