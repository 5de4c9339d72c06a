package pystr

import "testing"

// Expected values are CPython 3.11's str.isdigit() and int() acceptance.
func TestIsDigitAndInt(t *testing.T) {
	cases := []struct {
		s            string
		isDigit, int bool
	}{
		{"١٢", true, true}, {"²", true, false}, {"12", true, true}, {"", false, false}, {"½", false, false},
		{"1_000", false, true}, {" 3 ", false, true}, {"+5", false, true}, {"-", false, false},
		{"1__0", false, false}, {"_1", false, false}, {"1_", false, false}, {"٣4", true, true},
		{"\u00a05\u2003", false, true}, {"1.0", false, false}, {"0x1f", false, false},
	}
	for _, c := range cases {
		if got := IsDigit(c.s); got != c.isDigit {
			t.Errorf("IsDigit(%q) = %v, want %v", c.s, got, c.isDigit)
		}
		if got := IsDecimalInt(c.s); got != c.int {
			t.Errorf("IsDecimalInt(%q) = %v, want %v", c.s, got, c.int)
		}
	}
}

func TestStripAndCase(t *testing.T) {
	if got := Strip("\x1c a \x1f"); got != "a" {
		t.Errorf("Strip = %q, want \"a\" (Python strips U+001C..U+001F)", got)
	}
	if got := Strip("\u200b x"); got != "\u200b x" {
		t.Errorf("Strip = %q; U+200B is not whitespace in Python", got)
	}
	for in, want := range map[string]string{"İSTANBUL": "i̇stanbul", "ΣΑΣ Σ": "σας σ", "ABC": "abc"} {
		if got := Lower(in); got != want {
			t.Errorf("Lower(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"straße": "STRASSE", "ﬁ": "FI", "abc": "ABC"} {
		if got := Upper(in); got != want {
			t.Errorf("Upper(%q) = %q, want %q", in, got, want)
		}
	}
}
