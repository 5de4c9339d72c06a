package tasks

import (
	"fmt"
	"path"
	"strings"
)

// DataFile is one local file a task reads, as its metadata.files declares
// it: the path relative to the data dir (the ../shared/data layout for the
// built-in benchmarks), its sha256 and row count, and optionally where
// `ouroeval data pull` can download exactly these bytes.
type DataFile struct {
	Path   string
	SHA256 string
	Rows   int
	// Hub is the download origin on the Hugging Face hub (nil: none
	// declared; the file must be copied into the data dir by hand).
	Hub *HubFile
}

// HubFile names a file in a Hugging Face dataset repository.
type HubFile struct {
	Repo, Revision, Path string
}

// Source is a task's canonical dataset (metadata.source): the Hugging Face
// dataset id, config and the HF split of each task split.
type Source struct {
	Dataset string
	Config  string
	Splits  map[string]string
}

// DataSource returns metadata.source, ok false when the task declares none.
func (t *Task) DataSource() (Source, bool, error) {
	raw, ok := t.Spec.Metadata["source"]
	if !ok {
		return Source{}, false, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return Source{}, false, fmt.Errorf("task %s: metadata.source must be a mapping", t.Name)
	}
	var s Source
	s.Dataset, _ = m["dataset"].(string)
	if s.Dataset == "" {
		return Source{}, false, fmt.Errorf("task %s: metadata.source.dataset missing", t.Name)
	}
	s.Config, _ = m["config"].(string)
	if sp, ok := m["splits"].(map[string]any); ok {
		s.Splits = map[string]string{}
		for k, v := range sp {
			vs, ok := v.(string)
			if !ok {
				return Source{}, false, fmt.Errorf("task %s: metadata.source.splits.%s must be a split name", t.Name, k)
			}
			s.Splits[k] = vs
		}
	}
	return s, true, nil
}

// DataFiles returns metadata.files, validated: relative clean paths, 64 hex
// digit sha256s, positive row counts, complete hub origins.
func (t *Task) DataFiles() ([]DataFile, error) {
	raw, ok := t.Spec.Metadata["files"]
	if !ok {
		return nil, nil
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, fmt.Errorf("task %s: metadata.files must be a list", t.Name)
	}
	out := make([]DataFile, 0, len(list))
	for i, e := range list {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("task %s: metadata.files[%d]: %s", t.Name, i, fmt.Sprintf(format, args...))
		}
		m, ok := e.(map[string]any)
		if !ok {
			return nil, bad("must be a mapping {path, sha256, rows, hub?}")
		}
		var f DataFile
		f.Path, _ = m["path"].(string)
		if f.Path == "" || path.IsAbs(f.Path) || path.Clean(f.Path) != f.Path || strings.HasPrefix(f.Path, "../") || strings.Contains(f.Path, `\`) {
			return nil, bad("path %q must be a clean relative slash path", f.Path)
		}
		f.SHA256, _ = m["sha256"].(string)
		if !isHex64(f.SHA256) {
			return nil, bad("sha256 %q is not 64 lowercase hex digits", f.SHA256)
		}
		rows, ok := asInt(m["rows"])
		if !ok || rows < 1 {
			return nil, bad("rows must be a positive integer, got %v", m["rows"])
		}
		f.Rows = rows
		if h, ok := m["hub"]; ok {
			hm, ok := h.(map[string]any)
			if !ok {
				return nil, bad("hub must be a mapping {repo, revision, path}")
			}
			var hf HubFile
			hf.Repo, _ = hm["repo"].(string)
			hf.Revision, _ = hm["revision"].(string)
			hf.Path, _ = hm["path"].(string)
			if hf.Repo == "" || hf.Revision == "" || hf.Path == "" {
				return nil, bad("hub needs repo, revision and path")
			}
			f.Hub = &hf
		}
		out = append(out, f)
	}
	return out, nil
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
