package bot

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	good := map[string]float64{"3": 3, "2.5": 2.5, ".5": 0.5, "3.": 3, "0": 0, "007": 7, "24.0": 24}
	for s, want := range good {
		if f, ok := ParseDecimal(s); !ok || f != want {
			t.Errorf("ParseDecimal(%q) = %v, %v; want %v", s, f, ok, want)
		}
	}
	// Every spelling that ParseFloat reads but a person does not type as a
	// number, and everything that is not finite.
	for _, s := range []string{"", ".", "..", "1.2.3", "nan", "NaN", "-nan", "inf", "+Inf", "-Inf", "Infinity", "infinity",
		"1e3", "1E-3", "0x10", "0x1p3", "0b101", "1_000", "-1", "+1", " 1", "1 ", "1,5", "١", "三", strings.Repeat("9", 400)} {
		if f, ok := ParseDecimal(s); ok {
			t.Errorf("ParseDecimal(%q) = %v; want it refused", s, f)
		}
	}
}

// FuzzParseDecimal checks that what parseDecimal accepts is a finite,
// non-negative number written only with digits and one point, and that it
// reads it as ParseFloat does.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"3", "2.5", ".5", "nan", "Inf", "1e400", "0x10", "1_0", strings.Repeat("9", 320)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, ok := ParseDecimal(s)
		if !ok {
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			t.Fatalf("ParseDecimal(%q) = %v", s, v)
		}
		if strings.Trim(s, "0123456789.") != "" || strings.Count(s, ".") > 1 {
			t.Fatalf("parseDecimal accepted %q", s)
		}
		if want, err := strconv.ParseFloat(s, 64); err != nil || want != v {
			t.Fatalf("ParseDecimal(%q) = %v, ParseFloat %v, %v", s, v, want, err)
		}
	})
}
