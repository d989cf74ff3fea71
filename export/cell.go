package export

import (
	"time"

	"github.com/loopbot/loopbot/bot"
)

// cell is one value of a table's row, typed, so that a row is written
// without boxing each value in an interface (an export writes millions).
// The zero cell is empty.
type cell struct {
	typ kind
	s   string    // kText
	i   int       // kInt, kPct (0–100), kBool (1: yes)
	f   float64   // kNum
	d   bot.Date  // kDate
	t   time.Time // kTime
}

// Cell makers. text of "", date of a zero Date, instant of a zero Time and
// pct of a negative value are empty cells.
func text(s string) cell {
	if s == "" {
		return cell{}
	}
	return cell{typ: kText, s: s}
}

func integer(n int) cell    { return cell{typ: kInt, i: n} }
func number(f float64) cell { return cell{typ: kNum, f: f} }

func pct(p int) cell {
	if p < 0 {
		return cell{}
	}
	return cell{typ: kPct, i: p}
}

func yes(b bool) cell {
	c := cell{typ: kBool}
	if b {
		c.i = 1
	}
	return c
}

func date(d bot.Date) cell {
	if d.IsZero() {
		return cell{}
	}
	return cell{typ: kDate, d: d}
}

func instant(t time.Time) cell {
	if t.IsZero() {
		return cell{}
	}
	return cell{typ: kTime, t: t}
}

// empty is an empty cell.
var empty = cell{}
