package kernels

import "sync"

// Pool is a persistent set of worker goroutines that run statically split
// ranges of work. It starts its goroutines once and reuses them for every
// call: no goroutine is created per call and idle workers block on a
// channel (no spinning). A Pool is safe for concurrent use: several callers
// may have work in flight at once, each waiting only for its own chunks.
//
// Dispatch allocates nothing in the steady state: a call's shared state
// (the function, the split and the completion count) lives in a recycled
// poolCall, and the channel carries (call, chunk index) pairs by value.
type Pool struct {
	workers int
	jobs    chan poolJob
	calls   sync.Pool // *poolCall
	wg      sync.WaitGroup
	once    sync.Once
}

// poolCall is the state of one RunChunks call, shared by its chunks.
type poolCall struct {
	fn        func(worker, lo, hi int)
	n, chunks int
	done      sync.WaitGroup
}

// poolJob is chunk c of a call.
type poolJob struct {
	call *poolCall
	c    int
}

// NewPool starts a pool of workers goroutines (at least 1).
func NewPool(workers int) *Pool {
	if workers < 1 {
		workers = 1
	}
	p := &Pool{workers: workers, jobs: make(chan poolJob, workers)}
	p.wg.Add(workers)
	for w := range workers {
		go p.loop(w)
	}
	return p
}

func (p *Pool) loop(id int) {
	defer p.wg.Done()
	for j := range p.jobs {
		c := j.call
		c.fn(id, j.c*c.n/c.chunks, (j.c+1)*c.n/c.chunks)
		c.done.Done()
	}
}

// Workers returns the number of worker goroutines.
func (p *Pool) Workers() int { return p.workers }

// Run splits [0, n) into at most Workers() contiguous chunks of nearly
// equal size and calls fn(worker, lo, hi) for each chunk on the pool's
// goroutines, returning when all chunks are done. worker identifies the
// goroutine running the chunk (0 ≤ worker < Workers()), so fn may use
// per-worker scratch space; a given worker runs one chunk at a time. The
// split depends only on n and Workers(), never on timing. With n ≤ 0 Run
// does nothing. Run must not be called after Close, nor from inside fn.
//
// Run itself allocates nothing; fn should be a pre-bound method value or
// a closure that does not escape elsewhere, or the caller pays for it.
func (p *Pool) Run(n int, fn func(worker, lo, hi int)) {
	p.RunChunks(n, p.workers, fn)
}

// RunChunks is Run with an explicit upper bound on the number of chunks
// (at least 1); use it when the work per item is too small to be worth
// splitting Workers() ways. Chunk c covers [c·n/chunks, (c+1)·n/chunks).
func (p *Pool) RunChunks(n, chunks int, fn func(worker, lo, hi int)) {
	if n <= 0 {
		return
	}
	if chunks > n {
		chunks = n
	}
	if chunks < 1 {
		chunks = 1
	}
	c, _ := p.calls.Get().(*poolCall)
	if c == nil {
		c = new(poolCall)
	}
	c.fn, c.n, c.chunks = fn, n, chunks
	c.done.Add(chunks)
	for i := range chunks {
		p.jobs <- poolJob{call: c, c: i}
	}
	c.done.Wait()
	// Every chunk has called Done, so no worker touches c any more.
	c.fn = nil
	p.calls.Put(c)
}

// Close stops the workers after the work already submitted. Close is
// idempotent.
func (p *Pool) Close() {
	p.once.Do(func() {
		close(p.jobs)
		p.wg.Wait()
	})
}
