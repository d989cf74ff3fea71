package bot

import (
	"math"
	"strconv"
)

// ParseDecimal reads a number that a person typed or a file holds: digits
// with at most one decimal point ("3", "2.5", ".5"), nothing else.
// strconv.ParseFloat also takes "NaN", "Inf", signs, exponents and hex, and
// NaN passes every range check (all its comparisons are false), so the
// numbers of commands, card forms and imported files come through here and
// are always finite and not negative.
func ParseDecimal(s string) (float64, bool) {
	digits, point := 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && !math.IsInf(f, 0)
}
