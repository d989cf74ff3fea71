package calendar

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/loopbot/loopbot/bot"
)

// saturday is the fixed "now" of the date tests: Saturday 2026-11-21 10:00
// in Shanghai.
func saturday(tb testing.TB) time.Time {
	tb.Helper()
	return at(tb, "2026-11-21 10:00", shanghai(tb))
}

func TestParseDate(t *testing.T) {
	c := New(Config{})
	now := saturday(t)
	tests := []struct{ in, want string }{
		// Full dates.
		{"2026-11-28", "2026-11-28"},
		{"2026/11/28", "2026-11-28"},
		{"2026.11.28", "2026-11-28"},
		{"2026-1-5", "2026-01-05"},
		{"２０２６／１１／２８", "2026-11-28"},
		{"2026年11月28日", "2026-11-28"},
		{"2026年11月28号", "2026-11-28"},
		{"20261128", "2026-11-28"},
		{"2028-02-29", "2028-02-29"},
		{"2020-01-01", "2020-01-01"},
		// Month and day, in the closest year.
		{"11-28", "2026-11-28"},
		{"11/28", "2026-11-28"},
		{" 11-28 ", "2026-11-28"},
		{"11月28日", "2026-11-28"},
		{"11月28号", "2026-11-28"},
		{"11月28", "2026-11-28"},
		{"１１月２８日", "2026-11-28"},
		{"01-05", "2027-01-05"},
		{"1/5", "2027-01-05"},
		{"11-20", "2026-11-20"},
		{"05-20", "2027-05-20"},
		{"05-26", "2026-05-26"},
		{"12-31", "2026-12-31"},
		// Named days.
		{"today", "2026-11-21"},
		{"TODAY", "2026-11-21"},
		{"今天", "2026-11-21"},
		{"tomorrow", "2026-11-22"},
		{"明天", "2026-11-22"},
		{"后天", "2026-11-23"},
		{"大后天", "2026-11-24"},
		{"yesterday", "2026-11-20"},
		{"昨天", "2026-11-20"},
		{"eom", "2026-11-30"},
		{"月底", "2026-11-30"},
		// A bare weekday is today or the next one.
		{"sat", "2026-11-21"},
		{"周六", "2026-11-21"},
		{"sun", "2026-11-22"},
		{"sunday", "2026-11-22"},
		{"周日", "2026-11-22"},
		{"周天", "2026-11-22"},
		{"星期天", "2026-11-22"},
		{"礼拜日", "2026-11-22"},
		{"mon", "2026-11-23"},
		{"Monday", "2026-11-23"},
		{"周一", "2026-11-23"},
		{"星期一", "2026-11-23"},
		{"礼拜一", "2026-11-23"},
		{"fri", "2026-11-27"},
		{"friday", "2026-11-27"},
		{"周五", "2026-11-27"},
		{"星期五", "2026-11-27"},
		// This ISO week (Mon 11-16 to Sun 11-22), the next and the last.
		{"this fri", "2026-11-20"},
		{"本周五", "2026-11-20"},
		{"这周五", "2026-11-20"},
		{"这个星期五", "2026-11-20"},
		{"this sun", "2026-11-22"},
		{"本周日", "2026-11-22"},
		{"next mon", "2026-11-23"},
		{"NEXT  Mon", "2026-11-23"},
		{"下周一", "2026-11-23"},
		{"下星期一", "2026-11-23"},
		{"下个礼拜一", "2026-11-23"},
		{"next fri", "2026-11-27"},
		{"下周五", "2026-11-27"},
		{"next sun", "2026-11-29"},
		{"下周日", "2026-11-29"},
		{"last mon", "2026-11-09"},
		{"上周一", "2026-11-09"},
		// Relative days and weeks.
		{"+3d", "2026-11-24"},
		{"3d", "2026-11-24"},
		{"+ 3d", "2026-11-24"},
		{"3天后", "2026-11-24"},
		{"三天后", "2026-11-24"},
		{"-3d", "2026-11-18"},
		{"+0d", "2026-11-21"},
		{"+2w", "2026-12-05"},
		{"2周后", "2026-12-05"},
		{"两周后", "2026-12-05"},
		{"+１０d", "2026-12-01"},
		// Working days: Mon 23, Tue 24, Wed 25.
		{"3wd", "2026-11-25"},
		{"+3wd", "2026-11-25"},
		{"3个工作日", "2026-11-25"},
		{"三个工作日后", "2026-11-25"},
		{"1wd", "2026-11-23"},
		{"-1wd", "2026-11-20"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in, now, c)
			if err != nil || got != day(t, tt.want) {
				t.Errorf("ParseDate(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestParseDateWorkdaysOverHoliday checks that working days count on the
// holiday calendar: three working days after 2026-09-30 is 2026-10-10.
func TestParseDateWorkdaysOverHoliday(t *testing.T) {
	now := at(t, "2026-09-30 15:00", shanghai(t))
	for _, in := range []string{"3wd", "3个工作日"} {
		got, err := ParseDate(in, now, New(Config{}))
		if err != nil || got != day(t, "2026-10-10") {
			t.Errorf("ParseDate(%q) on 2026-09-30 = %s, %v; want 2026-10-10", in, got, err)
		}
	}
	got, err := ParseDate("1wd", now, nil)
	if err != nil || got != day(t, "2026-10-08") {
		t.Errorf("ParseDate(1wd) with a nil calendar = %s, %v; want 2026-10-08", got, err)
	}
}

func TestParseDateErrors(t *testing.T) {
	c := New(Config{})
	now := saturday(t)
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"   ", "blank"},
		{"02-30", "no such day"},
		{"2026-02-30", "no such day"},
		{"2026-13-01", "no such month"},
		{"2026-00-10", "no month"},
		{"02-29", "no leap year in 2025–2027"},
		{"2027-02-29", "not a leap year"},
		{"28/11", "day first"},
		{"abc", "not a date"},
		{"next", "no day"},
		{"下周", "no day"},
		{"周八", "no such weekday"},
		{"next week mon", "extra word"},
		{"+99999d", "too far"},
		{"9999wd", "too far"},
		{"1900-01-01", "too early"},
		{"3000-01-01", "too late"},
		{"11-28..", "a range"},
		{"2026-11-28T10:00", "a time"},
		{"\xff\xfe", "invalid UTF-8"},
		{"3日", "a day of the month, not three days"},
	}
	for _, tt := range tests {
		t.Run(tt.why, func(t *testing.T) {
			d, err := ParseDate(tt.in, now, c)
			wantInvalid(t, err, quote(tt.in), DateForms)
			if !d.IsZero() {
				t.Errorf("ParseDate(%q) returned %s with the error", tt.in, d)
			}
		})
	}
}

func TestParseDateLongInput(t *testing.T) {
	long := "2026-11-28 and then a very long explanation that nobody should have to read in a chat"
	_, err := ParseDate(long, saturday(t), New(Config{}))
	wantInvalid(t, err, "2026-11-28 and then", "…", DateForms)
}

func TestParseDueDate(t *testing.T) {
	c := New(Config{})
	now := saturday(t)
	for _, in := range []string{"today", "今天", "sat", "this sun", "11-28", "01-05", "3wd"} {
		t.Run(in, func(t *testing.T) {
			if _, err := ParseDueDate(in, now, c); err != nil {
				t.Errorf("ParseDueDate(%q): %v", in, err)
			}
		})
	}
	past := []struct{ in, date string }{
		{"11-20", "2026-11-20"},
		{"2026-11-20", "2026-11-20"},
		{"this fri", "2026-11-20"},
		{"本周五", "2026-11-20"},
		{"yesterday", "2026-11-20"},
		{"-3d", "2026-11-18"},
		{"上周一", "2026-11-09"},
		{"2025-01-01", "2025-01-01"},
	}
	for _, tt := range past {
		t.Run(tt.in, func(t *testing.T) {
			d, err := ParseDueDate(tt.in, now, c)
			wantInvalid(t, err, quote(tt.in), tt.date, "past", "已经过去", DateForms)
			if !d.IsZero() {
				t.Errorf("ParseDueDate(%q) returned %s with the error", tt.in, d)
			}
		})
	}
}

func TestParseDateRange(t *testing.T) {
	c := New(Config{})
	now := saturday(t)
	tests := []struct {
		in       string
		now      time.Time
		from, to string
	}{
		{"11-23..11-27", now, "2026-11-23", "2026-11-27"},
		{"2026-11-23..2026-11-27", now, "2026-11-23", "2026-11-27"},
		{"11-23 ~ 11-27", now, "2026-11-23", "2026-11-27"},
		{"11月23日至11月27日", now, "2026-11-23", "2026-11-27"},
		{"今天到周五", now, "2026-11-21", "2026-11-27"},
		{"mon..fri", now, "2026-11-23", "2026-11-27"},
		{"11-25", now, "2026-11-25", "2026-11-25"},
		{"12-30..01-03", now, "2026-12-30", "2027-01-03"},
		{"12-30..01-03", at(t, "2026-07-02 10:00", shanghai(t)), "2026-12-30", "2027-01-03"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			from, to, err := ParseDateRange(tt.in, tt.now, c)
			if err != nil || from != day(t, tt.from) || to != day(t, tt.to) {
				t.Errorf("ParseDateRange(%q) = %s, %s, %v; want %s, %s", tt.in, from, to, err, tt.from, tt.to)
			}
		})
	}
}

func TestParseDateRangeErrors(t *testing.T) {
	c := New(Config{})
	now := saturday(t)
	tests := []struct{ in, names string }{
		{"11-27..11-23", "11-27..11-23"},
		{"2026-11-27..2026-11-23", "2026-11-27..2026-11-23"},
		{"foo..11-23", "foo"},
		{"11-23..bar", "bar"},
		{"..", `""`},
		{"11-23..02-30", "02-30"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, _, err := ParseDateRange(tt.in, now, c)
			wantInvalid(t, err, tt.names, DateForms)
		})
	}
}

// TestParseDateDaylightSaving reads dates for a person in New York around the
// days the clocks change.
func TestParseDateDaylightSaving(t *testing.T) {
	ny := newYork(t)
	c := New(Config{})
	tests := []struct {
		in, now, want string
	}{
		{"today", "2026-03-08 12:00", "2026-03-08"},
		{"tomorrow", "2026-03-07 23:30", "2026-03-08"},
		{"today", "2026-03-08 01:59", "2026-03-08"},
		{"+1d", "2026-03-07 12:00", "2026-03-08"},
		{"today", "2026-11-01 01:30", "2026-11-01"},
		{"tomorrow", "2026-10-31 23:59", "2026-11-01"},
		{"sun", "2026-10-30 09:00", "2026-11-01"},
		{"1wd", "2026-10-30 09:00", "2026-11-02"},
	}
	for _, tt := range tests {
		t.Run(tt.in+" at "+tt.now, func(t *testing.T) {
			got, err := ParseDueDate(tt.in, at(t, tt.now, ny), c)
			if err != nil || got != day(t, tt.want) {
				t.Errorf("ParseDueDate(%q) at %s = %s, %v; want %s", tt.in, tt.now, got, err, tt.want)
			}
			start := c.DayStart(got, ny)
			if start.Hour() != 9 || !got.In(ny).Before(start) {
				t.Errorf("DayStart(%s) = %v", got, start)
			}
		})
	}
}

func TestParseAbsoluteDate(t *testing.T) {
	good := map[string]bot.Date{
		"2026-11-28":             bot.NewDate(2026, 11, 28),
		"2026/1/5":               bot.NewDate(2026, 1, 5),
		"2026.11.28":             bot.NewDate(2026, 11, 28),
		"2026年11月28日":            bot.NewDate(2026, 11, 28),
		"20261128":               bot.NewDate(2026, 11, 28),
		"２０２６／１１／２８":             bot.NewDate(2026, 11, 28),
		" 2026/11/28 0:00 ":      bot.NewDate(2026, 11, 28),
		"2026-11-28 09:30:00":    bot.NewDate(2026, 11, 28),
		"2026-11-28T00:00:00Z":   bot.NewDate(2026, 11, 28),
		"2026-11-28T08:00+08:00": bot.NewDate(2026, 11, 28),
	}
	for in, want := range good {
		if got, err := ParseAbsoluteDate(in); err != nil || got != want {
			t.Errorf("ParseAbsoluteDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"2026-13-01": "is not a real date",
		"2026-02-30": "is not a real date",
		"11-28":      "write a full date",
		"tomorrow":   "write a full date",
		"+3d":        "write a full date",
		"1969-12-31": "between 1970 and 2999",
		"":           "write a full date",
	}
	for in, want := range bad {
		_, err := ParseAbsoluteDate(in)
		if bot.ErrorCode(err) != bot.EINVALID || !strings.Contains(bot.ErrorMessage(err), want) || !strings.Contains(bot.ErrorMessage(err), strconv.Quote(in)) {
			t.Errorf("ParseAbsoluteDate(%q) = %v; want EINVALID naming the value and %q", in, err, want)
		}
	}
}
