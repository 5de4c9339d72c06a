package tasks

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ouroeval/ouroeval/internal/pyrepr"
	"github.com/parquet-go/parquet-go"
)

// ErrDataNotFound is wrapped by Load errors meaning "the dataset's files are
// not on this machine" (as opposed to files that exist but are malformed).
var ErrDataNotFound = errors.New("dataset files not found")

// Doc is one dataset row: the fields templates refer to. Values are
// string, int64, float64, bool, nil, []any and map[string]any (JSON
// integers stay integers, as in Python).
type Doc = map[string]any

// fileFormats maps dataset_path format names (as in datasets.load_dataset)
// and file extensions to a reader.
var fileFormats = map[string]string{
	"json": "json", "jsonl": "jsonl", "csv": "csv", "tsv": "tsv", "parquet": "parquet",
}

// formatOf returns the format of file from its extension (".gz" ignored);
// hint is the dataset_path format name, used when the extension says
// nothing.
func formatOf(file, hint string) (string, error) {
	name := strings.TrimSuffix(strings.ToLower(file), ".gz")
	switch ext := filepath.Ext(name); ext {
	case ".jsonl", ".ndjson":
		return "jsonl", nil
	case ".json":
		if hint == "jsonl" {
			return "jsonl", nil
		}
		return "json", nil
	case ".csv":
		return "csv", nil
	case ".tsv":
		return "tsv", nil
	case ".parquet":
		return "parquet", nil
	}
	if f, ok := fileFormats[hint]; ok {
		return f, nil
	}
	return "", fmt.Errorf("%s: unknown file format (use .jsonl, .json, .csv, .tsv or .parquet, optionally .gz)", file)
}

// readOptions are the dataset_kwargs that change how a file is read, with
// the meaning Hugging Face datasets' loaders give them.
type readOptions struct {
	// Field is the json loader's field: the key of the row list in a
	// JSON object.
	Field string
	// ColumnNames is the csv loader's column_names: the file has no
	// header row and its columns are named, in order, by these names.
	ColumnNames []string
}

// readOptionsOf reads dataset_kwargs.field and dataset_kwargs.column_names.
func readOptionsOf(kw map[string]any) (readOptions, error) {
	var o readOptions
	if v, ok := kw["field"]; ok {
		f, ok := v.(string)
		if !ok {
			return o, fmt.Errorf("dataset_kwargs.field: expected a string, got %v", v)
		}
		o.Field = f
	}
	v, ok := kw["column_names"]
	if !ok {
		return o, nil
	}
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return o, fmt.Errorf("dataset_kwargs.column_names: expected a non-empty list of column names, got %v", v)
	}
	seen := map[string]bool{}
	for i, x := range l {
		n, ok := x.(string)
		if !ok || n == "" {
			return o, fmt.Errorf("dataset_kwargs.column_names[%d]: expected a non-empty string, got %v", i, x)
		}
		if seen[n] {
			return o, fmt.Errorf("dataset_kwargs.column_names: %q appears twice", n)
		}
		seen[n] = true
		o.ColumnNames = append(o.ColumnNames, n)
	}
	return o, nil
}

// readFile reads every row of one local data file.
func readFile(ctx context.Context, file, hint string, opt readOptions) ([]Doc, error) {
	format, err := formatOf(file, hint)
	if err != nil {
		return nil, err
	}
	if opt.ColumnNames != nil && format != "csv" && format != "tsv" {
		return nil, fmt.Errorf("%s: dataset_kwargs.column_names applies to csv and tsv files only, not %s", file, format)
	}
	if format == "parquet" {
		return readParquet(ctx, file)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<16)
	if strings.HasSuffix(strings.ToLower(file), ".gz") {
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		defer gz.Close()
		r = gz
	}
	switch format {
	case "jsonl":
		return readJSONL(ctx, r, file)
	case "json":
		return readJSON(r, file, opt.Field)
	case "csv":
		return readCSV(ctx, r, file, ',', opt.ColumnNames)
	case "tsv":
		return readCSV(ctx, r, file, '\t', opt.ColumnNames)
	}
	return nil, fmt.Errorf("%s: unsupported format %s", file, format)
}

func readJSONL(ctx context.Context, r io.Reader, file string) ([]Doc, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<30)
	var docs []Doc
	line := 0
	for sc.Scan() {
		line++
		if line%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		v, err := decodeJSON(b)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: invalid JSON: %v", file, line, err)
		}
		d, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s:%d: each line must be a JSON object, got %s", file, line, jsonKind(v))
		}
		docs = append(docs, d)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %v", file, line+1, err)
	}
	return docs, nil
}

func readJSON(r io.Reader, file, field string) ([]Doc, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	v, err := decodeJSON(b)
	if err != nil {
		// datasets' json loader also accepts JSON Lines in .json files.
		if docs, err2 := readJSONL(context.Background(), bytes.NewReader(b), file); err2 == nil {
			return docs, nil
		}
		return nil, fmt.Errorf("%s: invalid JSON: %v", file, err)
	}
	if field != "" {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: field %q requested but the file holds %s, not an object", file, field, jsonKind(v))
		}
		if v, ok = obj[field]; !ok {
			return nil, fmt.Errorf("%s: no field %q in the top-level object", file, field)
		}
	}
	switch x := v.(type) {
	case []any:
		docs := make([]Doc, len(x))
		for i, e := range x {
			d, ok := e.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: row %d must be a JSON object, got %s", file, i, jsonKind(e))
			}
			docs[i] = d
		}
		return docs, nil
	case map[string]any:
		// A single object: either one row, or columns of equal length.
		return []Doc{x}, nil
	}
	return nil, fmt.Errorf("%s: expected a list of objects, got %s", file, jsonKind(v))
}

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data after the JSON value")
	}
	return fixNumbers(v), nil
}

// fixNumbers turns json.Number into int64 (integer literals) or float64.
func fixNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				return n
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = fixNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixNumbers(e)
		}
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}

// readCSV reads a header row and records - or, when names is not nil,
// headerless records whose columns names names (datasets' column_names),
// each of exactly len(names) fields. Columns whose every non-empty
// value is an integer (or number) become int64 (float64), like pandas'
// type inference in datasets' csv loader - but only when printing the
// number the way Python does gives back the exact text ("2.50" or "007"
// keep the column a string), so templates never alter a value's text.
func readCSV(ctx context.Context, r io.Reader, file string, sep rune, names []string) ([]Doc, error) {
	cr := csv.NewReader(r)
	cr.Comma = sep
	cr.FieldsPerRecord = 0
	if sep == '\t' {
		cr.LazyQuotes = true
	}
	header := names
	if names != nil {
		cr.FieldsPerRecord = len(names)
	} else {
		var err error
		header, err = cr.Read()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: empty file (expected a header row, or dataset_kwargs.column_names for a file without one)", file)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", file, err)
		}
	}
	var rows [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if errors.Is(pe.Err, csv.ErrFieldCount) && names != nil {
					return nil, fmt.Errorf("%s:%d: %d fields, want %d (dataset_kwargs.column_names %v)", file, pe.Line, len(rec), len(names), names)
				}
				return nil, fmt.Errorf("%s:%d: %v", file, pe.Line, pe.Err)
			}
			return nil, fmt.Errorf("%s: %v", file, err)
		}
		if len(rows)%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rows = append(rows, rec)
	}
	kinds := make([]int, len(header)) // 0 int, 1 float, 2 string
	for c := range header {
		for _, rec := range rows {
			v := rec[c]
			if v == "" {
				continue
			}
			if kinds[c] == 0 {
				if n, err := strconv.ParseInt(v, 10, 64); err != nil || strconv.FormatInt(n, 10) != v {
					kinds[c] = 1
				}
			}
			if kinds[c] == 1 {
				if f, err := strconv.ParseFloat(v, 64); err != nil || pyrepr.Float(f) != v {
					kinds[c] = 2
					break
				}
			}
		}
	}
	docs := make([]Doc, len(rows))
	for i, rec := range rows {
		d := make(Doc, len(header))
		for c, h := range header {
			v := rec[c]
			switch {
			case kinds[c] == 2:
				d[h] = v
			case v == "":
				d[h] = nil
			case kinds[c] == 0:
				d[h], _ = strconv.ParseInt(v, 10, 64)
			default:
				d[h], _ = strconv.ParseFloat(v, 64)
			}
		}
		docs[i] = d
	}
	return docs, nil
}

func readParquet(ctx context.Context, file string) (docs []Doc, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			docs, err = nil, fmt.Errorf("%s: corrupt parquet file: %v", file, r)
		}
	}()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	for i := 0; ; i++ {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		m := map[string]any{}
		if err := r.Read(&m); err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("%s: row %d: %v", file, i, err)
		}
		docs = append(docs, normalizeValue(m).(map[string]any))
	}
	return docs, nil
}

// normalizeValue maps parquet's Go values onto the Doc value set.
func normalizeValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeValue(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeValue(e)
		}
		return x
	case []byte:
		return string(x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

// splitFiles finds the local files of one split of a file-based dataset.
//
// Resolution order (the later `ouroeval data pull` writes into DataDir
// with the first layout):
//  1. data_files[split] (relative paths: the task file's directory, then
//     DataDir);
//  2. a dataset directory: dataset_path itself when it is a directory
//     (relative to the task file's directory), else DataDir/dataset_path;
//     inside it the subdirectory dataset_name when present; then files
//     named <split>.<ext>, <split>-*.<ext>, <split>/*.<ext>,
//     or data/<split>-*.<ext>. When <root>/<revision> exists
//     (dataset_kwargs.revision, default "main": the hub cache layout
//     REPO/REVISION/PATH) it is tried before <root>.
func (t *Task) splitFiles(split string, opt LoadOptions) ([]string, error) {
	s := &t.Spec
	if len(s.DataFiles) > 0 {
		files, ok := s.DataFiles[split]
		if !ok {
			avail := make([]string, 0, len(s.DataFiles))
			for k := range s.DataFiles {
				avail = append(avail, k)
			}
			sort.Strings(avail)
			return nil, fmt.Errorf("no data_files for split %q (have: %s)", split, strings.Join(avail, ", "))
		}
		out := make([]string, 0, len(files))
		for _, f := range files {
			p, err := t.locate(f, opt)
			if err != nil {
				return nil, err
			}
			matches, err := filepath.Glob(p)
			if err != nil || len(matches) == 0 {
				matches = []string{p}
			}
			out = append(out, matches...)
		}
		return out, nil
	}
	var roots []string
	if t.dir != "" && !filepath.IsAbs(s.DatasetPath) {
		roots = append(roots, filepath.Join(t.dir, s.DatasetPath))
	}
	if filepath.IsAbs(s.DatasetPath) {
		roots = append(roots, s.DatasetPath)
	}
	if opt.DataDir != "" {
		roots = append(roots, filepath.Join(opt.DataDir, filepath.FromSlash(s.DatasetPath)))
	}
	// The hub cache (tasks/hub) stores REPO/REVISION/PATH: try
	// <root>/<revision> (dataset_kwargs.revision, default "main") first.
	rev, _ := s.DatasetKwargs["revision"].(string)
	if rev == "" {
		rev = "main"
	}
	var expanded []string
	for _, r := range roots {
		// (<root>/main may also be a config named "main", as in
		// openai/gsm8k: both readings are tried.)
		if st, err := os.Stat(filepath.Join(r, rev)); err == nil && st.IsDir() {
			expanded = append(expanded, filepath.Join(r, rev))
		}
		expanded = append(expanded, r)
	}
	roots = expanded
	var tried []string
	for _, root := range roots {
		st, err := os.Stat(root)
		if err != nil || !st.IsDir() {
			tried = append(tried, root)
			continue
		}
		dirs := []string{root}
		if s.DatasetName != "" {
			if st, err := os.Stat(filepath.Join(root, s.DatasetName)); err == nil && st.IsDir() {
				dirs = []string{filepath.Join(root, s.DatasetName), root}
			}
		}
		for _, d := range dirs {
			for _, pat := range []string{split + ".*", split + "-*.*", filepath.Join(split, "*.*"), filepath.Join("data", split+"-*.*")} {
				m, _ := filepath.Glob(filepath.Join(d, pat))
				var ok []string
				for _, f := range m {
					if _, err := formatOf(f, ""); err == nil {
						ok = append(ok, f)
					}
				}
				if len(ok) > 0 {
					sort.Strings(ok)
					return ok, nil
				}
			}
			tried = append(tried, filepath.Join(d, split+".{jsonl,json,csv,tsv,parquet}"))
		}
	}
	hint := ""
	if opt.DataDir == "" {
		hint = fmt.Sprintf("; no data dir is set: use --data-dir DIR holding %s/%s.jsonl (or .json/.csv/.tsv/.parquet), or give data_files", s.DatasetPath, split)
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("%w: dataset %s is not available locally%s", ErrDataNotFound, s.DatasetPath, hint)
	}
	return nil, fmt.Errorf("%w: no files for split %q of dataset %s (looked for %s)%s", ErrDataNotFound, split, s.DatasetPath, strings.Join(tried, ", "), hint)
}

// locate resolves a data file path: absolute; relative to the task file's
// directory; relative to DataDir.
func (t *Task) locate(f string, opt LoadOptions) (string, error) {
	f = filepath.FromSlash(f)
	if filepath.IsAbs(f) {
		return f, nil
	}
	var cands []string
	if t.dir != "" {
		cands = append(cands, filepath.Join(t.dir, f))
	}
	if opt.DataDir != "" {
		cands = append(cands, filepath.Join(opt.DataDir, f))
	}
	for _, c := range cands {
		if m, _ := filepath.Glob(c); len(m) > 0 {
			return c, nil
		}
	}
	if len(cands) == 0 {
		return "", fmt.Errorf("%w: data file %s: relative path but no data dir (--data-dir) set", ErrDataNotFound, f)
	}
	return "", fmt.Errorf("%w: data file %s not found (looked in %s)", ErrDataNotFound, f, strings.Join(cands, ", "))
}
