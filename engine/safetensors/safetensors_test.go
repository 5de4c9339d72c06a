package safetensors

import (
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func f32Bytes(v ...float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func u16Bytes(v ...uint16) []byte {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint16(b[2*i:], x)
	}
	return b
}

func sample(t testing.TB) []byte {
	var buf bytes.Buffer
	err := Write(&buf, []WriteTensor{
		{Name: "a", DType: F32, Shape: []int{2, 2}, Data: f32Bytes(1, 2, 3, 4)},
		{Name: "b", DType: BF16, Shape: []int{3}, Data: u16Bytes(0x3f80, 0x4000, 0xc040)},
		{Name: "c", DType: F16, Shape: []int{}, Data: u16Bytes(0x3c00)},
		{Name: "empty", DType: F32, Shape: []int{0, 5}, Data: nil},
	}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	data := sample(t)
	path := filepath.Join(t.TempDir(), "m.safetensors")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {NoMmap: true}} {
		f, err := Open(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		if f.Len() != 4 || f.Metadata["format"] != "pt" {
			t.Fatalf("len %d metadata %v", f.Len(), f.Metadata)
		}
		a, _ := f.Tensor("a")
		if got := a.F32(); len(got) != 4 || got[3] != 4 || a.Shape[1] != 2 {
			t.Errorf("a = %v %v", got, a.Shape)
		}
		b, _ := f.Tensor("b")
		if got := b.U16(); got[2] != 0xc040 || b.DType != BF16 {
			t.Errorf("b = %v", got)
		}
		c, _ := f.Tensor("c")
		if c.NumElements() != 1 || c.U16()[0] != 0x3c00 {
			t.Errorf("c = %v", c.U16())
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Zero-copy over a caller's buffer.
	f, err := OpenBytes("mem", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := f.Tensor("a")
	if !bytesAlias(a.Data, data) {
		t.Error("OpenBytes copied the tensor data")
	}
}

func bytesAlias(sub, whole []byte) bool {
	if len(sub) == 0 {
		return true
	}
	p := uintptr(unsafePointer(sub))
	lo := uintptr(unsafePointer(whole))
	return p >= lo && p < lo+uintptr(len(whole))
}

// raw builds a file from a header string and a data buffer.
func raw(header string, data []byte) []byte {
	b := make([]byte, 8, 8+len(header)+len(data))
	binary.LittleEndian.PutUint64(b, uint64(len(header)))
	return append(append(b, header...), data...)
}

func TestErrors(t *testing.T) {
	huge := make([]byte, 8)
	binary.LittleEndian.PutUint64(huge, MaxHeaderSize+1)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"short", []byte{1, 2, 3}, "shorter than the 8-byte"},
		{"cap", huge, "exceeds the 100000000-byte limit"},
		{"past end", raw("{}", nil)[:9], "runs past the end"},
		{"utf8", raw("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"not json", raw("{nope", nil), "bad header JSON"},
		{"array", raw("[]", nil), "not a JSON object"},
		{"trailing", raw(`{} {}`, nil), "trailing data"},
		{"dup", raw(`{"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`, f32Bytes(1)), `tensor "x": duplicate`},
		{"missing field", raw(`{"x":{"dtype":"F32","shape":[1]}}`, f32Bytes(1)), `tensor "x": entry needs`},
		{"unsupported dtype", raw(`{"x":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)), "dtype I64 is not supported"},
		{"unknown dtype", raw(`{"x":{"dtype":"Q4","shape":[1],"data_offsets":[0,8]}}`, make([]byte, 8)), `unknown dtype "Q4"`},
		{"negative dim", raw(`{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32Bytes(1)), "negative dimension"},
		{"overflow", raw(`{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}`, f32Bytes(1)), "overflows"},
		{"length", raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, f32Bytes(1)), "needs 8"},
		{"oob", raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32Bytes(1)), "run past the 4-byte data buffer"},
		{"reversed", raw(`{"x":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, f32Bytes(1)), "invalid data_offsets"},
		{"overlap", raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)), `tensor "y": data_offsets [4, 8) overlap`},
		{"gap", raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32Bytes(1, 2)), "leave a gap"},
		{"trailing bytes", raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1, 2)), "cover 4 bytes but the data buffer has 8"},
		{"metadata", raw(`{"__metadata__":{"a":1}}`, nil), "__metadata__ must map strings"},
		{"nan f32", raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32Bytes(1, float32(math.NaN()))), `tensor "x": element 1 is NaN`},
		{"inf bf16", raw(`{"x":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, u16Bytes(0xff80)), "element 0 is NaN or infinite"},
		{"inf f16", raw(`{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}`, u16Bytes(0, 0x7c00)), "element 1 is NaN or infinite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := OpenBytes("f.safetensors", c.data, Options{})
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "f.safetensors") {
				t.Fatalf("error %q, want it to contain %q and the file name", err, c.want)
			}
		})
	}
	// The finite scan can be switched off.
	if _, err := OpenBytes("f", raw(`{"x":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, u16Bytes(0x7fc0)), Options{SkipNonFiniteCheck: true}); err != nil {
		t.Errorf("SkipNonFiniteCheck: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing.safetensors"), Options{}); err == nil || !strings.Contains(err.Error(), "missing.safetensors") {
		t.Errorf("missing file: %v", err)
	}
}

func TestUnaligned(t *testing.T) {
	// A hand-made file whose header is not padded: the data starts at an
	// odd address inside the buffer, and views must still be correct.
	data := raw(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`+" ", f32Bytes(1.5, -2))
	f, err := OpenBytes("u", data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, _ := f.Tensor("x")
	if got := x.F32(); got[0] != 1.5 || got[1] != -2 {
		t.Errorf("unaligned F32 = %v", got)
	}
}

func FuzzParseHeader(f *testing.F) {
	f.Add(sample(f))
	f.Add(raw(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32Bytes(1)))
	f.Add(raw(`{"__metadata__":{"k":"v"}}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := OpenBytes("fuzz", data, Options{})
		if err != nil {
			return
		}
		// Every accepted file has in-bounds tensors whose sizes match.
		total := 0
		for _, n := range fl.Names() {
			tt, _ := fl.Tensor(n)
			if len(tt.Data) != tt.NumElements()*tt.DType.Size() {
				t.Fatalf("%s: %d bytes for %v", n, len(tt.Data), tt.Shape)
			}
			total += len(tt.Data)
		}
		if total > len(data) {
			t.Fatalf("tensors cover %d bytes of a %d-byte file", total, len(data))
		}
	})
}
