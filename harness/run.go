package harness

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/ouroeval/ouroeval/backends"
	"github.com/ouroeval/ouroeval/harness/cache"
)

// ErrInterrupted is returned by [Run] when its context was canceled: the
// requests in flight were finished, made durable and written, and the run
// directory records status "interrupted". Re-running resumes from the
// cache.
var ErrInterrupted = errors.New("harness: run interrupted")

// Env is what a run needs from the rest of ouroeval.
type Env struct {
	Catalog Catalog
	Open    Opener
	Stats   Stats
}

// Options control where and how a run executes.
type Options struct {
	// Out is the run directory (created; files in it are overwritten).
	Out string
	// CacheDir is the response cache directory; "" disables caching.
	CacheDir string
	// DataDir is where tasks find local datasets.
	DataDir string
	// Progress reports live progress (nil: none).
	Progress Progress
	// Log receives notes (nil: discarded).
	Log io.Writer
	// Workers bounds bootstrap parallelism (0: GOMAXPROCS).
	Workers int
	// Command is recorded in run.json.
	Command []string
	// Now returns the time (nil: time.Now).
	Now func() time.Time
}

// Result is what a finished (or interrupted) run produced.
type Result struct {
	Dir     string
	Metrics *MetricsFile
	// Requests counts backend calls made; CacheHits those answered from
	// the cache.
	Requests, CacheHits int64
	Notes               []string
}

// model is one opened backend of a run.
type model struct {
	cfg      ModelConfig
	label    string
	backend  backends.Backend
	id       backends.Identity
	idJSON   []byte
	caps     backends.Capabilities
	sem      *semaphore.Weighted
	limit    int
	settings []Setting
	// perDepthR > 0 when the backend scores every depth 1..R in one pass
	// (Capabilities.PerDepth): log-likelihood requests of a fixed-R
	// setting are then sent once at R = perDepthR (the sweep's largest R)
	// and each setting reads its own depth.
	perDepthR int
}

// taskData is one task loaded for one seed, with its documents rendered.
type taskData struct {
	samples    []*Sample
	docHashes  []string
	promptHash []string
	docHash    string // dataset-level
	promptsSum string // sha256 over all prompts, in order
	nTotal     int    // documents before limit
}

type taskRun struct {
	task   *Task
	bySeed map[uint64]*taskData
}

// plan is a validated, fully loaded sweep: nothing can fail in it for
// reasons of bad input once it exists.
type plan struct {
	cfg    *Config
	models []*model
	tasks  []*taskRun
	groups []Group
	notes  []string
}

// Run executes a sweep. Every model spec, task name, dataset and template
// is checked (all documents are rendered) before the first request is sent.
func Run(ctx context.Context, cfg *Config, env Env, opt Options) (*Result, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Out == "" {
		return nil, errors.New("harness: no output directory")
	}
	start := opt.Now()
	p, err := makePlan(ctx, cfg, env, opt)
	if p != nil {
		defer p.close()
	}
	if err != nil {
		return nil, err
	}
	for _, n := range p.notes {
		fmt.Fprintln(opt.Log, "note:", n)
	}
	var c *cache.Cache
	if opt.CacheDir != "" {
		if c, err = cache.Open(opt.CacheDir); err != nil {
			return nil, err
		}
		defer c.Close()
	}
	if err := os.MkdirAll(opt.Out, 0o755); err != nil {
		return nil, fmt.Errorf("harness: %w", err)
	}
	// A metrics.json left by an earlier run in the same directory must not
	// pass for this run's if it is interrupted.
	if err := os.Remove(filepath.Join(opt.Out, "metrics.json")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("harness: %w", err)
	}
	info := p.runInfo(opt, start)
	if err := writeJSON(filepath.Join(opt.Out, "run.json"), info); err != nil {
		return nil, err
	}
	fmt.Fprintf(opt.Log, "run directory: %s\n", opt.Out)

	r := &runner{plan: p, env: env, opt: opt, cache: c}
	runErr := r.execute(ctx)
	res := &Result{Dir: opt.Out, Requests: r.calls.Load(), CacheHits: r.hits.Load(), Notes: p.notes}
	finished := opt.Now()
	info.Finished = finished.UTC().Format(time.RFC3339Nano)
	info.ElapsedSeconds = finished.Sub(start).Seconds()
	info.Requests, info.CacheHits = res.Requests, res.CacheHits
	interrupted := runErr == nil && ctx.Err() != nil
	switch {
	case runErr != nil:
		info.Status = "failed"
		info.Error = runErr.Error()
	case interrupted:
		info.Status = "interrupted"
	default:
		m, err := r.metrics(ctx)
		if err != nil && ctx.Err() != nil {
			// Interrupted while computing metrics: every record is
			// written; re-running recomputes the metrics from the cache.
			info.Status, interrupted = "interrupted", true
			break
		}
		if err != nil {
			info.Status, info.Error = "failed", err.Error()
			runErr = err
			break
		}
		res.Metrics = m
		if err := writeJSON(filepath.Join(opt.Out, "metrics.json"), m); err != nil {
			return res, err
		}
		for _, f := range cfg.Formats {
			if f == "lm-eval" {
				if err := writeLMEval(opt.Out, p, r, m, start); err != nil {
					return res, err
				}
			}
		}
		info.Status = "complete"
	}
	if err := writeJSON(filepath.Join(opt.Out, "run.json"), info); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return res, runErr
	}
	if interrupted {
		return res, ErrInterrupted
	}
	return res, nil
}

func (p *plan) close() {
	for _, m := range p.models {
		if m.backend != nil {
			m.backend.Close()
		}
	}
}

// needs returns the request capability an output type needs.
func needs(outputType string) (func(backends.Capabilities) bool, string) {
	switch outputType {
	case "generate_until":
		return func(c backends.Capabilities) bool { return c.Generate }, "generation"
	case "multiple_choice", "loglikelihood":
		return func(c backends.Capabilities) bool { return c.LogLikelihood }, "log-likelihoods"
	case "loglikelihood_rolling":
		return func(c backends.Capabilities) bool { return c.Rolling }, "rolling log-likelihoods"
	}
	return nil, ""
}

func makePlan(ctx context.Context, cfg *Config, env Env, opt Options) (*plan, error) {
	p := &plan{cfg: cfg}
	tasks, groups, err := env.Catalog.Resolve(cfg.Tasks)
	if err != nil {
		return p, err
	}
	p.groups = groups
	for _, mc := range cfg.Models {
		b, err := env.Open(ctx, mc.Spec)
		if err != nil {
			return p, err
		}
		m := &model{cfg: mc, label: mc.Label(), backend: b, id: b.Identity(), caps: b.Capabilities()}
		p.models = append(p.models, m)
		m.idJSON, _ = json.Marshal(m.id)
		m.limit = cfg.Concurrency
		if mc.Concurrency > 0 {
			m.limit = mc.Concurrency
		}
		if m.caps.MaxConcurrency > 0 && m.caps.MaxConcurrency < m.limit {
			p.notes = append(p.notes, fmt.Sprintf("model %s: concurrency lowered from %d to the backend's limit %d", m.label, m.limit, m.caps.MaxConcurrency))
			m.limit = m.caps.MaxConcurrency
		}
		m.sem = semaphore.NewWeighted(int64(m.limit))
		m.settings = cfg.modelSettings(mc, m.caps.Looped)
		if depths := fixedDepths(m.settings); m.caps.Looped && m.caps.PerDepth && len(depths) > 1 {
			m.perDepthR = depths[len(depths)-1]
			p.notes = append(p.notes, fmt.Sprintf("model %s scores every depth in one pass: log-likelihoods for R in %v come from one request at R=%d each", m.label, depths, m.perDepthR))
		}
		if !m.caps.Looped && (len(cfg.R) > 0 || len(cfg.Q) > 0 || len(cfg.KV) > 0 || len(mc.Settings) > 0) {
			p.notes = append(p.notes, fmt.Sprintf("model %s (%s backend) is not looped: R, q and kv settings do not apply and are not swept for it", m.label, m.id.Kind))
		}
		for _, t := range tasks {
			ok, what := needs(t.OutputType)
			if ok == nil {
				return p, fmt.Errorf("task %s: unknown output_type %q", t.Name, t.OutputType)
			}
			if !ok(m.caps) {
				return p, fmt.Errorf("model %s (%s) cannot run task %s: output_type %s needs %s, which the backend does not support", m.label, mc.Spec, t.Name, t.OutputType, what)
			}
		}
	}
	for _, t := range tasks {
		tr := &taskRun{task: t, bySeed: map[uint64]*taskData{}}
		for _, seed := range cfg.Seeds {
			if _, ok := tr.bySeed[seed]; ok {
				continue
			}
			td, err := loadTask(ctx, t, seed, cfg, opt.DataDir)
			if err != nil {
				return p, err
			}
			tr.bySeed[seed] = td
		}
		p.tasks = append(p.tasks, tr)
	}
	return p, nil
}

// loadTask loads and renders every document of one task for one seed.
func loadTask(ctx context.Context, t *Task, seed uint64, cfg *Config, dataDir string) (*taskData, error) {
	ds, err := t.Load(ctx, LoadOptions{DataDir: dataDir, Seed: seed, NumFewshot: cfg.NumFewshot})
	if err != nil {
		return nil, nameTask(t, -1, err)
	}
	n := ds.Len()
	td := &taskData{nTotal: n, docHash: ds.DocHash()}
	if cfg.Limit > 0 && cfg.Limit < n {
		n = cfg.Limit
	}
	if n == 0 {
		return nil, fmt.Errorf("task %s: no documents", t.Name)
	}
	all := sha256.New()
	for i := 0; i < n; i++ {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		s, err := ds.Build(i, seed)
		if err != nil {
			return nil, nameTask(t, i, err)
		}
		if len(s.Requests) == 0 {
			return nil, fmt.Errorf("task %s: document %d: no requests", t.Name, i)
		}
		if err := checkRequests(t, s); err != nil {
			return nil, fmt.Errorf("task %s: document %d: %w", t.Name, i, err)
		}
		td.samples = append(td.samples, s)
		ph := sha256.Sum256([]byte(s.Prompt))
		td.promptHash = append(td.promptHash, hex.EncodeToString(ph[:]))
		dj, err := json.Marshal(s.Doc)
		if err != nil {
			return nil, fmt.Errorf("task %s: document %d: %w", t.Name, i, err)
		}
		dh := sha256.Sum256(dj)
		td.docHashes = append(td.docHashes, hex.EncodeToString(dh[:]))
		all.Write(ph[:])
	}
	td.promptsSum = hex.EncodeToString(all.Sum(nil))
	return td, nil
}

// nameTask makes sure err names the task (and document i ≥ 0), without
// repeating what the tasks package already says.
func nameTask(t *Task, i int, err error) error {
	msg := err.Error()
	if errors.Is(err, context.Canceled) || strings.Contains(msg, "task "+t.Name) {
		return err
	}
	if i >= 0 {
		return fmt.Errorf("task %s: document %d: %w", t.Name, i, err)
	}
	return fmt.Errorf("task %s: %w", t.Name, err)
}

func checkRequests(t *Task, s *Sample) error {
	for j, r := range s.Requests {
		var ok bool
		switch r.Kind {
		case backends.KindGenerate:
			ok = r.Generate != nil
		case backends.KindLogLikelihood:
			ok = r.LogLikelihood != nil
		case backends.KindRolling:
			ok = r.Rolling != nil
		}
		if !ok {
			return fmt.Errorf("request %d: kind %q without its payload", j, r.Kind)
		}
	}
	if t.OutputType == "multiple_choice" && len(s.Requests) != len(s.Choices) {
		return fmt.Errorf("%d requests for %d choices", len(s.Requests), len(s.Choices))
	}
	return nil
}

// runner executes a plan.
type runner struct {
	plan  *plan
	env   Env
	opt   Options
	cache *cache.Cache
	calls atomic.Int64
	hits  atomic.Int64

	mu      sync.Mutex
	outcome map[jobKey]*jobOutcome
	// bufs recycles record encoding buffers.
	bufs sync.Pool
}

type jobKey struct {
	model, task string
	setting     string
}

// docOutcome is what metrics need of one document.
type docOutcome struct {
	failed bool
	// scores[c][m] for chain c, metric m; valid[c][m] false when that
	// metric could not be computed.
	scores [][]float64
	// weights[c][m] is the denominator term of weighted metrics.
	weights   [][]float64
	extrFail  []bool
	breakdown map[string]string
	// steps is the mean recurrent steps executed per token (hasSteps:
	// the backend reported them).
	steps    float64
	hasSteps bool
}

type jobOutcome struct {
	model   *model
	task    *taskRun
	setting Setting
	docs    []docOutcome
}

func (r *runner) execute(ctx context.Context) error {
	r.outcome = map[jobKey]*jobOutcome{}
	g, gctx := errgroup.WithContext(ctx)
	// Each (model, task) pair writes one samples file; its settings run one
	// after another, pairs run side by side.
	g.SetLimit(max(2, runtime.GOMAXPROCS(0)*2))
	for _, m := range r.plan.models {
		for _, t := range r.plan.tasks {
			g.Go(func() error { return r.runPair(gctx, m, t) })
		}
	}
	err := g.Wait()
	if r.opt.Progress != nil {
		r.opt.Progress.Wait()
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil // interrupted: reported by Run
	}
	return err
}

func (r *runner) runPair(ctx context.Context, m *model, t *taskRun) error {
	if ctx.Err() != nil {
		return nil
	}
	dir := filepath.Join(r.opt.Out, "samples", m.label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, Sanitize(t.task.Name)+".jsonl"))
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	for _, s := range m.settings {
		if ctx.Err() != nil {
			break
		}
		if err := r.runJob(ctx, m, t, s, w); err != nil {
			w.Flush()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// runJob evaluates one (model, task, setting), writing records in document
// order whatever order they complete in.
func (r *runner) runJob(ctx context.Context, m *model, t *taskRun, s Setting, w io.Writer) error {
	td := t.bySeed[s.Seed]
	n := len(td.samples)
	jo := &jobOutcome{model: m, task: t, setting: s, docs: make([]docOutcome, n)}
	var bar JobBar = nopBar{}
	if r.opt.Progress != nil {
		bar = r.opt.Progress.Job(fmt.Sprintf("%s %s %s", m.label, t.task.Name, s.Key()), n)
	}
	defer bar.Done()

	type done struct {
		i   int
		rec *bytes.Buffer
	}
	results := make(chan done, 64)
	// In-flight requests finish even after an interrupt.
	inflight := context.WithoutCancel(ctx)
	var g errgroup.Group
	var fatal atomic.Value
	go func() {
		defer close(results)
		for i := 0; i < n; i++ {
			// Acquire may succeed on a done context; check first so an
			// interrupt dispatches nothing new.
			if ctx.Err() != nil {
				break
			}
			if err := m.sem.Acquire(ctx, 1); err != nil {
				break
			}
			if fatal.Load() != nil {
				m.sem.Release(1)
				break
			}
			g.Go(func() error {
				defer m.sem.Release(1)
				rec, out, err := r.evalDoc(inflight, m, t.task, td, i, s)
				if err != nil {
					fatal.CompareAndSwap(nil, err)
					return err
				}
				jo.docs[i] = out
				line, err := encodeRecord(&r.bufs, rec)
				if err != nil {
					fatal.CompareAndSwap(nil, err)
					return err
				}
				results <- done{i, line}
				return nil
			})
		}
		g.Wait()
	}()
	pending := make([]*bytes.Buffer, n)
	next := 0
	var werr error
	var scoreSum float64
	var scored int
	for d := range results {
		pending[d.i] = d.rec
		o := jo.docs[d.i]
		if !o.failed && len(o.scores) > 0 && len(o.scores[0]) > 0 && !math.IsNaN(o.scores[0][0]) {
			scoreSum += o.scores[0][0]
			scored++
		}
		running := math.NaN()
		if scored > 0 {
			running = scoreSum / float64(scored)
		}
		bar.Add(len(td.samples[d.i].Requests), running)
		for next < n && pending[next] != nil {
			if werr == nil {
				_, werr = w.Write(pending[next].Bytes())
			}
			r.bufs.Put(pending[next])
			pending[next] = nil
			next++
		}
	}
	if err, _ := fatal.Load().(error); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	if next < n {
		// Interrupted: documents after the first gap stay in the cache.
		return ctx.Err()
	}
	r.mu.Lock()
	r.outcome[jobKey{m.label, t.task.Name, s.Key()}] = jo
	r.mu.Unlock()
	return nil
}

// encodeRecord encodes rec as one JSON line into a buffer from pool.
func encodeRecord(pool *sync.Pool, rec *Record) (*bytes.Buffer, error) {
	buf, _ := pool.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rec); err != nil {
		pool.Put(buf)
		return nil, err
	}
	return buf, nil
}

// withOptions returns a copy of req carrying the setting's options.
func withOptions(req Request, s Setting) Request {
	o := backends.Options{R: s.R, Q: s.Q, KV: s.KV}
	switch {
	case req.Generate != nil:
		g := *req.Generate
		g.Options = o
		if g.Seed == 0 {
			g.Seed = int64(s.Seed)
		}
		req.Generate = &g
	case req.LogLikelihood != nil:
		l := *req.LogLikelihood
		l.Options = o
		req.LogLikelihood = &l
	case req.Rolling != nil:
		rr := *req.Rolling
		rr.Options = o
		req.Rolling = &rr
	}
	return req
}

// withDepth returns req asking for depth R (req is already a copy).
func withDepth(req Request, r int) Request {
	switch {
	case req.LogLikelihood != nil:
		req.LogLikelihood.Options.R = r
	case req.Rolling != nil:
		req.Rolling.Options.R = r
	}
	return req
}

// atDepth returns the answer at depth r taken from a per-depth response.
func atDepth(resp response, r int) (response, error) {
	var pd []backends.DepthScore
	switch {
	case resp.ll != nil:
		pd = resp.ll.PerDepth
	case resp.roll != nil:
		pd = resp.roll.PerDepth
	}
	for _, d := range pd {
		if d.R != r {
			continue
		}
		switch {
		case resp.ll != nil:
			ll := *resp.ll
			ll.LogProb, ll.IsGreedy, ll.PerDepth = d.LogProb, d.IsGreedy, nil
			if len(ll.Usage.Steps) > 0 {
				ll.Usage.Steps = fixedSteps(ll.Tokens, r)
			}
			return response{ll: &ll}, nil
		default:
			rl := *resp.roll
			rl.LogProb, rl.PerDepth = d.LogProb, nil
			if len(rl.Usage.Steps) > 0 {
				rl.Usage.Steps = fixedSteps(rl.Tokens, r)
			}
			return response{roll: &rl}, nil
		}
	}
	return response{}, fmt.Errorf("backend declares per-depth scores but returned none for R=%d", r)
}

// fixedDepths returns the distinct fixed depths (R set, no exit
// threshold) among settings, ascending.
func fixedDepths(settings []Setting) []int {
	var out []int
	for _, s := range settings {
		if s.R > 0 && s.Q == nil && !slices.Contains(out, s.R) {
			out = append(out, s.R)
		}
	}
	slices.Sort(out)
	return out
}

// fixedSteps is the steps record of a fixed-depth pass: r per token (used
// only when the backend reports steps).
func fixedSteps(tokens, r int) []int {
	s := make([]int, tokens)
	for i := range s {
		s[i] = r
	}
	return s
}

// response is the answer to one request.
type response struct {
	gen  *backends.GenerateResponse
	ll   *backends.LogLikelihoodResponse
	roll *backends.RollingResponse
}

func (resp response) usage() backends.Usage {
	switch {
	case resp.gen != nil:
		return resp.gen.Usage
	case resp.ll != nil:
		return resp.ll.Usage
	case resp.roll != nil:
		return resp.roll.Usage
	}
	return backends.Usage{}
}

// call answers one request through the cache. A backend error is returned
// as reqErr (recorded, not fatal); a cache write failure is fatal.
func (r *runner) call(ctx context.Context, m *model, req Request) (resp response, cached bool, reqErr, fatal error) {
	var payload any
	switch req.Kind {
	case backends.KindGenerate:
		payload = req.Generate
	case backends.KindLogLikelihood:
		payload = req.LogLikelihood
	case backends.KindRolling:
		payload = req.Rolling
	}
	var key cache.Key
	if r.cache != nil {
		body, err := json.Marshal(payload)
		if err != nil {
			return resp, false, nil, err
		}
		key = cache.KeyOf(m.idJSON, []byte(req.Kind), body)
		if v, ok := r.cache.Get(key); ok {
			if err := resp.decode(req.Kind, v); err == nil {
				r.hits.Add(1)
				return resp, true, nil, nil
			}
			// An undecodable entry (e.g. written by an older version)
			// is recomputed.
		}
	}
	r.calls.Add(1)
	var err error
	switch req.Kind {
	case backends.KindGenerate:
		resp.gen, err = m.backend.Generate(ctx, req.Generate)
	case backends.KindLogLikelihood:
		resp.ll, err = m.backend.LogLikelihood(ctx, req.LogLikelihood)
	case backends.KindRolling:
		resp.roll, err = m.backend.Rolling(ctx, req.Rolling)
	}
	if err == nil && resp.gen == nil && resp.ll == nil && resp.roll == nil {
		err = errors.New("backend returned no response")
	}
	if err != nil {
		return response{}, false, err, nil
	}
	if r.cache != nil {
		// A response JSON cannot hold (a -Inf log-probability) is used but
		// not cached.
		if v, err := resp.encode(); err == nil {
			if err := r.cache.Put(key, v); err != nil {
				return resp, false, nil, err
			}
		}
	}
	return resp, false, nil, nil
}

func (resp response) encode() ([]byte, error) {
	switch {
	case resp.gen != nil:
		return json.Marshal(resp.gen)
	case resp.ll != nil:
		return json.Marshal(resp.ll)
	default:
		return json.Marshal(resp.roll)
	}
}

func (resp *response) decode(kind backends.Kind, v []byte) error {
	switch kind {
	case backends.KindGenerate:
		resp.gen = new(backends.GenerateResponse)
		return json.Unmarshal(v, resp.gen)
	case backends.KindLogLikelihood:
		resp.ll = new(backends.LogLikelihoodResponse)
		return json.Unmarshal(v, resp.ll)
	default:
		resp.roll = new(backends.RollingResponse)
		return json.Unmarshal(v, resp.roll)
	}
}

// evalDoc sends one document's requests, scores the responses and builds
// its record. The returned error is fatal to the run (cache failure);
// request and scoring failures are recorded in the record.
func (r *runner) evalDoc(ctx context.Context, m *model, t *Task, td *taskData, i int, s Setting) (*Record, docOutcome, error) {
	smp := td.samples[i]
	rec := &Record{
		Model: m.label, Task: t.Name, DocID: smp.DocID, Setting: s,
		DocHash: td.docHashes[i], PromptHash: td.promptHash[i],
		Prompt: smp.Prompt, Target: smp.Target, Choices: smp.Choices, Golds: smp.Golds,
		Breakdown: smp.Breakdown,
	}
	if t.OutputType == "multiple_choice" {
		gi := smp.GoldIndex
		rec.GoldIndex = &gi
	}
	out := docOutcome{breakdown: smp.Breakdown}
	in := &ScoreInput{OutputType: t.OutputType, Gold: smp.Target, GoldTexts: smp.Targets, GoldIndex: smp.GoldIndex, Golds: smp.Golds, Choices: smp.Choices}
	if t.OutputType != "generate_until" {
		in.LogLikelihoods = make([]float64, 0, len(smp.Requests))
		in.IsGreedy = make([]bool, 0, len(smp.Requests))
		in.Tokens = make([]int, 0, len(smp.Requests))
	}
	var steps []int
	var errs []string
	rec.Responses = make([]ResponseRecord, len(smp.Requests))
	for j, req := range smp.Requests {
		req = withOptions(req, s)
		depth := 0
		if m.perDepthR > 0 && s.R > 0 && s.Q == nil && req.Kind != backends.KindGenerate {
			depth = s.R
			req = withDepth(req, m.perDepthR)
		}
		resp, cached, reqErr, fatal := r.call(ctx, m, req)
		if fatal != nil {
			return nil, out, fatal
		}
		if reqErr == nil && depth > 0 {
			resp, reqErr = atDepth(resp, depth)
		}
		rr := &rec.Responses[j]
		rr.Kind = req.Kind
		if depth > 0 {
			rr.PerDepthOf = m.perDepthR
		}
		if reqErr != nil {
			rr.Error = reqErr.Error()
			errs = append(errs, fmt.Sprintf("request %d: %v", j, reqErr))
			continue
		}
		if cached {
			rec.Timing.Cached++
		}
		u := resp.usage()
		rec.Tokens.Prompt += u.PromptTokens
		rec.Tokens.Completion += u.CompletionTokens
		rec.Timing.LatencyNS += int64(u.Latency)
		steps = append(steps, u.Steps...)
		switch {
		case resp.gen != nil:
			for _, c := range resp.gen.Completions {
				rr.Texts = append(rr.Texts, c.Text)
				rr.FinishReasons = append(rr.FinishReasons, c.FinishReason)
				rr.Tokens += c.Tokens
				rr.Steps = append(rr.Steps, c.Steps...)
				in.Raw = append(in.Raw, c.Text)
			}
			if len(u.Steps) == 0 {
				steps = append(steps, rr.Steps...)
			}
		case resp.ll != nil:
			rr.LogProb, rr.IsGreedy, rr.Tokens = finite(resp.ll.LogProb), &resp.ll.IsGreedy, resp.ll.Tokens
			rr.Steps = u.Steps
			in.LogLikelihoods = append(in.LogLikelihoods, resp.ll.LogProb)
			in.IsGreedy = append(in.IsGreedy, resp.ll.IsGreedy)
			in.Tokens = append(in.Tokens, resp.ll.Tokens)
		case resp.roll != nil:
			rr.LogProb, rr.Tokens, rr.Bytes = finite(resp.roll.LogProb), resp.roll.Tokens, resp.roll.Bytes
			rr.Steps = u.Steps
			in.LogLikelihoods = append(in.LogLikelihoods, resp.roll.LogProb)
			in.Tokens = append(in.Tokens, resp.roll.Tokens)
			in.RollingBytes += resp.roll.Bytes
			if req.Rolling != nil {
				in.RollingWords += len(strings.Fields(req.Rolling.Text))
			}
		}
	}
	if len(steps) > 0 {
		sum := 0
		for _, v := range steps {
			sum += v
		}
		rec.MeanSteps = float64(sum) / float64(len(steps))
		out.steps, out.hasSteps = rec.MeanSteps, true
	}
	if len(errs) > 0 {
		rec.Error = strings.Join(errs, "; ")
		out.failed = true
		return rec, out, nil
	}
	r.score(t, in, rec, &out)
	return rec, out, nil
}

// score applies every filter chain and metric to one document.
func (r *runner) score(t *Task, in *ScoreInput, rec *Record, out *docOutcome) {
	gen := t.OutputType == "generate_until"
	rec.Scores = make(map[string]map[string]float64, len(t.Filters))
	if gen {
		rec.Filtered = make(map[string][]string, len(t.Filters))
	}
	out.scores = make([][]float64, len(t.Filters))
	out.extrFail = make([]bool, len(t.Filters))
	out.weights = make([][]float64, len(t.Filters))
	var serr []string
	for c, f := range t.Filters {
		ci := *in
		if gen {
			ci.Filtered = f.Apply(in.Raw)
			rec.Filtered[f.Name()] = ci.Filtered
			if f.IsFailure(ci.Filtered) {
				out.extrFail[c] = true
				rec.ExtractionFailures = append(rec.ExtractionFailures, f.Name())
			}
		}
		ms := make(map[string]float64, len(t.Metrics))
		out.scores[c] = make([]float64, len(t.Metrics))
		out.weights[c] = make([]float64, len(t.Metrics))
		for k, m := range t.Metrics {
			v, err := m.Score(&ci)
			if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
				err = fmt.Errorf("non-finite score %v", v)
			}
			if wm, ok := m.(WeightedMetric); ok && err == nil {
				out.weights[c][k], err = wm.Weight(&ci)
			}
			if err != nil {
				serr = append(serr, fmt.Sprintf("metric %s (filter %s): %v", m.Name(), f.Name(), err))
				out.scores[c][k] = math.NaN()
				continue
			}
			ms[m.Name()] = v
			out.scores[c][k] = v
		}
		rec.Scores[f.Name()] = ms
	}
	if len(serr) > 0 {
		rec.Error = "scoring: " + strings.Join(serr, "; ")
		out.failed = true
	}
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("harness: encoding %s: %w", path, err)
	}
	b = append(b, '\n')
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
