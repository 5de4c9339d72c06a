package tasks

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// builtinFS holds the built-in task YAMLs. "all:" keeps lm-eval style
// include bases such as _default_template_yaml.
//
//go:embed all:builtin
var builtinFS embed.FS

// osReader reads user task files from disk.
type osReader struct{}

func (osReader) read(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err // *PathError already names the file
	}
	return b, nil
}
func (osReader) display(name string) string { return name }
func (osReader) join(from, include string) string {
	if filepath.IsAbs(include) {
		return include
	}
	return filepath.Join(filepath.Dir(from), filepath.FromSlash(include))
}

// Catalog holds every known task, group and tag.
type Catalog struct {
	tasks  map[string]*Task
	groups map[string]*GroupSpec
	tags   map[string][]string // tag -> task names, sorted
	parsed map[string]*rawDoc  // include cache while loading
}

// Task is one resolved task.
type Task struct {
	Name    string
	Spec    Spec
	Version string // metadata.version ("" when absent)
	Hash    string // sha256 (hex) of the resolved spec after includes
	Source  string // "builtin:<path>" or the user file path
	// dir is the directory of the defining file for user tasks ("" for
	// built-ins): relative data_files are looked up there first.
	dir string
}

// LoadCatalog loads the built-in tasks and every *.yaml / *.yml file under
// userDirs (recursively). A name defined twice is an error naming both files.
func LoadCatalog(userDirs ...string) (*Catalog, error) {
	return loadCatalog(true, userDirs...)
}

// loadCatalog is LoadCatalog, optionally without the built-in tasks (tests).
func loadCatalog(withBuiltins bool, userDirs ...string) (*Catalog, error) {
	c := &Catalog{tasks: map[string]*Task{}, groups: map[string]*GroupSpec{}, tags: map[string][]string{}, parsed: map[string]*rawDoc{}}
	var builtinFiles []string
	if withBuiltins {
		err := fs.WalkDir(builtinFS, "builtin", func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isTaskFile(p) {
				builtinFiles = append(builtinFiles, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tasks: reading built-in tasks: %w", err)
		}
	}
	sort.Strings(builtinFiles)
	for _, p := range builtinFiles {
		if err := c.addFile(embedReader{builtinFS}, p, ""); err != nil {
			return nil, err
		}
	}
	for _, dir := range userDirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("tasks: tasks dir: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("tasks: tasks dir %s is not a directory", dir)
		}
		var files []string
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && isTaskFile(p) {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("tasks: scanning %s: %w", dir, err)
		}
		sort.Strings(files)
		for _, p := range files {
			if err := c.addFile(osReader{}, p, filepath.Dir(p)); err != nil {
				return nil, err
			}
		}
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	c.parsed = nil
	return c, nil
}

func isTaskFile(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

func (c *Catalog) addFile(r fileReader, name, dir string) error {
	rd, err := resolveIncludes(r, name, 0, nil, c.parsed)
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	if rd.isGroup() {
		g, inline, err := decodeGroup(rd)
		if err != nil {
			return fmt.Errorf("tasks: %w", err)
		}
		g.Source = r.display(name)
		if err := c.claim(g.Group, g.Source); err != nil {
			return err
		}
		c.groups[g.Group] = g
		for _, sub := range inline {
			if len(sub.fields) == 1 {
				continue // just a name
			}
			// An inline definition may include a file relative to the group.
			if inc, ok := sub.fields["include"]; ok {
				base, err := resolveIncludes(r, r.join(name, inc.value.Value), 1, []string{name}, c.parsed)
				if err != nil {
					return fmt.Errorf("tasks: %w", err)
				}
				for _, k := range sub.order {
					if k == "include" {
						continue
					}
					if _, ok := base.fields[k]; !ok {
						base.order = append(base.order, k)
					}
					base.fields[k] = sub.fields[k]
				}
				base.file = sub.file
				sub = base
			}
			if err := c.addTask(sub, r.display(name), dir); err != nil {
				return err
			}
		}
		return nil
	}
	_, hasTask := rd.fields["task"]
	if !hasTask {
		// An include base (lm-eval's _default_template_yaml style) or a
		// file without a task: only its keys are checked.
		if _, isGroup := rd.fields["group"]; isGroup {
			return fmt.Errorf("tasks: %s: a group needs a task: list of members", rd.file)
		}
		if err := rd.checkKeys(taskKeys, "task"); err != nil {
			return fmt.Errorf("tasks: %w", err)
		}
		return nil
	}
	return c.addTask(rd, r.display(name), dir)
}

func (c *Catalog) addTask(rd *rawDoc, source, dir string) error {
	spec, err := decodeTask(rd)
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	canon, err := rd.canonical()
	if err != nil {
		return fmt.Errorf("tasks: %w", err)
	}
	h, err := hashOf(canon)
	if err != nil {
		return fmt.Errorf("tasks: %s: hashing spec: %v", source, err)
	}
	if err := c.claim(spec.Task, source); err != nil {
		return err
	}
	t := &Task{Name: spec.Task, Spec: *spec, Hash: h, Source: source, dir: dir}
	if v, ok := spec.Metadata["version"]; ok && v != nil {
		t.Version = pyStr(v)
	}
	c.tasks[t.Name] = t
	for _, tag := range spec.Tag {
		c.tags[tag] = append(c.tags[tag], t.Name)
	}
	return nil
}

func (c *Catalog) claim(name, source string) error {
	if t, ok := c.tasks[name]; ok {
		return fmt.Errorf("tasks: %s: name %q already defined as a task in %s", source, name, t.Source)
	}
	if g, ok := c.groups[name]; ok {
		return fmt.Errorf("tasks: %s: name %q already defined as a group in %s", source, name, g.Source)
	}
	return nil
}

// check validates cross references: group members exist, no cycles, tags
// do not shadow tasks or groups.
func (c *Catalog) check() error {
	for tag, members := range c.tags {
		if _, ok := c.tasks[tag]; ok {
			return fmt.Errorf("tasks: tag %q (on %s) has the same name as a task", tag, strings.Join(members, ", "))
		}
		if g, ok := c.groups[tag]; ok {
			return fmt.Errorf("tasks: tag %q (on %s) has the same name as the group in %s", tag, strings.Join(members, ", "), g.Source)
		}
		sort.Strings(members)
	}
	names := make([]string, 0, len(c.groups))
	for n := range c.groups {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		g := c.groups[n]
		for _, m := range g.Tasks {
			if !c.known(m) {
				return fmt.Errorf("tasks: %s: group %s: unknown member %q%s", g.Source, n, m, c.nearMatches(m))
			}
		}
		if _, err := c.expand(n, nil, map[string]bool{}); err != nil {
			return err
		}
	}
	return nil
}

func (c *Catalog) known(name string) bool {
	_, t := c.tasks[name]
	_, g := c.groups[name]
	_, tg := c.tags[name]
	return t || g || tg
}

// Names returns every task, group and tag name, sorted.
func (c *Catalog) Names() []string {
	out := make([]string, 0, len(c.tasks)+len(c.groups)+len(c.tags))
	for n := range c.tasks {
		out = append(out, n)
	}
	for n := range c.groups {
		out = append(out, n)
	}
	for n := range c.tags {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Task returns the task called name.
func (c *Catalog) Task(name string) (*Task, bool) {
	t, ok := c.tasks[name]
	return t, ok
}

// Group returns the direct members of a group or tag (members may
// themselves be groups).
func (c *Catalog) Group(name string) (members []string, ok bool) {
	if g, ok := c.groups[name]; ok {
		return append([]string(nil), g.Tasks...), true
	}
	if t, ok := c.tags[name]; ok {
		return append([]string(nil), t...), true
	}
	return nil, false
}

// GroupSpec returns the definition of an aggregating group (tags have
// none).
func (c *Catalog) GroupSpec(name string) (*GroupSpec, bool) {
	g, ok := c.groups[name]
	return g, ok
}

// Resolve expands names (tasks, groups, groups of groups, tags) into the
// tasks to run, in first-mention order without duplicates.
func (c *Catalog) Resolve(names []string) ([]*Task, error) {
	var out []*Task
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if !c.known(n) {
			return nil, fmt.Errorf("tasks: unknown task or group %q%s", n, c.nearMatches(n))
		}
		ts, err := c.expand(n, nil, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("tasks: no tasks selected")
	}
	return out, nil
}

func (c *Catalog) expand(name string, stack []string, seen map[string]bool) ([]*Task, error) {
	for _, s := range stack {
		if s == name {
			return nil, fmt.Errorf("tasks: group cycle: %s -> %s", strings.Join(stack, " -> "), name)
		}
	}
	if t, ok := c.tasks[name]; ok {
		if seen[name] {
			return nil, nil
		}
		seen[name] = true
		return []*Task{t}, nil
	}
	members, ok := c.Group(name)
	if !ok {
		return nil, fmt.Errorf("tasks: unknown task or group %q%s", name, c.nearMatches(name))
	}
	var out []*Task
	for _, m := range members {
		ts, err := c.expand(m, append(stack, name), seen)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// nearMatches formats up to five known names close to name.
func (c *Catalog) nearMatches(name string) string {
	type cand struct {
		n string
		d int
	}
	var cs []cand
	for _, n := range c.Names() {
		d := editDistance(strings.ToLower(name), strings.ToLower(n))
		if d <= max(1, len(name)/3) || strings.Contains(n, name) || (len(n) >= 3 && strings.Contains(name, n)) {
			cs = append(cs, cand{n, d})
		}
	}
	if len(cs) == 0 {
		return ""
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].n < cs[j].n
	})
	if len(cs) > 5 {
		cs = cs[:5]
	}
	l := make([]string, len(cs))
	for i, x := range cs {
		l[i] = x.n
	}
	return "; did you mean: " + strings.Join(l, ", ") + "?"
}

// Entry is one row of `ouroeval tasks list`.
type Entry struct {
	Name       string
	Kind       string // "task", "group" or "tag"
	OutputType string // tasks only
	Version    string
	Source     string
	// Description is one short line: a task's description (or its
	// generator's); for a group or tag, its member count and a group's
	// aggregate, so listings stay narrow however large the group.
	Description string
	// Members are a group's direct entries (tasks or groups) or a tag's
	// tasks; nil for a task.
	Members []string
}

// List returns one entry per task, group and tag, sorted by name.
func (c *Catalog) List() []Entry {
	var out []Entry
	for _, n := range c.Names() {
		if t, ok := c.tasks[n]; ok {
			out = append(out, Entry{Name: n, Kind: "task", OutputType: t.Spec.OutputType, Version: t.Version, Source: t.Source, Description: t.summary()})
		} else if g, ok := c.groups[n]; ok {
			v := ""
			if x, ok := g.Metadata["version"]; ok {
				v = pyStr(x)
			}
			out = append(out, Entry{Name: n, Kind: "group", Version: v, Source: g.Source, Description: g.summary(), Members: g.Tasks})
		} else {
			out = append(out, Entry{Name: n, Kind: "tag", Description: fmt.Sprintf("tag of %s", count(len(c.tags[n]), "task")), Members: c.tags[n]})
		}
	}
	return out
}

// summary is a one-line description of g for listings: its
// metadata.description if any, the member count and what it aggregates.
func (g *GroupSpec) summary() string {
	var b strings.Builder
	if d, ok := g.Metadata["description"].(string); ok && d != "" {
		b.WriteString(d)
		b.WriteString("; ")
	}
	fmt.Fprintf(&b, "group of %s", count(len(g.Tasks), "member"))
	if len(g.AggregateMetricList) == 0 {
		b.WriteString(", no aggregate")
		return b.String()
	}
	b.WriteString(", aggregate ")
	for i, a := range g.AggregateMetricList {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Metric + "," + strings.Join(a.FilterList, "|"))
		if !a.WeightBySize {
			b.WriteString(" (unweighted)")
		}
	}
	return b.String()
}

// count is "1 task", "2 tasks".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// summary is a one-line description of t for listings.
func (t *Task) summary() string {
	if d, ok := t.Spec.Metadata["description"].(string); ok && d != "" {
		return d
	}
	if t.Spec.DatasetPath == procDatasetPath {
		if g, err := lookupGenerator(t.Spec.DatasetName); err == nil {
			return g.Description()
		}
	}
	if d := strings.TrimSpace(t.Spec.Description); d != "" {
		if i := strings.IndexByte(d, '\n'); i >= 0 {
			d = d[:i]
		}
		return d
	}
	if t.Spec.DatasetName != "" {
		return t.Spec.DatasetPath + " / " + t.Spec.DatasetName
	}
	return t.Spec.DatasetPath
}
