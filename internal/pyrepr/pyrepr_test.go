package pyrepr

import (
	"math"
	"testing"
)

// Expected values are what CPython 3.11 prints for repr().
func TestFloat(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{
		{0, "0.0"}, {1, "1.0"}, {-2.5, "-2.5"}, {0.1, "0.1"}, {1e16, "1e+16"},
		{1e15, "1000000000000000.0"}, {1.5e-5, "1.5e-05"}, {0.0001, "0.0001"},
		{123456789.125, "123456789.125"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"},
		{math.NaN(), "nan"}, {2.0 / 3, "0.6666666666666666"},
	} {
		if got := Float(tc.in); got != tc.want {
			t.Errorf("Float(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a", `'a'`}, {"it's", `"it's"`}, {`say "hi" it's`, `'say "hi" it\'s'`},
		{"a\\b", `'a\\b'`}, {"x\ny\tz\r", `'x\ny\tz\r'`}, {"\x01\x7f", `'\x01\x7f'`},
		{"héllo", `'héllo'`}, {"", `''`},
	} {
		if got := Str(tc.in); got != tc.want {
			t.Errorf("Str(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
