// Package cache is a crash-safe, append-only key/value store for backend
// responses, shared safely by several processes.
//
// A cache is a directory of segment files. Each process (each [Open]) appends
// to its own new segment, so writers never interleave bytes; an exclusive
// flock on the segment marks it live. Readers load every segment at Open.
// A record is
//
//	length   uint32 little-endian (of key+value)
//	checksum uint32 little-endian, CRC-32C of key+value
//	key      32 bytes
//	value    length-32 bytes
//
// [Cache.Put] returns only after the record and the file are fsync'd, so a
// response that has been counted survives SIGKILL or power loss. Puts from
// many goroutines are group-committed: one write and one fsync cover every
// record queued meanwhile. A torn or corrupt record (a crash mid-write)
// ends the reading of that segment; everything before it is kept and nothing
// after it is trusted. Segments are never appended to by a later process, so
// a torn tail never sits in front of good data.
package cache

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Key identifies one cached response.
type Key [32]byte

// String returns the key in hex.
func (k Key) String() string { return fmt.Sprintf("%x", k[:]) }

// KeyOf hashes parts (each length-prefixed, so field boundaries matter)
// into a Key.
func KeyOf(parts ...[]byte) Key {
	h := sha256.New()
	var n [8]byte
	for _, p := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(p)))
		h.Write(n[:])
		h.Write(p)
	}
	var k Key
	h.Sum(k[:0])
	return k
}

const (
	headerLen = 8
	// maxRecord bounds one record so a corrupt length can't make the
	// reader allocate gigabytes.
	maxRecord = 64 << 20
	segSuffix = ".seg"
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Stats describes what Open found.
type Stats struct {
	Segments int // segment files read
	Records  int // valid records loaded (duplicates included)
	Dropped  int // segments whose tail was torn or corrupt
}

// Cache is an open cache directory. It is safe for concurrent use.
type Cache struct {
	dir   string
	mu    sync.RWMutex
	index map[Key][]byte
	stats Stats

	seg  *os.File // this process's segment, created on first Put
	wmu  sync.Mutex
	cond *sync.Cond
	// group commit state, guarded by wmu
	queue   []pending
	writing bool
	closed  bool
	err     error // sticky write error
}

type pending struct {
	key  Key
	val  []byte
	done chan error
}

// Open loads every segment in dir (creating dir if needed).
func Open(dir string) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	c := &Cache{dir: dir, index: map[Key][]byte{}}
	c.cond = sync.NewCond(&c.wmu)
	names, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := c.load(name); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// load reads one segment, keeping every record before the first bad one.
func (c *Cache) load(name string) error {
	f, err := os.Open(name)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil // removed by a concurrent compaction or cleanup
		}
		return fmt.Errorf("cache: %w", err)
	}
	defer f.Close()
	c.stats.Segments++
	n, torn, err := ReadRecords(bufio.NewReaderSize(f, 1<<16), func(k Key, v []byte) {
		c.index[k] = v
	})
	c.stats.Records += n
	if torn {
		c.stats.Dropped++
	}
	if err != nil {
		return fmt.Errorf("cache: reading %s: %w", name, err)
	}
	return nil
}

// ReadRecords calls fn for every valid record of a segment read from r, in
// order. It stops at the first torn or corrupt record and reports torn =
// true; err is only set for I/O errors other than a short read.
func ReadRecords(r io.Reader, fn func(Key, []byte)) (n int, torn bool, err error) {
	var hdr [headerLen]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if err == io.EOF {
				return n, false, nil
			}
			if err == io.ErrUnexpectedEOF {
				return n, true, nil
			}
			return n, false, err
		}
		size := binary.LittleEndian.Uint32(hdr[0:4])
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		if size < uint32(len(Key{})) || size > maxRecord {
			return n, true, nil
		}
		body := make([]byte, size)
		if _, err := io.ReadFull(r, body); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return n, true, nil
			}
			return n, false, err
		}
		if crc32.Checksum(body, crcTable) != sum {
			return n, true, nil
		}
		var k Key
		copy(k[:], body)
		fn(k, body[len(k):])
		n++
	}
}

// AppendRecord appends the encoding of one record to dst.
func AppendRecord(dst []byte, k Key, v []byte) []byte {
	var hdr [headerLen]byte
	binary.LittleEndian.PutUint32(hdr[0:4], uint32(len(k)+len(v)))
	crc := crc32.Update(crc32.Checksum(k[:], crcTable), crcTable, v)
	binary.LittleEndian.PutUint32(hdr[4:8], crc)
	dst = append(dst, hdr[:]...)
	dst = append(dst, k[:]...)
	return append(dst, v...)
}

// Stats reports what Open loaded.
func (c *Cache) Stats() Stats {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stats
}

// Len returns the number of distinct keys held.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.index)
}

// Get returns the value stored under k. The returned slice must not be
// modified.
func (c *Cache) Get(k Key) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.index[k]
	return v, ok
}

// Put stores v under k and returns once it is durable on disk.
func (c *Cache) Put(k Key, v []byte) error {
	if len(v)+len(k) > maxRecord {
		return fmt.Errorf("cache: value of %d bytes exceeds the %d-byte record limit", len(v), maxRecord)
	}
	v = append([]byte(nil), v...)
	p := pending{key: k, val: v, done: make(chan error, 1)}
	c.wmu.Lock()
	if c.closed {
		c.wmu.Unlock()
		return errors.New("cache: Put on a closed cache")
	}
	if c.err != nil {
		err := c.err
		c.wmu.Unlock()
		return err
	}
	c.queue = append(c.queue, p)
	if !c.writing {
		// This goroutine becomes the committer for the queued batch (and
		// any batches that queue up while it writes).
		c.writing = true
		for len(c.queue) > 0 {
			batch := c.queue
			c.queue = nil
			c.wmu.Unlock()
			err := c.commit(batch)
			c.wmu.Lock()
			if err != nil && c.err == nil {
				c.err = err
			}
			for _, b := range batch {
				b.done <- err
			}
		}
		c.writing = false
		c.cond.Broadcast()
	}
	c.wmu.Unlock()
	return <-p.done
}

// commit writes and fsyncs one batch, then publishes it to the index.
func (c *Cache) commit(batch []pending) error {
	if c.seg == nil {
		if err := c.createSegment(); err != nil {
			return err
		}
	}
	var buf []byte
	for _, p := range batch {
		buf = AppendRecord(buf, p.key, p.val)
	}
	if _, err := c.seg.Write(buf); err != nil {
		return fmt.Errorf("cache: writing %s: %w", c.seg.Name(), err)
	}
	if err := c.seg.Sync(); err != nil {
		return fmt.Errorf("cache: syncing %s: %w", c.seg.Name(), err)
	}
	c.mu.Lock()
	for _, p := range batch {
		c.index[p.key] = p.val
	}
	c.mu.Unlock()
	return nil
}

// createSegment makes this process's own segment file, locked for writing.
func (c *Cache) createSegment() error {
	for attempt := 0; ; attempt++ {
		name := filepath.Join(c.dir, fmt.Sprintf("%s-%d-%d%s",
			time.Now().UTC().Format("20060102T150405.000000000"), os.Getpid(), attempt, segSuffix))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL|os.O_APPEND, 0o644)
		if errors.Is(err, os.ErrExist) && attempt < 100 {
			continue
		}
		if err != nil {
			return fmt.Errorf("cache: %w", err)
		}
		// The name is unique (O_EXCL), so the lock only tells other
		// processes the segment is live; file systems without flock are
		// tolerated.
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return fmt.Errorf("cache: locking %s: %w", name, err)
		}
		// Make the new directory entry durable too.
		if d, err := os.Open(c.dir); err == nil {
			d.Sync()
			d.Close()
		}
		c.seg = f
		return nil
	}
}

// Close waits for pending Puts and releases the segment.
func (c *Cache) Close() error {
	c.wmu.Lock()
	for c.writing {
		c.cond.Wait()
	}
	c.closed = true
	c.wmu.Unlock()
	if c.seg == nil {
		return nil
	}
	err := c.seg.Close() // also releases the flock
	c.seg = nil
	return err
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// IsSegment reports whether name is a segment file name.
func IsSegment(name string) bool { return strings.HasSuffix(name, segSuffix) }
