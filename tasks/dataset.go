package tasks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/tasks/procedural"
)

const procDatasetPath = "procedural"

// DefaultFewshotSeed is lm-eval's default few-shot seed (--seed
// 0,1234,1234,1234): pass it to Build to reproduce lm-eval's few-shot sets.
const DefaultFewshotSeed = 1234

// LoadOptions configures Task.Load.
type LoadOptions struct {
	// DataDir is the local dataset root: an HF id dataset_path such as
	// "openai/gsm8k" is read from DataDir/openai/gsm8k/[<dataset_name>/]
	// <split>.{jsonl,json,csv,tsv,parquet} (see splitFiles for all
	// layouts). A future `ouroeval data pull` writes exactly there.
	DataDir string
	// Seed seeds procedural generators whose task does not pin
	// dataset_kwargs.seed (the built-in procedural tasks pin it, so their
	// documents do not change with the run seed). Few-shot sampling is
	// seeded by Build's seed argument.
	Seed uint64
	// NumFewshot, when non-nil, overrides the task's num_fewshot.
	NumFewshot *int
}

// Dataset is a loaded task: evaluation documents, the few-shot pool, and
// the compiled templates. Build is safe for concurrent use.
type Dataset struct {
	Task    *Task
	Docs    []Doc
	FewShot []Doc  // few-shot pool (nil when num_fewshot is 0)
	DocHash string // sha256 (hex) over the canonical JSON of Docs, one per line
	// EvalSplit and FewshotSplit name where Docs and FewShot came from
	// ("fewshot_config.samples" for inline samples).
	EvalSplit, FewshotSplit string
	NumFewshot              int

	docKey  []string // canonical JSON per eval doc (few-shot self-removal)
	poolKey []string

	text, target, choice, description *Template
	fsText, fsTarget, fsChoice        *Template // few-shot overrides (or the main ones)
	sameSplit                         bool      // fewshot_split == test_split: draw one extra

	mu    sync.Mutex
	draws map[uint64]*drawState
	shots []shotCache
}

type shotCache struct {
	once sync.Once
	text string
	err  error
}

// drawState is lm-eval's per-task sampler RNG: one random.Random(seed)
// advanced once per document in document order.
type drawState struct {
	rnd   *pyRandom
	draws [][]int // draws[i] = pool indices drawn for doc i
}

// Load reads (or generates) the evaluation documents and the few-shot
// pool, applies process_docs and compiles the templates. Errors name the
// task, split, file and row.
func (t *Task) Load(ctx context.Context, opt LoadOptions) (*Dataset, error) {
	s := &t.Spec
	d := &Dataset{Task: t, NumFewshot: s.NumFewshot, draws: map[uint64]*drawState{}}
	if opt.NumFewshot != nil {
		if *opt.NumFewshot < 0 {
			return nil, fmt.Errorf("task %s: num_fewshot override must be >= 0", t.Name)
		}
		d.NumFewshot = *opt.NumFewshot
	}
	switch {
	case s.TestSplit != "":
		d.EvalSplit = s.TestSplit
	case s.ValidationSplit != "":
		d.EvalSplit = s.ValidationSplit
	default:
		return nil, fmt.Errorf("task %s: no test_split or validation_split to evaluate", t.Name)
	}
	var err error
	if d.Docs, err = t.loadSplit(ctx, d.EvalSplit, opt); err != nil {
		return nil, err
	}
	if len(d.Docs) == 0 {
		return nil, fmt.Errorf("task %s: split %s has no documents", t.Name, d.EvalSplit)
	}
	if d.NumFewshot > 0 {
		switch {
		case s.FewshotSplit != "":
			d.FewshotSplit = s.FewshotSplit
		case len(s.FewshotConfig.Samples) > 0:
			d.FewshotSplit = "fewshot_config.samples"
		case s.TrainingSplit != "":
			d.FewshotSplit = s.TrainingSplit
		case s.ValidationSplit != "":
			d.FewshotSplit = s.ValidationSplit
		default:
			d.FewshotSplit = d.EvalSplit
		}
		switch {
		case d.FewshotSplit == "fewshot_config.samples":
			d.FewShot = make([]Doc, len(s.FewshotConfig.Samples))
			copy(d.FewShot, s.FewshotConfig.Samples)
		case d.FewshotSplit == d.EvalSplit:
			d.FewShot = d.Docs
		default:
			if d.FewShot, err = t.loadSplit(ctx, d.FewshotSplit, opt); err != nil {
				return nil, err
			}
		}
		// lm-eval draws num_fewshot+1 only when fewshot_split is the test split.
		d.sameSplit = s.FewshotSplit != "" && s.FewshotSplit == s.TestSplit
		need := d.NumFewshot
		if d.sameSplit {
			need++
		}
		if len(d.FewShot) < need {
			return nil, fmt.Errorf("task %s: num_fewshot %d needs %d few-shot documents but split %s has %d", t.Name, d.NumFewshot, need, d.FewshotSplit, len(d.FewShot))
		}
		d.shots = make([]shotCache, len(d.FewShot))
	}
	if d.docKey, err = canonicalKeys(d.Docs); err != nil {
		return nil, fmt.Errorf("task %s: split %s: %v", t.Name, d.EvalSplit, err)
	}
	h := sha256.New()
	for _, k := range d.docKey {
		h.Write([]byte(k))
		h.Write([]byte{'\n'})
	}
	d.DocHash = hex.EncodeToString(h.Sum(nil))
	if d.FewShot != nil {
		if d.poolKey, err = canonicalKeys(d.FewShot); err != nil {
			return nil, fmt.Errorf("task %s: few-shot split %s: %v", t.Name, d.FewshotSplit, err)
		}
	}
	if err := d.compile(); err != nil {
		return nil, err
	}
	return d, nil
}

func canonicalKeys(docs []Doc) ([]string, error) {
	out := make([]string, len(docs))
	for i, doc := range docs {
		b, err := json.Marshal(doc)
		if err != nil {
			return nil, fmt.Errorf("doc %d: %v", i, err)
		}
		out[i] = string(b)
	}
	return out, nil
}

func (d *Dataset) compile() error {
	s := &d.Task.Spec
	features := map[string]bool{}
	for k := range d.Docs[0] {
		features[k] = true
	}
	var err error
	comp := func(key, src string) *Template {
		if err != nil {
			return nil
		}
		var tp *Template
		tp, err = CompileTemplate(src, features)
		if err != nil {
			err = fmt.Errorf("task %s: %s: %v", d.Task.Name, key, err)
		}
		return tp
	}
	d.text = comp("doc_to_text", s.DocToText)
	d.target = comp("doc_to_target", s.DocToTarget)
	if s.DocToChoiceTemplate != "" {
		d.choice = comp("doc_to_choice", s.DocToChoiceTemplate)
	}
	if s.Description != "" {
		d.description = comp("description", s.Description)
	}
	d.fsText, d.fsTarget, d.fsChoice = d.text, d.target, d.choice
	if s.FewshotConfig.DocToText != "" {
		d.fsText = comp("fewshot_config.doc_to_text", s.FewshotConfig.DocToText)
	}
	if s.FewshotConfig.DocToTarget != "" {
		d.fsTarget = comp("fewshot_config.doc_to_target", s.FewshotConfig.DocToTarget)
	}
	return err
}

// loadSplit reads one split and applies process_docs.
func (t *Task) loadSplit(ctx context.Context, split string, opt LoadOptions) ([]Doc, error) {
	s := &t.Spec
	var docs []Doc
	if s.DatasetPath == procDatasetPath {
		var err error
		docs, err = t.generate(ctx, split, opt)
		if err != nil {
			return nil, fmt.Errorf("task %s: split %s: %w", t.Name, split, err)
		}
	} else {
		files, err := t.splitFiles(split, opt)
		if err != nil {
			return nil, fmt.Errorf("task %s: split %s: %w", t.Name, split, err)
		}
		ro, err := readOptionsOf(s.DatasetKwargs)
		if err != nil {
			return nil, fmt.Errorf("task %s: %w", t.Name, err)
		}
		for _, f := range files {
			ds, err := readFile(ctx, f, s.DatasetPath, ro)
			if err != nil {
				return nil, fmt.Errorf("task %s: split %s: %w", t.Name, split, err)
			}
			docs = append(docs, ds...)
		}
	}
	if len(s.DocFilter) > 0 {
		var err error
		if docs, err = filterDocs(docs, s.DocFilter); err != nil {
			return nil, fmt.Errorf("task %s: split %s: %v", t.Name, split, err)
		}
		if len(docs) == 0 {
			return nil, fmt.Errorf("task %s: split %s: no row matches doc_filter %s", t.Name, split, filterString(s.DocFilter))
		}
	}
	if s.ProcessDocs != "" {
		p, _ := lookupPreprocessor(s.ProcessDocs)
		out := make([]Doc, len(docs))
		for i, doc := range docs {
			nd, err := p(doc)
			if err != nil {
				return nil, fmt.Errorf("task %s: split %s: doc %d: process_docs %s: %v", t.Name, split, i, s.ProcessDocs, err)
			}
			out[i] = nd
		}
		docs = out
	}
	return docs, nil
}

// filterDocs keeps the docs whose fields equal every doc_filter value
// (non-string scalars compared in their Python str() form). A row without
// one of the fields is an error naming the row: a misspelt field would
// otherwise silently select nothing.
func filterDocs(docs []Doc, filter map[string]string) ([]Doc, error) {
	keys := make([]string, 0, len(filter))
	for k := range filter {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := docs[:0:0]
	for i, doc := range docs {
		keep := true
		for _, k := range keys {
			v, ok := doc[k]
			if !ok {
				return nil, fmt.Errorf("doc %d: doc_filter: field %q missing (row fields: %s)", i, k, strings.Join(docFields(doc), ", "))
			}
			var sv string
			switch x := v.(type) {
			case string:
				sv = x
			case []any, map[string]any:
				return nil, fmt.Errorf("doc %d: doc_filter: field %q is %s, not a scalar", i, k, pyStr(v))
			default:
				sv = pyStr(v)
			}
			if sv != filter[k] {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, doc)
		}
	}
	return out, nil
}

// docFields lists a doc's field names, sorted.
func docFields(doc Doc) []string {
	out := make([]string, 0, len(doc))
	for k := range doc {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// filterString renders a doc_filter as {a: x, b: y}, keys sorted.
func filterString(filter map[string]string) string {
	keys := make([]string, 0, len(filter))
	for k := range filter {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + filter[k]
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Procedural dataset_kwargs handled by tasks (the rest go to the
// generator's Configure).
const (
	kwSeed       = "seed"
	kwSizeSuffix = "_size" // e.g. test_size: 1000
)

// DefaultProceduralSize is the number of documents generated per split
// when dataset_kwargs has no <split>_size.
const DefaultProceduralSize = 1000

func lookupGenerator(name string) (procedural.Generator, error) {
	return procedural.Lookup(name)
}

// Dump writes documents 0..n-1 of split of a procedural task as JSON Lines
// (procedural.Dump), seeded like Load: dataset_kwargs.seed when the task
// pins it, else opt.Seed. `ouroeval tasks dump` calls this, so training
// data and evaluation sets come from one configured generator.
func (t *Task) Dump(w io.Writer, split string, n int, opt LoadOptions) error {
	g, seed, _, seedSet, err := t.Generator()
	if err != nil {
		return err
	}
	if !seedSet {
		seed = opt.Seed
	}
	return procedural.Dump(w, g, split, n, seed)
}

// Generator returns the procedural generator of a `dataset_path:
// procedural` task configured with the task's dataset_kwargs, the seed the
// task pins (dataset_kwargs.seed; seedSet false when absent, and Load then
// uses LoadOptions.Seed) and the per-split sizes (dataset_kwargs
// <split>_size; absent splits get DefaultProceduralSize).
func (t *Task) Generator() (g procedural.Generator, seed uint64, sizes map[string]int, seedSet bool, err error) {
	s := &t.Spec
	if s.DatasetPath != procDatasetPath {
		return nil, 0, nil, false, fmt.Errorf("task %s is not procedural (dataset_path %s)", t.Name, s.DatasetPath)
	}
	g, err = procedural.Lookup(s.DatasetName)
	if err != nil {
		return nil, 0, nil, false, fmt.Errorf("task %s: %v", t.Name, err)
	}
	sizes = map[string]int{}
	rest := map[string]any{}
	for k, v := range s.DatasetKwargs {
		switch {
		case k == kwSeed:
			n, ok := asInt(v)
			if !ok || n < 0 {
				return nil, 0, nil, false, fmt.Errorf("task %s: dataset_kwargs.seed must be a non-negative integer, got %v", t.Name, v)
			}
			seed, seedSet = uint64(n), true
		case strings.HasSuffix(k, kwSizeSuffix) && contains(g.Splits(), strings.TrimSuffix(k, kwSizeSuffix)):
			n, ok := asInt(v)
			if !ok || n < 1 {
				return nil, 0, nil, false, fmt.Errorf("task %s: dataset_kwargs.%s must be a positive integer, got %v", t.Name, k, v)
			}
			sizes[strings.TrimSuffix(k, kwSizeSuffix)] = n
		default:
			rest[k] = v
		}
	}
	if c, ok := g.(procedural.Configurable); ok {
		if g, err = c.Configure(rest); err != nil {
			return nil, 0, nil, false, fmt.Errorf("task %s: dataset_kwargs: %v", t.Name, err)
		}
	} else if len(rest) > 0 {
		keys := make([]string, 0, len(rest))
		for k := range rest {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return nil, 0, nil, false, fmt.Errorf("task %s: generator %s takes no dataset_kwargs (got %s; only seed and <split>_size are understood)", t.Name, g.Name(), strings.Join(keys, ", "))
	}
	return g, seed, sizes, seedSet, nil
}

func (t *Task) generate(ctx context.Context, split string, opt LoadOptions) ([]Doc, error) {
	g, seed, sizes, seedSet, err := t.Generator()
	if err != nil {
		return nil, err
	}
	if !seedSet {
		seed = opt.Seed
	}
	if !contains(g.Splits(), split) {
		return nil, fmt.Errorf("generator %s has no split %q (splits: %s)", g.Name(), split, strings.Join(g.Splits(), ", "))
	}
	n := sizes[split]
	if n == 0 {
		n = DefaultProceduralSize
	}
	docs := make([]Doc, n)
	for i := range docs {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		doc, err := g.Doc(split, seed, i)
		if err != nil {
			return nil, fmt.Errorf("generator %s: doc %d: %v", g.Name(), i, err)
		}
		docs[i] = doc
	}
	return docs, nil
}

func asInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case int64:
		return int(x), true
	case uint64:
		return int(x), true
	case float64:
		if x == float64(int(x)) {
			return int(x), true
		}
	}
	return 0, false
}

// Sample is one rendered document: the exact prompt and the requests to
// send.
type Sample struct {
	DocID int
	Doc   Doc
	// Prompt is the exact context as sent (description and few-shot
	// examples included). For multiple-input tasks (doc_to_text yields a
	// choice index, e.g. Winogrande) it is the shared prefix; each request
	// appends one choice. For loglikelihood_rolling it is the scored text.
	Prompt string
	// Target is doc_to_target rendered: the gold text (generate_until), the
	// gold choice text (multiple_choice), the continuation (loglikelihood).
	Target string
	// Targets lists every acceptable gold text when doc_to_target yields a
	// list (else nil).
	Targets   []string
	GoldIndex int   // multiple_choice: index of the gold choice, else -1
	Golds     []int // multiple_choice with several gold indices, else nil
	Choices   []string
	Requests  []Request
	// Breakdown holds the values of Task.Breakdown() fields for this doc.
	Breakdown map[string]string
	// FewshotIDs are the indices into Dataset.FewShot of the examples used.
	FewshotIDs []int
}

// Request is one request of a sample.
type Request struct {
	Kind          backends.Kind
	Generate      *backends.GenerateRequest
	LogLikelihood *backends.LogLikelihoodRequest
	Rolling       *backends.RollingRequest
}

// DocError is an error rendering one document.
type DocError struct {
	Task string
	Doc  int
	What string // e.g. "doc_to_text", "few-shot example 3: doc_to_target"
	Err  error
}

func (e *DocError) Error() string {
	return fmt.Sprintf("task %s: doc %d: %s: %v", e.Task, e.Doc, e.What, e.Err)
}

func (e *DocError) Unwrap() error { return e.Err }

// Build renders document i: description, few-shot examples (lm-eval's
// sampler seeded with seed: pass DefaultFewshotSeed to match lm-eval's
// defaults), the document's text, and the requests. The same (i, seed)
// always gives the same sample, whatever the order or concurrency of calls.
func (d *Dataset) Build(i int, seed uint64) (*Sample, error) {
	if i < 0 || i >= len(d.Docs) {
		return nil, fmt.Errorf("task %s: doc %d out of range (0..%d)", d.Task.Name, i, len(d.Docs)-1)
	}
	s := &d.Task.Spec
	doc := d.Docs[i]
	derr := func(what string, err error) error {
		return &DocError{Task: d.Task.Name, Doc: i, What: what, Err: err}
	}
	sm := &Sample{DocID: i, Doc: doc, GoldIndex: -1}
	var desc string
	if d.description != nil {
		var err error
		if desc, err = d.description.Render(doc); err != nil {
			return nil, derr("description", err)
		}
	}
	var shotBuf [8]string
	shots := shotBuf[:0]
	size := len(desc)
	if d.NumFewshot > 0 {
		ids, err := d.fewshotIDs(i, seed)
		if err != nil {
			return nil, derr("few-shot sampling", err)
		}
		sm.FewshotIDs = ids
		for _, j := range ids {
			ex, err := d.shot(j)
			if err != nil {
				return nil, derr(fmt.Sprintf("few-shot example (pool doc %d of %s)", j, d.FewshotSplit), err)
			}
			shots = append(shots, ex)
			size += len(ex)
		}
	}
	var choices []string
	if s.HasChoices() {
		var err error
		if choices, err = d.choicesOf(doc, d.choice); err != nil {
			return nil, derr("doc_to_choice", err)
		}
		sm.Choices = choices
	}
	textV, err := d.textOf(doc, d.text)
	if err != nil {
		return nil, derr("doc_to_text", err)
	}
	multiInput := false
	var b strings.Builder
	if str, ok := textV.(string); ok {
		size += len(str)
	}
	b.Grow(size + 16)
	b.WriteString(desc)
	for _, ex := range shots {
		b.WriteString(ex)
	}
	switch x := textV.(type) {
	case string:
		b.WriteString(x)
	case int:
		if choices == nil {
			b.WriteString(strconv.Itoa(x))
		} else {
			multiInput = true // lm-eval: the prompt is the few-shot prefix only
			if x < 0 || x >= len(choices) {
				return nil, derr("doc_to_text", fmt.Errorf("choice index %d out of range (%d choices)", x, len(choices)))
			}
			sm.GoldIndex = x
		}
	}
	sm.Prompt = b.String()

	targetV, err := d.targetOf(doc, d.target)
	if err != nil {
		return nil, derr("doc_to_target", err)
	}
	if err := d.resolveGold(sm, targetV, choices, multiInput); err != nil {
		return nil, derr("doc_to_target", err)
	}
	if bd := d.Task.Breakdown(); len(bd) > 0 {
		sm.Breakdown = make(map[string]string, len(bd))
		for _, f := range bd {
			v, ok := doc[f]
			if !ok {
				return nil, derr("metadata.breakdown", fmt.Errorf("field %q not found in the document", f))
			}
			sm.Breakdown[f] = pyStr(v)
		}
	}
	d.requests(sm, seed, multiInput)
	return sm, nil
}

func (d *Dataset) resolveGold(sm *Sample, targetV any, choices []string, multiInput bool) error {
	s := &d.Task.Spec
	if multiInput {
		// Winogrande style: the target is the shared continuation.
		sm.Target = pyStr(targetV)
		return nil
	}
	switch s.OutputType {
	case OutputMultipleChoice:
		idx := func(v any) (int, error) {
			if n, ok := asInt(v); ok {
				if n < 0 || n >= len(choices) {
					return 0, fmt.Errorf("gold index %d out of range (%d choices)", n, len(choices))
				}
				return n, nil
			}
			str, ok := v.(string)
			if !ok {
				return 0, fmt.Errorf("gold must be a choice index or choice text, got %s", pyStr(v))
			}
			for k, c := range choices {
				if c == str {
					return k, nil
				}
			}
			return 0, fmt.Errorf("gold %q is not one of the choices %s", str, pyStr(toAnyList(choices)))
		}
		if l, ok := targetV.([]any); ok {
			if len(l) == 0 {
				return fmt.Errorf("empty gold list")
			}
			for _, e := range l {
				k, err := idx(e)
				if err != nil {
					return err
				}
				sm.Golds = append(sm.Golds, k)
			}
			sm.GoldIndex = sm.Golds[0]
		} else {
			k, err := idx(targetV)
			if err != nil {
				return err
			}
			sm.GoldIndex = k
		}
		sm.Target = choices[sm.GoldIndex]
	default:
		str := func(v any) string {
			if n, ok := v.(int); ok && choices != nil && n >= 0 && n < len(choices) {
				return choices[n]
			}
			return pyStr(v)
		}
		if l, ok := targetV.([]any); ok {
			for _, e := range l {
				sm.Targets = append(sm.Targets, str(e))
			}
			if len(sm.Targets) > 0 {
				sm.Target = sm.Targets[0]
			}
		} else {
			sm.Target = str(targetV)
		}
	}
	return nil
}

func toAnyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func (d *Dataset) requests(sm *Sample, seed uint64, multiInput bool) {
	s := &d.Task.Spec
	switch s.OutputType {
	case OutputGenerateUntil:
		g := s.GenerationKwargs
		sm.Requests = []Request{{Kind: backends.KindGenerate, Generate: &backends.GenerateRequest{
			Prompt:      sm.Prompt,
			Stop:        append([]string(nil), g.Until...),
			MaxTokens:   g.MaxGenToks,
			Temperature: g.Temperature,
			TopP:        g.TopP,
			TopK:        g.TopK,
			MinP:        g.MinP,
			Seed:        int64(seed),
			N:           s.Repeats,
		}}}
	case OutputMultipleChoice:
		sm.Requests = make([]Request, len(sm.Choices))
		for k, c := range sm.Choices {
			ll := &backends.LogLikelihoodRequest{Context: sm.Prompt, Continuation: s.TargetDelimiter + c}
			if multiInput {
				ll = &backends.LogLikelihoodRequest{Context: sm.Prompt + c, Continuation: s.TargetDelimiter + sm.Target}
			}
			sm.Requests[k] = Request{Kind: backends.KindLogLikelihood, LogLikelihood: ll}
		}
	case OutputLogLikelihood:
		// lm-eval: (ctx, doc_to_target(doc)) — no target_delimiter.
		sm.Requests = []Request{{Kind: backends.KindLogLikelihood, LogLikelihood: &backends.LogLikelihoodRequest{Context: sm.Prompt, Continuation: sm.Target}}}
	case OutputRolling:
		sm.Prompt = sm.Target
		sm.Requests = []Request{{Kind: backends.KindRolling, Rolling: &backends.RollingRequest{Text: sm.Target}}}
	}
}

// fewshotIDs returns the pool indices of doc i's few-shot examples.
func (d *Dataset) fewshotIDs(i int, seed uint64) ([]int, error) {
	n := d.NumFewshot
	draw := n
	if d.sameSplit {
		draw++
	}
	var drawn []int
	if d.Task.Spec.FewshotConfig.Sampler == SamplerFirstN {
		drawn = make([]int, draw)
		for k := range drawn {
			drawn[k] = k
		}
	} else {
		d.mu.Lock()
		st, ok := d.draws[seed]
		if !ok {
			st = &drawState{rnd: newPyRandom(seed)}
			d.draws[seed] = st
		}
		for len(st.draws) <= i {
			ids, err := st.rnd.sample(len(d.FewShot), draw)
			if err != nil {
				d.mu.Unlock()
				return nil, err
			}
			st.draws = append(st.draws, ids)
		}
		drawn = st.draws[i]
		d.mu.Unlock()
	}
	// lm-eval: [x for x in fewshotex if x != doc][:num_fewshot]
	out := make([]int, 0, n)
	for _, j := range drawn {
		if d.poolKey[j] == d.docKey[i] {
			continue
		}
		if len(out) < n {
			out = append(out, j)
		}
	}
	return out, nil
}

// shot renders pool doc j as a labelled example, cached.
func (d *Dataset) shot(j int) (string, error) {
	c := &d.shots[j]
	c.once.Do(func() { c.text, c.err = d.renderShot(d.FewShot[j]) })
	return c.text, c.err
}

// renderShot follows lm-eval's ContextSampler.get_context for one example.
func (d *Dataset) renderShot(doc Doc) (string, error) {
	s := &d.Task.Spec
	var choices []string
	if s.HasChoices() {
		var err error
		if choices, err = d.choicesOf(doc, d.fsChoice); err != nil {
			return "", fmt.Errorf("doc_to_choice: %w", err)
		}
	}
	var b strings.Builder
	textV, err := d.textOf(doc, d.fsText)
	if err != nil {
		return "", fmt.Errorf("doc_to_text: %w", err)
	}
	switch x := textV.(type) {
	case string:
		b.WriteString(x)
	case int:
		if choices != nil && x >= 0 && x < len(choices) {
			b.WriteString(choices[x])
		} else {
			b.WriteString(strconv.Itoa(x))
		}
	}
	targetV, err := d.targetOf(doc, d.fsTarget)
	if err != nil {
		return "", fmt.Errorf("doc_to_target: %w", err)
	}
	var target string
	switch x := targetV.(type) {
	case string:
		target = x
	case []any:
		if len(x) > 0 {
			target = pyStr(x[0])
		}
	case int:
		if choices != nil {
			if x < 0 || x >= len(choices) {
				return "", fmt.Errorf("doc_to_target: gold index %d out of range (%d choices)", x, len(choices))
			}
			target = choices[x]
		} else {
			target = strconv.Itoa(x)
		}
	default:
		target = pyStr(x)
	}
	if target != "" {
		b.WriteString(s.TargetDelimiter)
		b.WriteString(target)
		b.WriteString(s.FewshotDelimiter)
	}
	return b.String(), nil
}

// textOf is lm-eval's doc_to_text: a field's value (an int means a choice
// index, multiple-input) or the rendered template.
func (d *Dataset) textOf(doc Doc, t *Template) (any, error) {
	if t.Field() != "" {
		v, err := t.Value(doc)
		if err != nil {
			return nil, err
		}
		if n, ok := v.(int64); ok {
			return int(n), nil
		}
		if str, ok := v.(string); ok {
			return str, nil
		}
		return pyStr(v), nil
	}
	return t.Render(doc)
}

// targetOf is lm-eval's doc_to_target: a field's value, or the rendered
// template where a digit string means a choice index (when doc_to_choice is
// set) and "[...]" a Python list literal.
func (d *Dataset) targetOf(doc Doc, t *Template) (any, error) {
	if t.Field() != "" {
		v, err := t.Value(doc)
		if err != nil {
			return nil, err
		}
		return normTarget(v), nil
	}
	str, err := t.Render(doc)
	if err != nil {
		return nil, err
	}
	if d.Task.Spec.HasChoices() && isDigits(str) {
		if n, err := strconv.Atoi(str); err == nil {
			return n, nil
		}
	}
	if len(str) >= 2 && str[0] == '[' && str[len(str)-1] == ']' {
		if v, err := parsePyLiteral(str); err == nil {
			return normTarget(v), nil
		}
	}
	return str, nil
}

func normTarget(v any) any {
	switch x := v.(type) {
	case int64:
		return int(x)
	case float64:
		if x == float64(int(x)) && d2i(x) {
			return int(x)
		}
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normTarget(e)
		}
		return out
	}
	return v
}

func d2i(f float64) bool { return f > -1e15 && f < 1e15 }

// isDigits is Python's str.isdigit for the common (ASCII and Unicode Nd)
// cases: non-empty, every rune a digit.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// choicesOf is lm-eval's doc_to_choice.
func (d *Dataset) choicesOf(doc Doc, t *Template) ([]string, error) {
	s := &d.Task.Spec
	if s.DocToChoiceList != nil {
		return s.DocToChoiceList, nil
	}
	v, err := t.Value(doc)
	if err != nil {
		return nil, err
	}
	if str, ok := v.(string); ok {
		if v, err = parsePyLiteral(str); err != nil {
			return nil, fmt.Errorf("template %q gave %q, not a list: %v", t.Source(), str, err)
		}
	}
	switch x := v.(type) {
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = pyStr(e)
		}
		return out, nil
	case []string:
		return x, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = pyStr(x[k])
		}
		return out, nil
	}
	return nil, fmt.Errorf("template %q must give a list of choices, got %s", t.Source(), pyStr(v))
}

// Prompt returns the exact prompt of document doc of the task called name
// (see Task.Prompt); groups and unknown names are errors with near matches.
func (c *Catalog) Prompt(ctx context.Context, name string, doc int, opt LoadOptions, seed uint64) (string, error) {
	t, ok := c.tasks[name]
	if !ok {
		if _, isGroup := c.Group(name); isGroup {
			return "", fmt.Errorf("tasks: %s is a group or tag, not a task (members: %s)", name, strings.Join(c.mustMembers(name), ", "))
		}
		return "", fmt.Errorf("tasks: unknown task %q%s", name, c.nearMatches(name))
	}
	return t.Prompt(ctx, doc, opt, seed)
}

func (c *Catalog) mustMembers(name string) []string {
	m, _ := c.Group(name)
	return m
}

// Prompt loads t and returns the exact prompt of document i as sent (few-shot
// included), for `ouroeval tasks show NAME --doc N`.
func (t *Task) Prompt(ctx context.Context, i int, opt LoadOptions, seed uint64) (string, error) {
	d, err := t.Load(ctx, opt)
	if err != nil {
		return "", err
	}
	sm, err := d.Build(i, seed)
	if err != nil {
		return "", err
	}
	return sm.Prompt, nil
}
