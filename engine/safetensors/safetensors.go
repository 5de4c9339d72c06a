// Package safetensors reads the safetensors checkpoint format
// (https://github.com/huggingface/safetensors) as hostile input: the header
// is validated completely (size cap, UTF-8, JSON, duplicate names, dtypes,
// shapes, contiguous non-overlapping offsets covering the whole data buffer)
// before any tensor is exposed, and tensors are zero-copy views of a
// read-only memory map (or of a caller's byte slice, for checkpoints
// embedded in the binary).
//
// Only the dtypes the engine computes with are accepted: BF16, F16 and F32.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"sort"
	"unicode/utf8"
	"unsafe"
)

// MaxHeaderSize is the largest header accepted, as in the reference
// implementation (100 MB).
const MaxHeaderSize = 100_000_000

// DType is a tensor element type.
type DType uint8

// The supported element types.
const (
	F32 DType = iota + 1
	BF16
	F16
)

// String returns the safetensors spelling.
func (d DType) String() string {
	switch d {
	case F32:
		return "F32"
	case BF16:
		return "BF16"
	case F16:
		return "F16"
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the size of one element in bytes.
func (d DType) Size() int {
	if d == F32 {
		return 4
	}
	return 2
}

// knownDTypes lists every dtype of the format, to tell "unsupported" from
// "not a dtype at all" in error messages.
var knownDTypes = map[string]bool{
	"BOOL": true, "F4": true, "F6_E2M3": true, "F6_E3M2": true, "U8": true, "I8": true,
	"F8_E5M2": true, "F8_E4M3": true, "F8_E8M0": true, "I16": true, "U16": true, "F16": true,
	"BF16": true, "I32": true, "U32": true, "F32": true, "C64": true, "F64": true, "I64": true, "U64": true,
}

// Tensor is one tensor of a File. Data aliases the file's bytes; it must
// not be modified and is valid until the File is closed.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	// Data is the raw little-endian payload (len = NumElements·DType.Size()).
	Data []byte
	// File names the file the tensor came from (for error messages).
	File string

	begin, size int // byte range in the data buffer, during parsing
}

// NumElements returns the product of the shape (1 for a scalar).
func (t *Tensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// U16 returns a BF16 or F16 tensor's elements as raw 16-bit patterns,
// zero-copy when the data is 2-byte aligned (always, for files written by
// the reference writer) and copied otherwise.
func (t *Tensor) U16() []uint16 {
	n := len(t.Data) / 2
	if n == 0 {
		return []uint16{}
	}
	if uintptr(unsafe.Pointer(&t.Data[0]))%2 == 0 {
		return unsafe.Slice((*uint16)(unsafe.Pointer(&t.Data[0])), n)
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint16(t.Data[2*i:])
	}
	return out
}

// F32 returns an F32 tensor's elements, zero-copy when 4-byte aligned and
// copied otherwise.
func (t *Tensor) F32() []float32 {
	n := len(t.Data) / 4
	if n == 0 {
		return []float32{}
	}
	if uintptr(unsafe.Pointer(&t.Data[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&t.Data[0])), n)
	}
	out := make([]float32, n)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out
}

// Options controls validation.
type Options struct {
	// SkipNonFiniteCheck disables the scan that rejects NaN and ±Inf
	// values (the scan reads every byte once).
	SkipNonFiniteCheck bool
	// NoMmap reads the file into memory instead of mapping it.
	NoMmap bool
}

// File is an opened safetensors file.
type File struct {
	// Name is the path or name the file was opened with.
	Name string
	// Metadata is the optional __metadata__ map.
	Metadata map[string]string
	tensors  map[string]*Tensor
	names    []string
	release  func() error
}

// Names returns the tensor names in data-offset order.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Tensor returns the named tensor.
func (f *File) Tensor(name string) (*Tensor, bool) {
	t, ok := f.tensors[name]
	return t, ok
}

// Len returns the number of tensors.
func (f *File) Len() int { return len(f.names) }

// Close releases the memory map. Tensors must not be used afterwards.
func (f *File) Close() error {
	if f.release == nil {
		return nil
	}
	r := f.release
	f.release = nil
	return r()
}

// OpenBytes parses data as a safetensors file without copying; tensors alias
// data. name is used in error messages.
func OpenBytes(name string, data []byte, opts Options) (*File, error) {
	f, err := parse(name, data)
	if err != nil {
		return nil, err
	}
	if !opts.SkipNonFiniteCheck {
		if err := f.CheckFinite(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Error is a validation error naming the file and, when known, the tensor.
type Error struct {
	File   string
	Tensor string
	Msg    string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Tensor != "" {
		return fmt.Sprintf("safetensors %s: tensor %q: %s", e.File, e.Tensor, e.Msg)
	}
	return fmt.Sprintf("safetensors %s: %s", e.File, e.Msg)
}

func errf(file, tensor, format string, args ...any) error {
	return &Error{File: file, Tensor: tensor, Msg: fmt.Sprintf(format, args...)}
}

type rawInfo struct {
	DType   *string  `json:"dtype"`
	Shape   *[]int64 `json:"shape"`
	Offsets *[]int64 `json:"data_offsets"`
}

// ParseHeader validates the header and offsets of a complete file image
// and returns the tensors it describes (aliasing data). It does not scan
// values; see OpenBytes.
func ParseHeader(name string, data []byte) (*File, error) { return parse(name, data) }

func parse(name string, data []byte) (*File, error) {
	if binary.NativeEndian.Uint16([]byte{1, 0}) != 1 {
		return nil, errf(name, "", "big-endian hosts are not supported")
	}
	if len(data) < 8 {
		return nil, errf(name, "", "file is %d bytes, shorter than the 8-byte header length", len(data))
	}
	n := binary.LittleEndian.Uint64(data)
	if n > MaxHeaderSize {
		return nil, errf(name, "", "header length %d exceeds the %d-byte limit", n, MaxHeaderSize)
	}
	if n > uint64(len(data)-8) {
		return nil, errf(name, "", "header length %d runs past the end of the %d-byte file (truncated?)", n, len(data))
	}
	hdr := data[8 : 8+n]
	buf := data[8+n:]
	if !utf8.Valid(hdr) {
		return nil, errf(name, "", "header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, errf(name, "", "header is not JSON: %v", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errf(name, "", "header is not a JSON object")
	}
	f := &File{Name: name, tensors: map[string]*Tensor{}}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errf(name, "", "bad header JSON: %v", err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errf(name, "", "bad header JSON: key %v is not a string", tok)
		}
		if seen[key] {
			return nil, errf(name, key, "duplicate entry in header")
		}
		seen[key] = true
		if key == "__metadata__" {
			var md map[string]string
			if err := dec.Decode(&md); err != nil {
				return nil, errf(name, "", "__metadata__ must map strings to strings: %v", err)
			}
			f.Metadata = md
			continue
		}
		var ri rawInfo
		if err := dec.Decode(&ri); err != nil {
			return nil, errf(name, key, "bad header entry: %v", err)
		}
		t, err := tensorInfo(name, key, &ri, len(buf))
		if err != nil {
			return nil, err
		}
		f.tensors[key] = t
		f.names = append(f.names, key)
	}
	if _, err := dec.Token(); err != nil {
		return nil, errf(name, "", "bad header JSON: %v", err)
	}
	if _, err := dec.Token(); err == nil {
		return nil, errf(name, "", "trailing data after the header JSON object")
	}
	// Offsets: sorted by begin they must tile [0, len(buf)) exactly.
	type span struct {
		name       string
		begin, end int
	}
	spans := make([]span, 0, len(f.names))
	for _, k := range f.names {
		t := f.tensors[k]
		spans = append(spans, span{k, t.begin, t.begin + t.size})
	}
	sort.SliceStable(spans, func(i, j int) bool {
		if spans[i].begin != spans[j].begin {
			return spans[i].begin < spans[j].begin
		}
		return spans[i].end < spans[j].end
	})
	pos := 0
	for _, s := range spans {
		switch {
		case s.begin < pos:
			return nil, errf(name, s.name, "data_offsets [%d, %d) overlap the previous tensor (ends at %d)", s.begin, s.end, pos)
		case s.begin > pos:
			return nil, errf(name, s.name, "data_offsets [%d, %d) leave a gap after byte %d (offsets must be contiguous)", s.begin, s.end, pos)
		}
		pos = s.end
	}
	if pos != len(buf) {
		return nil, errf(name, "", "tensors cover %d bytes but the data buffer has %d (truncated or trailing bytes)", pos, len(buf))
	}
	f.names = f.names[:0]
	for _, s := range spans {
		f.names = append(f.names, s.name)
		t := f.tensors[s.name]
		t.Data = buf[s.begin:s.end:s.end]
	}
	return f, nil
}

func tensorInfo(file, name string, ri *rawInfo, bufLen int) (*Tensor, error) {
	if ri.DType == nil || ri.Shape == nil || ri.Offsets == nil {
		return nil, errf(file, name, "entry needs dtype, shape and data_offsets")
	}
	var dt DType
	switch *ri.DType {
	case "F32":
		dt = F32
	case "BF16":
		dt = BF16
	case "F16":
		dt = F16
	default:
		if knownDTypes[*ri.DType] {
			return nil, errf(file, name, "dtype %s is not supported (supported: BF16, F16, F32)", *ri.DType)
		}
		return nil, errf(file, name, "unknown dtype %q", *ri.DType)
	}
	shape := make([]int, len(*ri.Shape))
	elems := uint64(1)
	for i, d := range *ri.Shape {
		if d < 0 {
			return nil, errf(file, name, "negative dimension %d in shape %v", d, *ri.Shape)
		}
		hi, lo := bits.Mul64(elems, uint64(d))
		if hi != 0 || lo > 1<<50 {
			return nil, errf(file, name, "shape %v overflows", *ri.Shape)
		}
		elems = lo
		shape[i] = int(d)
	}
	size := elems * uint64(dt.Size())
	off := *ri.Offsets
	if len(off) != 2 {
		return nil, errf(file, name, "data_offsets must have 2 entries, has %d", len(off))
	}
	if off[0] < 0 || off[1] < off[0] {
		return nil, errf(file, name, "invalid data_offsets [%d, %d)", off[0], off[1])
	}
	if off[1] > int64(bufLen) {
		return nil, errf(file, name, "data_offsets [%d, %d) run past the %d-byte data buffer (truncated?)", off[0], off[1], bufLen)
	}
	if uint64(off[1]-off[0]) != size {
		return nil, errf(file, name, "data_offsets [%d, %d) hold %d bytes but shape %v of %s needs %d", off[0], off[1], off[1]-off[0], shape, dt, size)
	}
	return &Tensor{Name: name, DType: dt, Shape: shape, File: file, begin: int(off[0]), size: int(size)}, nil
}

// CheckFinite returns an error naming the first tensor holding a NaN or an
// infinity, with the element index.
func (f *File) CheckFinite() error {
	for _, name := range f.names {
		t := f.tensors[name]
		if i := firstNonFinite(t); i >= 0 {
			return errf(f.Name, name, "element %d is NaN or infinite", i)
		}
	}
	return nil
}

func firstNonFinite(t *Tensor) int {
	switch t.DType {
	case F32:
		for i, v := range t.F32() {
			if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
				return i
			}
		}
	case BF16:
		for i, u := range t.U16() {
			if u&0x7f80 == 0x7f80 {
				return i
			}
		}
	case F16:
		for i, u := range t.U16() {
			if u&0x7c00 == 0x7c00 {
				return i
			}
		}
	}
	return -1
}
