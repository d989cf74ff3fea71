package calendar

import "math"

// finerUnits lead from a plain unit to the next finer one, with the factor.
var finerUnits = map[string]struct {
	unit   string
	factor int
}{
	"d": {"h", 24}, "h": {"m", 60}, "m": {"s", 60},
}

// Div returns s divided by n, as used for "the critical path moves twice as
// fast". The result is exact: the same unit when n divides N (4h/2 = 2h),
// else the largest finer plain unit that holds it (1d/2 = 12h, 1h/8 = 450s),
// else a fraction of the unit (1wd/2, 1h/7), which After and String
// understand. Working days and hours never turn into plain units, so the
// result still counts working time. An n of 1 or less returns s unchanged.
func (s Span) Div(n int) Span {
	if n <= 1 || s.Unit == "" {
		return s
	}
	if s.den() > math.MaxInt32 || n > math.MaxInt32 {
		// Keep the denominator well within int range; such spans are below
		// a nanosecond per unit anyway.
		return Span{N: 0, Unit: s.Unit}
	}
	whole := Span{N: s.N, Unit: s.Unit, Den: s.den() * n}.reduce()
	for f := whole; f.den() > 1; {
		next, ok := finerUnits[f.Unit]
		if !ok || f.N > math.MaxInt32 {
			break
		}
		f = Span{N: f.N * next.factor, Unit: next.unit, Den: f.den()}.reduce()
		if f.den() == 1 {
			return f
		}
	}
	return whole
}

// reduce returns s with N/Den in lowest terms, and Den 0 when whole.
func (s Span) reduce() Span {
	g := gcd(s.N, s.den())
	if g > 1 {
		s.N, s.Den = s.N/g, s.den()/g
	}
	if s.Den == 1 {
		s.Den = 0
	}
	return s
}

func gcd(a, b int) int {
	if a < 0 {
		a = -a
	}
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
