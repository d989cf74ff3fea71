package calendar

import (
	"strings"
	"testing"
	"time"

	// The tests use real zones, so that they pass on machines without a zone
	// database as well.
	_ "time/tzdata"

	"github.com/loopbot/loopbot/bot"
)

func mustLoc(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatalf("load %s: %v", name, err)
	}
	return loc
}

func shanghai(tb testing.TB) *time.Location { return mustLoc(tb, "Asia/Shanghai") }

func newYork(tb testing.TB) *time.Location { return mustLoc(tb, "America/New_York") }

// day reads 2006-01-02.
func day(tb testing.TB, s string) bot.Date {
	tb.Helper()
	d, err := bot.ParseISODate(s)
	if err != nil {
		tb.Fatalf("bad test date %q: %v", s, err)
	}
	return d
}

// at reads "2006-01-02 15:04" on loc's clock.
func at(tb testing.TB, s string, loc *time.Location) time.Time {
	tb.Helper()
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		tb.Fatalf("bad test time %q: %v", s, err)
	}
	return t
}

// wantInvalid fails unless err is an EINVALID error whose message contains
// every one of parts.
func wantInvalid(tb testing.TB, err error, parts ...string) {
	tb.Helper()
	if code := bot.ErrorCode(err); code != bot.EINVALID {
		tb.Fatalf("error code = %q (%v), want %q", code, err, bot.EINVALID)
	}
	msg := bot.ErrorMessage(err)
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			tb.Errorf("message %q does not contain %q", msg, p)
		}
	}
}
