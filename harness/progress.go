package harness

import (
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// Progress reports the progress of running jobs.
type Progress interface {
	// Job starts reporting one job of total documents.
	Job(name string, total int) JobBar
	// Wait stops reporting once every bar is done.
	Wait()
}

// JobBar is one job's progress.
type JobBar interface {
	// Add counts one finished document that sent requests requests;
	// score is the running mean of the job's first metric (NaN when none
	// yet).
	Add(requests int, score float64)
	// Done marks the job finished (or abandoned).
	Done()
}

type nopBar struct{}

func (nopBar) Add(int, float64) {}
func (nopBar) Done()            {}

// NewBars returns live bars (one per running job) drawn on w, a terminal.
func NewBars(ctx context.Context, w io.Writer) Progress {
	return &bars{p: mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())}
}

type bars struct{ p *mpb.Progress }

type bar struct {
	b     *mpb.Bar
	mu    sync.Mutex
	score float64
	reqs  int64
	start time.Time
}

func (b *bars) Job(name string, total int) JobBar {
	jb := &bar{score: math.NaN(), start: time.Now()}
	jb.b = b.p.AddBar(int64(total),
		mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				jb.mu.Lock()
				defer jb.mu.Unlock()
				return fmt.Sprintf("%7.1f req/s", rate(jb.reqs, jb.start))
			}, decor.WCSyncSpace),
			decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace),
			decor.Any(func(decor.Statistics) string {
				jb.mu.Lock()
				defer jb.mu.Unlock()
				if math.IsNaN(jb.score) {
					return " score –"
				}
				return fmt.Sprintf(" score %.4f", jb.score)
			}),
		),
		mpb.BarWidth(24),
		mpb.BarRemoveOnComplete(),
	)
	return jb
}

func (b *bars) Wait() { b.p.Wait() }

func (jb *bar) Add(requests int, score float64) {
	jb.mu.Lock()
	jb.score = score
	jb.reqs += int64(requests)
	jb.mu.Unlock()
	jb.b.Increment()
}

func (jb *bar) Done() {
	if !jb.b.Completed() {
		jb.b.Abort(true)
	}
}

func rate(done int64, start time.Time) float64 {
	s := time.Since(start).Seconds()
	if s <= 0 {
		return 0
	}
	return float64(done) / s
}

// NewLines returns a Progress for non-terminals: every interval, one plain
// line per running job.
func NewLines(w io.Writer, interval time.Duration) Progress {
	l := &lines{w: w, jobs: map[*lineJob]bool{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	go l.loop(interval)
	return l
}

type lines struct {
	w       io.Writer
	mu      sync.Mutex
	jobs    map[*lineJob]bool
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

type lineJob struct {
	l           *lines
	name        string
	total, done int
	reqs        int64
	score       float64
	start       time.Time
}

func (l *lines) loop(interval time.Duration) {
	defer close(l.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.print()
		}
	}
}

func (l *lines) print() {
	l.mu.Lock()
	defer l.mu.Unlock()
	var js []*lineJob
	for j := range l.jobs {
		js = append(js, j)
	}
	sort.Slice(js, func(a, b int) bool { return js[a].name < js[b].name })
	for _, j := range js {
		r := rate(int64(j.done), j.start)
		eta := "?"
		if r > 0 {
			eta = time.Duration(float64(j.total-j.done) / r * float64(time.Second)).Round(time.Second).String()
		}
		score := "–"
		if !math.IsNaN(j.score) {
			score = fmt.Sprintf("%.4f", j.score)
		}
		fmt.Fprintf(l.w, "progress: %s %d/%d docs, %.1f req/s, ETA %s, score %s\n", j.name, j.done, j.total, rate(j.reqs, j.start), eta, score)
	}
}

func (l *lines) Job(name string, total int) JobBar {
	j := &lineJob{l: l, name: name, total: total, score: math.NaN(), start: time.Now()}
	l.mu.Lock()
	l.jobs[j] = true
	l.mu.Unlock()
	return j
}

func (l *lines) Wait() {
	l.once.Do(func() { close(l.stop) })
	<-l.stopped
}

func (j *lineJob) Add(requests int, score float64) {
	j.l.mu.Lock()
	j.done++
	j.reqs += int64(requests)
	j.score = score
	j.l.mu.Unlock()
}

func (j *lineJob) Done() {
	j.l.mu.Lock()
	delete(j.l.jobs, j)
	j.l.mu.Unlock()
}
