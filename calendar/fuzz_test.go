package calendar

import (
	"testing"

	"github.com/loopbot/loopbot/bot"
)

// FuzzParseDate checks that no input makes the date parsers panic, that a
// date they accept is a real date, that a due date is never in the past and
// that a range never ends before it starts. The seed corpus is in
// testdata/fuzz/FuzzParseDate.
func FuzzParseDate(f *testing.F) {
	c := New(Config{})
	now := saturday(f)
	today := bot.DateOf(now)
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s, now, c)
		checkDate(t, s, d, err)
		due, err := ParseDueDate(s, now, c)
		checkDate(t, s, due, err)
		if err == nil && due.Before(today) {
			t.Errorf("ParseDueDate(%q) = %s, before today %s", s, due, today)
		}
		from, to, err := ParseDateRange(s, now, c)
		checkDate(t, s, from, err)
		checkDate(t, s, to, err)
		if err == nil && to.Before(from) {
			t.Errorf("ParseDateRange(%q) = %s..%s", s, from, to)
		}
	})
}

// checkDate fails unless err is an EINVALID error with the zero date, or nil
// with a real date.
func checkDate(t *testing.T, s string, d bot.Date, err error) {
	t.Helper()
	if err != nil {
		if bot.ErrorCode(err) != bot.EINVALID || !d.IsZero() {
			t.Errorf("%q: %s with error %v", s, d, err)
		}
		return
	}
	if d.IsZero() || bot.NewDate(d.Year, d.Month, d.Day) != d {
		t.Errorf("%q: accepted %+v, which is not a real date", s, d)
	}
}

// FuzzParseSpan checks that no input makes ParseSpan panic, that a span it
// accepts writes back to itself and that adding it never goes back in time.
// The seed corpus is in testdata/fuzz/FuzzParseSpan.
func FuzzParseSpan(f *testing.F) {
	c := New(Config{})
	from := saturday(f)
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpan(s)
		if err != nil {
			if bot.ErrorCode(err) != bot.EINVALID || !sp.IsZero() {
				t.Fatalf("ParseSpan(%q) = %+v, %v", s, sp, err)
			}
			return
		}
		back, err := ParseSpan(sp.String())
		if err != nil || back != sp {
			t.Errorf("ParseSpan(%q) = %+v, which writes as %q and reads back as %+v, %v", s, sp, sp, back, err)
		}
		if end := sp.After(c, from, nil); end.Before(from) {
			t.Errorf("%q after %v = %v, earlier", s, from, end)
		}
		if half := sp.Div(2).After(c, from, nil); half.After(sp.After(c, from, nil)) {
			t.Errorf("%q: half the span ends after the whole", s)
		}
	})
}
