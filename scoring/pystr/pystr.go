// Package pystr reproduces the few Python str methods that reference
// scoring code relies on (strip, lower, upper, isdigit, isspace) so that Go
// scoring gives the same answers as the Python harnesses on non-ASCII text.
package pystr

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
)

// IsSpace reports whether Python's str.isspace() is true for r: Go's
// unicode.IsSpace plus the information separators U+001C..U+001F.
func IsSpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

// Strip is Python's str.strip() with no argument.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// LStrip is Python's str.lstrip() with no argument.
func LStrip(s string) string { return strings.TrimLeftFunc(s, IsSpace) }

// RStrip is Python's str.rstrip() with no argument.
func RStrip(s string) string { return strings.TrimRightFunc(s, IsSpace) }

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Lower is Python's str.lower(): full Unicode case mapping (for example
// U+0130 becomes "i\u0307") including the final-sigma rule.
func Lower(s string) string {
	if isASCII(s) {
		return strings.ToLower(s)
	}
	return cases.Lower(language.Und).String(s)
}

// Upper is Python's str.upper(): full Unicode case mapping ("ß" becomes
// "SS").
func Upper(s string) string {
	if isASCII(s) {
		return strings.ToUpper(s)
	}
	return cases.Upper(language.Und).String(s)
}

// digitNotDecimal lists the characters with Unicode Numeric_Type=Digit that
// are not decimal digits (superscripts, circled digits, ...): Python's
// str.isdigit() accepts them, unicode.IsDigit does not.
var digitNotDecimal = &unicode.RangeTable{
	R16: []unicode.Range16{
		{0xb2, 0xb3, 1}, {0xb9, 0xb9, 1}, {0x1369, 0x1371, 1}, {0x19da, 0x19da, 1},
		{0x2070, 0x2070, 1}, {0x2074, 0x2079, 1}, {0x2080, 0x2089, 1}, {0x2460, 0x2468, 1},
		{0x2474, 0x247c, 1}, {0x2488, 0x2490, 1}, {0x24ea, 0x24ea, 1}, {0x24f5, 0x24fd, 1},
		{0x24ff, 0x24ff, 1}, {0x2776, 0x277e, 1}, {0x2780, 0x2788, 1}, {0x278a, 0x2792, 1},
	},
	R32: []unicode.Range32{
		{0x10a40, 0x10a43, 1}, {0x10e60, 0x10e68, 1}, {0x11052, 0x1105a, 1}, {0x1f100, 0x1f10a, 1},
	},
}

// IsDigit is Python's str.isdigit(): true when s is non-empty and every
// character is a decimal digit or has Numeric_Type=Digit.
func IsDigit(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !unicode.IsDigit(r) && !unicode.Is(digitNotDecimal, r) {
			return false
		}
	}
	return true
}

// IsDecimalInt reports whether s is accepted by Python's int(s) (base 10):
// optional surrounding whitespace, an optional sign, then decimal digits
// (any script) with single underscores allowed between digits.
func IsDecimalInt(s string) bool {
	s = Strip(s)
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	prevDigit := false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			prevDigit = true
		case r == '_' && prevDigit:
			prevDigit = false
		default:
			return false
		}
	}
	return prevDigit
}
