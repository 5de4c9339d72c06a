// Package hub downloads dataset files from the Hugging Face hub (or any
// server with the same URL layout) into a local cache, verifying each file
// against the sha256 its task declares and resuming partial downloads.
//
// Files are addressed as {repo, revision, path}; the URL is
// BaseURL/datasets/REPO/resolve/REVISION/PATH, the cache path
// CACHE/REPO/REVISION/PATH. A download goes to PATH.part first, is resumed
// with an HTTP Range request when a .part exists, and is renamed into place
// only after its checksum matched, so a cached file is always complete.
package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBaseURL is the Hugging Face hub.
const DefaultBaseURL = "https://huggingface.co"

// File is one dataset file as a task declares it.
type File struct {
	// Repo is the dataset repository id, e.g. "openai/gsm8k".
	Repo string `yaml:"repo" json:"repo"`
	// Revision is a commit hash or branch; empty means "main".
	Revision string `yaml:"revision" json:"revision"`
	// Path is the file's path inside the repository.
	Path string `yaml:"path" json:"path"`
	// SHA256 is the expected hex digest of the file; empty skips the check
	// (and the caller should say so).
	SHA256 string `yaml:"sha256" json:"sha256"`
}

func (f File) rev() string {
	if f.Revision == "" {
		return "main"
	}
	return f.Revision
}

// String names the file as repo@revision:path.
func (f File) String() string { return f.Repo + "@" + f.rev() + ":" + f.Path }

func (f File) validate() error {
	clean := func(s string) bool {
		return s != "" && !strings.HasPrefix(s, "/") && !strings.Contains(s, "\\") &&
			path.Clean(s) == s && s != ".." && !strings.HasPrefix(s, "../")
	}
	if !clean(f.Repo) || strings.Count(f.Repo, "/") > 1 {
		return fmt.Errorf("hub: %s: bad repository id %q", f, f.Repo)
	}
	if !clean(f.Path) {
		return fmt.Errorf("hub: %s: bad file path %q", f, f.Path)
	}
	if !clean(f.rev()) || strings.Contains(f.rev(), "/") {
		return fmt.Errorf("hub: %s: bad revision %q", f, f.rev())
	}
	if f.SHA256 != "" {
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("hub: %s: sha256 %q is not 64 hex digits", f, f.SHA256)
		}
	}
	return nil
}

// Client downloads files into a cache directory.
type Client struct {
	// BaseURL defaults to DefaultBaseURL.
	BaseURL string
	// CacheDir is where files land; see DefaultCacheDir.
	CacheDir string
	// HTTP defaults to a client without an overall timeout (large files);
	// cancel through the context instead.
	HTTP *http.Client
	// Token, when set, is sent as a bearer token (HF_TOKEN for gated sets).
	Token string
	// Retries is how many times a broken transfer is resumed (default 3).
	Retries int
	// Backoff is the wait before the first retry, doubled each time
	// (default 1s).
	Backoff time.Duration
	// Progress, when set, is called after each chunk with the bytes on
	// disk so far and the total (-1 when unknown).
	Progress func(f File, have, total int64)
}

// DefaultCacheDir returns $OUROEVAL_DATA, or ouroeval/data under the user
// cache directory.
func DefaultCacheDir() (string, error) {
	if d := os.Getenv("OUROEVAL_DATA"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("hub: no cache directory (set OUROEVAL_DATA): %w", err)
	}
	return filepath.Join(d, "ouroeval", "data"), nil
}

// URL returns the download address of f.
func (c *Client) URL(f File) string {
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	esc := func(p string) string {
		parts := strings.Split(p, "/")
		for i, s := range parts {
			parts[i] = url.PathEscape(s)
		}
		return strings.Join(parts, "/")
	}
	return strings.TrimRight(base, "/") + "/datasets/" + esc(f.Repo) + "/resolve/" + url.PathEscape(f.rev()) + "/" + esc(f.Path)
}

// LocalPath returns where f lives in the cache.
func (c *Client) LocalPath(f File) string {
	return filepath.Join(c.CacheDir, filepath.FromSlash(f.Repo), f.rev(), filepath.FromSlash(f.Path))
}

// ChecksumError reports a file whose content does not match its sha256.
type ChecksumError struct {
	File      File
	Got, Want string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("hub: %s: sha256 mismatch: got %s, want %s", e.File, e.Got, e.Want)
}

// Fetch makes sure f is in the cache and verified, downloading or resuming
// it as needed, and returns its local path. Several processes may fetch the
// same file at once: each downloads to its own lock-protected .part.
func (c *Client) Fetch(ctx context.Context, f File) (string, error) {
	if err := f.validate(); err != nil {
		return "", err
	}
	if c.CacheDir == "" {
		return "", fmt.Errorf("hub: %s: no cache directory configured", f)
	}
	dst := c.LocalPath(f)
	if ok, err := verify(dst, f); err != nil {
		return "", err
	} else if ok {
		return dst, nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", fmt.Errorf("hub: %s: %w", f, err)
	}
	unlock, err := lockFile(ctx, dst+".lock")
	if err != nil {
		return "", fmt.Errorf("hub: %s: %w", f, err)
	}
	defer unlock()
	// Another process may have finished while we waited for the lock.
	if ok, err := verify(dst, f); err != nil {
		return "", err
	} else if ok {
		return dst, nil
	}
	retries := c.Retries
	if retries <= 0 {
		retries = 3
	}
	backoff := c.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	part := dst + ".part"
	var lastErr error
	for attempt := 0; attempt <= retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(backoff):
			}
			backoff *= 2
		}
		lastErr = c.download(ctx, f, part)
		if lastErr == nil {
			break
		}
		var perm *permanentError
		if errors.As(lastErr, &perm) || ctx.Err() != nil {
			return "", lastErr
		}
	}
	if lastErr != nil {
		return "", lastErr
	}
	if f.SHA256 != "" {
		got, err := fileSHA256(part)
		if err != nil {
			return "", fmt.Errorf("hub: %s: %w", f, err)
		}
		if got != strings.ToLower(f.SHA256) {
			os.Remove(part) // a complete file with the wrong bytes cannot be resumed
			return "", &ChecksumError{File: f, Got: got, Want: strings.ToLower(f.SHA256)}
		}
	}
	if err := os.Rename(part, dst); err != nil {
		return "", fmt.Errorf("hub: %s: %w", f, err)
	}
	return dst, nil
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// download appends the rest of f to part, resuming from its current size.
func (c *Client) download(ctx context.Context, f File, part string) error {
	out, err := os.OpenFile(part, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
	}
	defer out.Close()
	have, err := out.Seek(0, io.SeekEnd)
	if err != nil {
		return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL(f), nil)
	if err != nil {
		return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	if have > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("hub: %s: %w", f, err)
	}
	defer resp.Body.Close()
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			// The server answered a different range: start over.
			if err := out.Truncate(0); err != nil {
				return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
			}
			return fmt.Errorf("hub: %s: server sent range %q for a resume at %d", f, resp.Header.Get("Content-Range"), have)
		}
		total = size
	case resp.StatusCode == http.StatusOK:
		// No range support (or a fresh download): start from zero.
		if have > 0 {
			if err := out.Truncate(0); err != nil {
				return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
			}
			if _, err := out.Seek(0, io.SeekStart); err != nil {
				return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
			}
			have = 0
		}
		total = resp.ContentLength
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The .part already holds the whole file; the checksum decides.
		return nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &permanentError{fmt.Errorf("hub: %s: %s (gated dataset? set HF_TOKEN)", f, resp.Status)}
	case resp.StatusCode == http.StatusNotFound:
		return &permanentError{fmt.Errorf("hub: %s: not found at %s", f, c.URL(f))}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("hub: %s: %s", f, resp.Status)
	default:
		return &permanentError{fmt.Errorf("hub: %s: unexpected %s", f, resp.Status)}
	}
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			if _, err := out.Write(buf[:n]); err != nil {
				return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
			}
			have += int64(n)
			if c.Progress != nil {
				c.Progress(f, have, total)
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Sync()
			return fmt.Errorf("hub: %s: transfer broke at byte %d: %w", f, have, rerr)
		}
	}
	if total >= 0 && have != total {
		return fmt.Errorf("hub: %s: got %d of %d bytes", f, have, total)
	}
	if err := out.Sync(); err != nil {
		return &permanentError{fmt.Errorf("hub: %s: %w", f, err)}
	}
	return nil
}

// parseContentRange parses "bytes START-END/SIZE".
func parseContentRange(s string) (start, size int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if sz == "*" {
		return start, -1, true
	}
	size, err = strconv.ParseInt(sz, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return start, size, true
}

// verify reports whether dst exists and matches f's checksum. A file
// without a declared checksum counts as verified once present.
func verify(dst string, f File) (bool, error) {
	if _, err := os.Stat(dst); errors.Is(err, os.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("hub: %s: %w", f, err)
	}
	if f.SHA256 == "" {
		return true, nil
	}
	got, err := fileSHA256(dst)
	if err != nil {
		return false, fmt.Errorf("hub: %s: %w", f, err)
	}
	if got != strings.ToLower(f.SHA256) {
		return false, &ChecksumError{File: f, Got: got, Want: strings.ToLower(f.SHA256)}
	}
	return true, nil
}

func fileSHA256(p string) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	var h hash.Hash = sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FileSHA256 returns the hex sha256 of a local file (for `data` commands
// that check local copies).
func FileSHA256(p string) (string, error) { return fileSHA256(p) }
